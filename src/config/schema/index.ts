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
import { sourcesSchema } from './sources';
import { checkCameraSource } from '../source-policy';
import { parseSourceUrl } from '../../core/source-url';
import { isLoopbackHost } from '../reload';
import { registerSecret, registerUrlSecrets } from '../../core/redact';

/** Rule types that need face recognition on their camera. */
const FACE_RULES: readonly string[] = ['face_match', 'face_unknown'];
import { instanceSchema } from './instance';

/** The whole configuration file. Unknown keys are errors at every level. */
export const configSchema = z
  .strictObject({
    redis: redisSchema,
    server: serverSchema,
    models: modelsSchema,
    detect: detectSchema,
    sources: sourcesSchema,
    cameras: camerasSchema,
    rules: rulesSchema,
    webhooks: webhooksSchema,
    mqtt: mqttSchema,
    faces: facesSchema,
    alerts: alertsSchema,
    track: trackSchema,
    instance: instanceSchema,
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
      const src = checkCameraSource(cam.url, c.sources, 'config');
      // Syntax problems are already reported by the camera's url field.
      if (!src.ok && parseSourceUrl(cam.url).ok) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'url'], message: src.message });
      }
    });
    const ruleIds = new Set<string>();
    c.rules.forEach((r, i) => {
      if (ruleIds.has(r.id)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      }
      ruleIds.add(r.id);
      const faceRule = FACE_RULES.includes(r.type);
      if (r.camera === undefined) {
        if (faceRule && !c.cameras.some((x) => x.faces.enabled)) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'type'], message: `${r.type} rules need a camera with faces.enabled: true, and no camera has it` });
        }
        if (r.zone !== undefined && !c.cameras.some((x) => x.zones.some((z) => z.id === r.zone))) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'zone'], message: `no camera has a zone "${r.zone}"` });
        }
        if (r.line !== undefined && !c.cameras.some((x) => x.lines.some((l) => l.id === r.line))) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'line'], message: `no camera has a line "${r.line}"` });
        }
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
      if (faceRule && !cam.faces.enabled) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'camera'],
          message: `${r.type} rules need faces on their camera, and camera "${cam.id}" has faces.enabled: false`,
        });
      }
    });
    const tokens = new Map<string, number>();
    c.server.tokens.forEach((t, i) => {
      const first = tokens.get(t.token);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['server', 'tokens', i, t.token === undefined ? 'tokenFile' : 'token'],
          message: `the same token as server.tokens[${first}] (${c.server.tokens[first].name}, ${c.server.tokens[first].role}); each token must be unique`,
        });
      } else {
        tokens.set(t.token, i);
      }
    });
    // Secrets of the other sections are registered for redaction too (tokens register themselves).
    c.webhooks.forEach((w) => {
      registerSecret(w.secret);
      registerUrlSecrets(w.url);
    });
    registerSecret(c.mqtt.password);
    registerUrlSecrets(c.mqtt.url);
    registerUrlSecrets(c.redis.url);
    const nonLoopback = !isLoopbackHost(c.server.host);
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
export type { SourcesConfig } from './sources';
export type { InstanceConfig } from './instance';
export { cameraSchema } from './cameras';
export { ruleSchema } from './rules';
