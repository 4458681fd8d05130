/**
 * Schemas of the messages one stage reads from Redis that another stage wrote (streams, pub/sub): a message is
 * checked where it enters a stage, never trusted as typed because it crossed Redis (another version of Vigil, a
 * damaged value, a hand-written XADD). {@link decodeMessage} answers the typed value or an error naming the message
 * and the first fields that are wrong; the caller counts it (`vigil_messages_invalid_total`), logs it and skips it.
 *
 * Only metadata is checked: pixels never travel in these messages. Objects are loose (fields a newer writer adds pass
 * through), so a reader keeps working while a rolling upgrade runs two versions side by side.
 */
import { z } from 'zod';
import {
  CAMERA_STATES,
  RULE_TYPES,
  SEVERITIES,
  type Alert,
  type CameraStateMessage,
  type DetectionResult,
} from './types';

const finite = z.number().refine(Number.isFinite, 'not a finite number');
const box = z.tuple([finite, finite, finite, finite]);

const detection = z.looseObject({
  label: z.string(),
  classId: z.number().int().optional(),
  score: finite,
  box,
});

const faceObservation = z.looseObject({
  box,
  score: finite,
  embedding: z.array(z.number()).optional(),
  match: z.looseObject({ identity: z.string(), name: z.string(), distance: finite }).optional(),
  detectionIndex: z.number().int().min(0).optional(),
  quality: finite.optional(),
});

/** A detect stage's result for one frame (the `d` field of `keys.detections(camera)`). */
export const detectionResultSchema: z.ZodType<DetectionResult> = z.looseObject({
  camera: z.string().min(1),
  seq: z.number().int().min(0),
  frameKey: z.string(),
  pixels: z.enum(['local', 'redis']).optional(),
  holder: z.string().min(1).max(128).optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  format: z.literal('rgb24'),
  times: z.looseObject({
    capturedAt: finite,
    queuedAt: finite,
    pickedAt: finite.optional(),
    inferredAt: finite.optional(),
    publishedAt: finite.optional(),
  }),
  model: z.string(),
  detections: z.array(detection),
  faces: z.array(faceObservation).optional(),
});

/** A camera state change (`keys.channels.camera`). */
export const cameraStateMessageSchema: z.ZodType<CameraStateMessage> = z.looseObject({
  type: z.literal('camera'),
  camera: z.string().min(1),
  state: z.enum(CAMERA_STATES),
  reason: z.string(),
  at: z.string(),
});

/** Any message that names its camera (what the WebSocket hub needs to route a pub/sub message). */
export const cameraMessageSchema = z.looseObject({ camera: z.string().min(1) });

const alertObject = z.looseObject({ trackId: z.number().int(), label: z.string(), score: finite, box });

/** An alert as the alert store keeps it (`keys.alert(id)`, the `alert` field of `keys.alertEvents`). */
export const alertSchema: z.ZodType<Alert> = z.looseObject({
  id: z.string(),
  rule: z.string(),
  type: z.enum(RULE_TYPES),
  camera: z.string(),
  severity: z.enum(SEVERITIES),
  state: z.enum(['active', 'ended']),
  startedAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().optional(),
  objects: z.array(alertObject),
  snapshot: z.string().optional(),
  clip: z.string().optional(),
  latencyMs: finite,
  count: z.number().optional(),
  direction: z.enum(['a_to_b', 'b_to_a']).optional(),
  counts: z.looseObject({ a_to_b: z.number(), b_to_a: z.number() }).optional(),
  zone: z.string().optional(),
  line: z.string().optional(),
  face: z.looseObject({ identity: z.string(), name: z.string(), distance: z.number() }).optional(),
});

/** What {@link decodeMessage} answers. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Parses `raw` (JSON text) as the message `what` and checks it against `schema`. Never throws: a message that is
 * not JSON or not of the schema is an error naming `what` and up to three wrong fields (`path: problem`).
 */
export function decodeMessage<T>(schema: z.ZodType<T>, raw: string | Buffer | undefined, what: string): Decoded<T> {
  if (raw === undefined) {
    return { ok: false, error: `${what}: missing` };
  }
  let v: unknown;
  try {
    v = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, error: `${what}: not JSON` };
  }
  const r = schema.safeParse(v);
  if (r.success) {
    return { ok: true, value: r.data };
  }
  const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
  return { ok: false, error: `${what}: ${issues.join('; ')}` };
}
