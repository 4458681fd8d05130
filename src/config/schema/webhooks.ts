import { z } from 'zod';
import { checkTemplate } from '../../alerts/sinks/webhook-format';
import { SEVERITIES } from '../../core/types';

export const WEBHOOK_EVENTS = ['alert.start', 'alert.update', 'alert.end'] as const;

export const webhookSchema = z.strictObject({
  /** Name used in metrics and the dead-letter list. @defaultValue webhook-N */
  name: z.string().regex(/^[a-z0-9_-]{1,64}$/).optional(),
  url: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
  /** HMAC-SHA256 signing secret. */
  secret: z.string().min(8, 'must be at least 8 characters'),
  events: z.array(z.enum(WEBHOOK_EVENTS)).default(['alert.start', 'alert.end']),
  cameras: z.array(z.string()).optional(),
  rules: z.array(z.string()).optional(),
  minSeverity: z.enum(SEVERITIES).default('info'),
  /** Body template: JSON with `{{alert.field}}` placeholders; omitted = the CONTRACT body. */
  template: z.string().optional(),
  /** Per-attempt timeout. @defaultValue 5000 */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  /** Attempts before the dead-letter list. @defaultValue 8 */
  attempts: z.number().int().min(1).max(50).default(8),
  /** First retry delay; doubles each attempt, each wait jittered between half and all of it (8 attempts ride out 63-127 s). @defaultValue 1000 */
  backoffMs: z.number().int().min(10).max(600_000).default(1000),
  /** Extra request headers. */
  headers: z.record(z.string(), z.string()).default({}),
}).superRefine((w, ctx) => {
  if (w.template === undefined) {
    return;
  }
  try {
    checkTemplate(w.name ?? 'webhook', w.template);
  } catch {
    ctx.addIssue({ code: 'custom', path: ['template'], message: 'does not render to valid JSON (placeholders: {{alert.x}}, {{event}}, {{delivery}})' });
  }
});
export type WebhookConfig = z.infer<typeof webhookSchema>;
export const webhooksSchema = z
  .array(webhookSchema)
  .default([])
  .superRefine((hooks, ctx) => {
    const names = new Set<string>();
    hooks.forEach((h, i) => {
      // Same naming as the delivery code: configured name, else webhook-N.
      const name = h.name ?? `webhook-${i + 1}`;
      if (names.has(name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate webhook name "${name}"` });
      }
      names.add(name);
    });
  });

export const mqttSchema = z
  .strictObject({
    /** @defaultValue false */
    enabled: z.boolean().default(false),
    url: z.string().regex(/^mqtts?:\/\/|^wss?:\/\//, 'must be an mqtt:// URL').default('mqtt://127.0.0.1:1883'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** Topic prefix. @defaultValue vigil */
    topicPrefix: z.string().default('vigil'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  })
  .prefault({});
export type MqttConfig = z.infer<typeof mqttSchema>;
