import { z } from 'zod';
import { checkTemplate } from '../../core/webhook-template';
import { standardSecretKey } from '../../core/webhook-standard';
import { SEVERITIES } from '../../core/types';
import { seconds } from './common';

export const WEBHOOK_EVENTS = ['alert.start', 'alert.update', 'alert.end', 'alert.clip'] as const;

/** Retry schedule of one webhook (exponential backoff with full jitter, capped, up to a horizon). */
export const webhookRetrySchema = z
  .strictObject({
    /** Upper bound of the first retry's wait (full jitter: uniform from 0); doubles per attempt. @defaultValue 5 */
    initialSeconds: seconds(0.01, 3600).default(5),
    /** Longest wait between two attempts, also the cap on a receiver's Retry-After. @defaultValue 3600 */
    maxSeconds: seconds(0.1, 86_400).default(3600),
    /** Keep retrying this long after the event before the dead-letter list (the last attempt is made at the horizon). @defaultValue 86400 */
    horizonSeconds: seconds(1, 30 * 86_400).default(86_400),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.maxSeconds < r.initialSeconds) {
      ctx.addIssue({ code: 'custom', path: ['maxSeconds'], message: 'must be at least retry.initialSeconds' });
    }
    if (r.horizonSeconds < r.initialSeconds) {
      ctx.addIssue({ code: 'custom', path: ['horizonSeconds'], message: 'must be at least retry.initialSeconds' });
    }
  });

export const webhookSchema = z.strictObject({
  /** Name used in metrics and the dead-letter list. @defaultValue webhook-N */
  name: z.string().regex(/^[a-z0-9_-]{1,64}$/).optional(),
  url: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL'),
  /** HMAC-SHA256 signing secret (with standardWebhooks: whsec_ + base64 of 24-64 random bytes). */
  secret: z.string().min(8, 'must be at least 8 characters'),
  /** Also send the Standard Webhooks headers webhook-id, webhook-timestamp, webhook-signature (v1). @defaultValue false */
  standardWebhooks: z.boolean().default(false),
  events: z.array(z.enum(WEBHOOK_EVENTS)).default(['alert.start', 'alert.end']),
  cameras: z.array(z.string()).optional(),
  rules: z.array(z.string()).optional(),
  minSeverity: z.enum(SEVERITIES).default('info'),
  /** Body template: JSON with `{{alert.field}}` placeholders; omitted = the default body `{"event","alert"}` (docs/api.md, Webhooks). */
  template: z.string().optional(),
  /** Per-attempt timeout. @defaultValue 5000 */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  retry: webhookRetrySchema,
  /** Dead-letter after this many attempts even before the horizon; omitted = retry until retry.horizonSeconds. */
  attempts: z.number().int().min(1).max(100_000).optional(),
  /** Older name of retry.initialSeconds, in ms; when set it wins. */
  backoffMs: z.number().int().min(10).max(600_000).optional(),
  /** Extra request headers. */
  headers: z.record(z.string(), z.string()).default({}),
}).superRefine((w, ctx) => {
  if (w.standardWebhooks) {
    try {
      standardSecretKey(w.secret);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: `with standardWebhooks: ${(err as Error).message}` });
    }
  }
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
    topicPrefix: z.string().regex(/^[^#+\u0000]{1,100}$/, 'must be a topic without wildcards').default('vigil'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    /** At most one `update` event per alert this often (the newest is sent; start and end always are). @defaultValue 10 */
    updateIntervalSeconds: z.number().min(0).max(3600).default(10),
    /** How often camera fps and availability are published again (retained). @defaultValue 10 */
    statsIntervalSeconds: z.number().min(1).max(3600).default(10),
    homeAssistant: z
      .strictObject({
        /** Publish Home Assistant MQTT discovery: a binary sensor per camera and rule, sensors for line counts, camera fps and state. @defaultValue false */
        enabled: z.boolean().default(false),
        /** Home Assistant's discovery prefix. @defaultValue homeassistant */
        discoveryPrefix: z.string().regex(/^[^#+\u0000]{1,100}$/, 'must be a topic without wildcards').default('homeassistant'),
      })
      .prefault({}),
  })
  .prefault({});
export type MqttConfig = z.infer<typeof mqttSchema>;
