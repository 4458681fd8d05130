import { z } from 'zod';
import { redisSchema } from './redis';
import { isLoopbackHost, serverSchema } from './server';
import { modelsSchema } from './models';
import { detectSchema } from './detect';
import { camerasSchema } from './cameras';
import { rulesSchema } from './rules';
import { webhooksSchema, mqttSchema } from './webhooks';
import { facesSchema } from './faces';
import { alertsSchema, trackSchema } from './alerts';
import { sourcesSchema } from './sources';
import { recordingSchema } from './recording';
import { checkCameraSource } from '../source-policy';
import { parseSourceUrl } from '../../core/source-url';
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
    recording: recordingSchema,
    instance: instanceSchema,
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .prefault({}),
  })
  // Cross-checks run even when some fields failed their own schema (`when`), so `vigil config check` lists every
  // problem in one run. The value may then hold a field as written (not parsed): every access below is defensive.
  .superRefine((c, ctx) => crossCheck(c as unknown as Loose, ctx), { when: () => true });

/** A config value as seen by the cross-checks: parsed where valid, as written elsewhere. */
type Loose = Record<string, unknown>;
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter((x): x is Loose => typeof x === 'object' && x !== null) : []);
const obj = (v: unknown): Loose => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const ids = (v: unknown): string[] => list(v).map((x) => str(x.id)).filter((x): x is string => x !== undefined);

/**
 * The cross-section checks alone on a (parsed or loose) config value, as `{path, message}` problems: what PUT
 * /api/cameras/:id runs on the running rules with the camera it is about to store (a zone a rule uses removed...).
 */
export function crossCheckProblems(c: Record<string, unknown>): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  const collect = { addIssue: (i: { path?: PropertyKey[]; message?: string }) => out.push({ path: i.path ?? [], message: i.message ?? '' }) };
  crossCheck(c, collect as unknown as z.RefinementCtx);
  return out;
}

/** The checks across sections: ids unique, rules pointing at cameras, zones and lines that exist, the listener. */
function crossCheck(c: Loose, ctx: z.RefinementCtx): void {
  const cameras = list(c.cameras);
  const sources = sourcesSchema.safeParse(c.sources);
  const idsSeen = new Set<string>();
  cameras.forEach((cam, i) => {
    const camId = str(cam.id);
    if (camId !== undefined && idsSeen.has(camId)) {
      ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: `duplicate camera id "${camId}"` });
    }
    if (camId !== undefined) {
      idsSeen.add(camId);
    }
    const url = str(cam.url);
    // Syntax problems are already reported by the camera's url field; the policy needs a valid sources section.
    if (url !== undefined && sources.success && parseSourceUrl(url).ok) {
      const src = checkCameraSource(url, sources.data, 'config');
      if (!src.ok) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'url'], message: src.message });
      }
    }
  });
  const facesOn = (cam: Loose) => obj(cam.faces).enabled === true;
  const ruleIds = new Set<string>();
  list(c.rules).forEach((r, i) => {
    const ruleId = str(r.id);
    if (ruleId !== undefined && ruleIds.has(ruleId)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${ruleId}"` });
    }
    if (ruleId !== undefined) {
      ruleIds.add(ruleId);
    }
    const type = str(r.type) ?? '';
    const faceRule = FACE_RULES.includes(type);
    const zone = str(r.zone);
    const line = str(r.line);
    const camera = str(r.camera);
    if (camera === undefined) {
      if (r.camera !== undefined) {
        return;
      }
      if (faceRule && !cameras.some(facesOn)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'type'], message: `${type} rules need a camera with faces.enabled: true, and no camera has it` });
      }
      if (zone !== undefined && !cameras.some((x) => ids(x.zones).includes(zone))) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'zone'], message: `no camera has a zone "${zone}"` });
      }
      if (line !== undefined && !cameras.some((x) => ids(x.lines).includes(line))) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'line'], message: `no camera has a line "${line}"` });
      }
      return;
    }
    const cam = cameras.find((x) => str(x.id) === camera);
    if (!cam) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'camera'], message: `unknown camera "${camera}"` });
      return;
    }
    if (zone !== undefined && !ids(cam.zones).includes(zone)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'zone'], message: `camera "${camera}" has no zone "${zone}"` });
    }
    if (line !== undefined && !ids(cam.lines).includes(line)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'line'], message: `camera "${camera}" has no line "${line}"` });
    }
    if (faceRule && !facesOn(cam)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rules', i, 'camera'],
        message: `${type} rules need faces on their camera, and camera "${camera}" has faces.enabled: false`,
      });
    }
  });
  const server = obj(c.server);
  const tokenList = list(server.tokens);
  const tokens = new Map<string, number>();
  tokenList.forEach((t, i) => {
    const token = str(t.token);
    if (token === undefined || token === '') {
      return;
    }
    const first = tokens.get(token);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'tokens', i, t.tokenFile !== undefined ? 'tokenFile' : 'token'],
        message: `the same token as server.tokens[${first}] (${str(tokenList[first].name) ?? '?'}, ${str(tokenList[first].role) ?? '?'}); each token must be unique`,
      });
    } else {
      tokens.set(token, i);
    }
  });
  // Secrets of the other sections are registered for redaction too (tokens register themselves).
  list(c.webhooks).forEach((w) => {
    registerSecret(str(w.secret));
    const url = str(w.url);
    if (url !== undefined) {
      registerUrlSecrets(url);
    }
  });
  const mqtt = obj(c.mqtt);
  registerSecret(str(mqtt.password));
  for (const url of [str(mqtt.url), str(obj(c.redis).url)]) {
    if (url !== undefined) {
      registerUrlSecrets(url);
    }
  }
  const host = str(server.host);
  if (host !== undefined && !isLoopbackHost(host) && Array.isArray(server.tokens) && server.tokens.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['server', 'host'],
      message: 'with no server.tokens configured the server only listens on loopback (127.0.0.1, ::1, localhost)',
    });
  }
}

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
export type { RecordingConfig, CameraRecordingConfig, RuleClipConfig } from './recording';
export { cameraSchema } from './cameras';
export { ruleSchema } from './rules';
