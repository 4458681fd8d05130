import { z } from 'zod';
import { redisSchema } from './redis';
import { serverSchema } from './server';
import { modelsSchema } from './models';
import { detectSchema } from './detect';
import { camerasSchema } from './cameras';
import { rulesSchema } from './rules';
import { webhooksSchema, mqttSchema } from './webhooks';
import { facesSchema } from './faces';
import { alertsSchema, trackSchema } from './alerts';

/** The whole configuration file. Unknown keys are errors at every level. */
export const configSchema = z
  .strictObject({
    redis: redisSchema,
    server: serverSchema,
    models: modelsSchema,
    detect: detectSchema,
    cameras: camerasSchema,
    rules: rulesSchema,
    webhooks: webhooksSchema,
    mqtt: mqttSchema,
    faces: facesSchema,
    alerts: alertsSchema,
    track: trackSchema,
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.cameras.forEach((cam, i) => {
      if (ids.has(cam.id)) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: `duplicate camera id "${cam.id}"` });
      }
      ids.add(cam.id);
      if (!cam.realtime && /^(rtsps?|rtmp|https?|udp|srt):\/\//i.test(cam.url)) {
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', i, 'realtime'],
          message: 'realtime: false is only for file inputs (a live stream cannot be paused)',
        });
      }
    });
    const ruleIds = new Set<string>();
    c.rules.forEach((r, i) => {
      if (ruleIds.has(r.id)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      }
      ruleIds.add(r.id);
      if (r.camera === undefined) {
        return;
      }
      const cam = c.cameras.find((x) => x.id === r.camera);
      if (!cam) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'camera'], message: `unknown camera "${r.camera}"` });
        return;
      }
      if (r.zone !== undefined && !cam.zones.some((z) => z.id === r.zone)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'zone'], message: `camera "${cam.id}" has no zone "${r.zone}"` });
      }
      if (r.line !== undefined && !cam.lines.some((l) => l.id === r.line)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'line'], message: `camera "${cam.id}" has no line "${r.line}"` });
      }
    });
    const nonLoopback = !['127.0.0.1', 'localhost', '::1'].includes(c.server.host);
    if (nonLoopback && c.server.tokens.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'host'],
        message: 'with no server.tokens configured the server only listens on loopback (127.0.0.1, ::1, localhost)',
      });
    }
  });

export type VigilConfig = z.infer<typeof configSchema>;
export type { RedisConfig } from './redis';
export type { ServerConfig } from './server';
export type { ModelsConfig, DetectorConfig } from './models';
export type { DetectConfig } from './detect';
export type { CameraConfig, ZoneConfig, LineConfig } from './cameras';
export type { RuleConfig } from './rules';
export type { WebhookConfig, MqttConfig } from './webhooks';
export type { FacesConfig } from './faces';
export type { AlertsConfig, TrackConfig } from './alerts';
export { cameraSchema } from './cameras';
export { ruleSchema } from './rules';
