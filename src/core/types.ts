/**
 * Every message that crosses a queue, a Redis channel or a socket. Stages meet only through these shapes.
 * Times are unix epoch milliseconds inside the system and ISO strings on the outside surface (CONTRACT.md).
 */

/** Roles a process can run; `all` runs every one. */
export const ROLES = ['ingest', 'detect', 'track', 'api'] as const;
export type Role = (typeof ROLES)[number];

/** A box in frame fractions: [x1, y1, x2, y2], origin top-left, 0..1. */
export type Box = [number, number, number, number];
/** A point in frame fractions. */
export type Point = [number, number];

export const CAMERA_STATES = ['starting', 'streaming', 'stalled', 'reconnecting', 'failed'] as const;
export type CameraState = (typeof CAMERA_STATES)[number];

/** Published on the camera channel and the WebSocket `camera` topic at every state change. */
export interface CameraStateMessage {
  type: 'camera';
  camera: string;
  state: CameraState;
  /** Why the camera changed state, never containing credentials. */
  reason: string;
  /** ISO time of the change. */
  at: string;
}

/** Pixel layouts a frame can be stored in. `rgb24`: 3 bytes per pixel, row-major, no padding. */
export type PixelFormat = 'rgb24';

/**
 * The BullMQ job of one frame. The pixels are NOT in the job: they sit in Redis under `key` as a binary value
 * with a TTL.
 */
export interface FrameJob {
  camera: string;
  /** Per-camera sequence number, increasing by one for each frame that ffmpeg produced. */
  seq: number;
  /** Capture time (epoch ms), taken when the frame's last byte left ffmpeg. */
  capturedAt: number;
  /** When the job was added to the queue (epoch ms). */
  queuedAt: number;
  /** Redis key of the pixel buffer. */
  key: string;
  width: number;
  height: number;
  format: PixelFormat;
}

/** One detected object in frame fractions. */
export interface Detection {
  label: string;
  /** Class index in the model's label list. */
  classId?: number;
  score: number;
  box: Box;
}

/** Latency breakdown of a frame through the pipeline (epoch ms). */
export interface StageTimes {
  capturedAt: number;
  queuedAt: number;
  /** A worker picked the frame up. */
  pickedAt?: number;
  inferredAt?: number;
  publishedAt?: number;
}

/** A face found in a frame (faces issue). */
export interface FaceObservation {
  /** Face box in frame fractions. */
  box: Box;
  score: number;
  /** 128-d descriptor when the face was embedded. */
  embedding?: number[];
  /** Match against the watchlist, if any. */
  match?: { identity: string; name: string; distance: number };
  /** Index of the detection (person box) the face was found in, if searched inside person boxes. */
  detectionIndex?: number;
  /** Quality score used to choose the best faces of a track (size, frontality, sharpness). */
  quality?: number;
}

/** Output of the detect stage for one frame: published in order per camera for the tracker. */
export interface DetectionResult {
  camera: string;
  seq: number;
  /** Redis key of the frame's pixels (may have expired by the time it is read). */
  frameKey: string;
  width: number;
  height: number;
  format: PixelFormat;
  times: StageTimes;
  /** Model name that produced the detections. */
  model: string;
  detections: Detection[];
  faces?: FaceObservation[];
}

/** Object as seen on the outside surface (CONTRACT.md). */
export interface AlertObject {
  trackId: number;
  label: string;
  score: number;
  box: Box;
}

/** WebSocket `detections` topic message. */
export interface DetectionsMessage {
  type: 'detections';
  camera: string;
  seq: number;
  capturedAt: string;
  objects: AlertObject[];
}

export const RULE_TYPES = [
  'zone_enter',
  'zone_exit',
  'line_cross',
  'loiter',
  'crowd',
  'object_left',
  'speed',
  'face_match',
  'face_unknown',
  'camera_down',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AlertEventKind = 'start' | 'update' | 'end';

/** What a rule says about its condition; carried by the rules' conditions and by the alerts they raise. */
export interface AlertDetails {
  count?: number;
  direction?: 'a_to_b' | 'b_to_a';
  /** Per-direction totals for line_cross rules. */
  counts?: { a_to_b: number; b_to_a: number };
  zone?: string;
  line?: string;
  face?: { identity: string; name: string; distance: number };
}

/** An alert as stored and sent (CONTRACT.md). */
export interface Alert extends AlertDetails {
  /** Redis stream id of the alert's start event. */
  id: string;
  rule: string;
  type: RuleType;
  camera: string;
  severity: Severity;
  state: 'active' | 'ended';
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
  objects: AlertObject[];
  snapshot: string;
  latencyMs: number;
  /** Set by the API when an operator acknowledged or dismissed the alert (not stored in the stream). */
  ack?: AlertAck;
}

/** An operator's acknowledgement of an alert (POST /api/alerts/:id/ack). */
export interface AlertAck {
  action: 'acknowledged' | 'dismissed';
  /** Token name of the operator. */
  by: string;
  /** ISO time. */
  at: string;
}

/** WebSocket `alert` message; `id` is the stream id of this event, usable as `since` to resume. */
export interface AlertMessage {
  type: 'alert';
  event: AlertEventKind;
  id: string;
  alert: Alert;
}

/** WebSocket `hello` message. */
export interface HelloMessage {
  type: 'hello';
  version: string;
  cameras: string[];
}

/** WebSocket `error` message. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

export type ServerMessage = HelloMessage | AlertMessage | CameraStateMessage | DetectionsMessage | ErrorMessage;

/** Camera status as stored in Redis and answered by GET /api/cameras. */
export interface CameraStatus {
  id: string;
  name: string;
  state: CameraState;
  reason?: string;
  lastFrameAt: string | null;
  fps: { ingest: number; detect: number };
  dropped: number;
}
