/**
 * Every message that crosses a queue, a Redis channel or a socket. Stages meet only through these shapes.
 * Times are unix epoch milliseconds inside the system and ISO strings on the outside surface (docs/api.md).
 *
 * Over 350 lines on purpose: every message type in one file, so that the boundary between stages reads in one place.
 */

/** Roles a process can run; `all` runs every one. */
export const ROLES = ['ingest', 'detect', 'track', 'api'] as const;
export type Role = (typeof ROLES)[number];

/** A box in frame fractions: [x1, y1, x2, y2], origin top-left, 0..1. */
export type Box = [number, number, number, number];
/** A point in frame fractions. */
export type Point = [number, number];

/** `stopped`: the process that ingested the camera stopped cleanly (no other process has taken it yet). */
export const CAMERA_STATES = ['starting', 'streaming', 'stalled', 'reconnecting', 'failed', 'stopped'] as const;
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
 * The BullMQ job of the frames queue: a ticket, not a frame. A camera has at most one ticket waiting at a time; the
 * detect worker that takes it binds the camera's NEWEST frame at that moment (late binding), from the ingest process
 * `owner`: from memory when that is its own process, else through a frame request to the owner. Tickets wait in
 * order, so cameras are served fairly (the one waiting longest first), and a frame that no worker asked for before a
 * newer one replaced it costs nothing beyond its decoding.
 */
export interface FrameTicket {
  camera: string;
  /** Instance id of the ingest process holding the camera's frames. */
  owner: string;
  /** When the ticket was queued (epoch ms). */
  queuedAt: number;
}

/** Checks a ticket read from the queue (it crossed Redis: never trusted as typed). */
export function isFrameTicket(v: unknown): v is FrameTicket {
  const t = v as FrameTicket;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof t.camera === 'string' &&
    t.camera.length > 0 &&
    typeof t.owner === 'string' &&
    t.owner.length > 0 &&
    Number.isFinite(t.queuedAt)
  );
}

/** A frame bound to a ticket: what a detect worker works on. The pixels travel beside it, never inside JSON. */
export interface FrameJob {
  camera: string;
  /** Per-camera sequence number, increasing by one for each frame that ffmpeg produced. */
  seq: number;
  /** Capture time (epoch ms), taken when the frame's last byte left ffmpeg. */
  capturedAt: number;
  /** When the frame became eligible for detection: its ticket's queue time, or its capture if later (epoch ms). */
  queuedAt: number;
  /** Name of the frame (`keys.frame`): its Redis key when its pixels are stored there. */
  key: string;
  width: number;
  height: number;
  format: PixelFormat;
}

/** Checks a frame description that crossed Redis (a frame served by another process). */
export function isFrameJob(v: unknown): v is FrameJob {
  const f = v as FrameJob;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof f.camera === 'string' &&
    Number.isSafeInteger(f.seq) &&
    Number.isFinite(f.capturedAt) &&
    Number.isFinite(f.queuedAt) &&
    typeof f.key === 'string' &&
    Number.isInteger(f.width) &&
    Number.isInteger(f.height) &&
    f.width > 0 &&
    f.height > 0 &&
    f.format === 'rgb24'
  );
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

/** A face found in a frame by the face stage (docs/faces.md). */
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
  /** Name of the frame (`keys.frame`); with `pixels: 'redis'` its pixels are stored under it (with a TTL). */
  frameKey: string;
  /**
   * Where the tracker finds the frame's pixels (snapshots, live frames): `local`, in the memory of the process that
   * published the result (its own track stage owns the camera); `redis`, under `frameKey` (detect processes of
   * earlier versions); absent: see `holder`, else nowhere.
   */
  pixels?: 'local' | 'redis';
  /**
   * Instance id of the detect process that holds the frame's pixels in its memory and answers a tracker that asks
   * for them (track/held-pixels.ts). Set instead of `pixels`, so a tracker of an earlier version (which rejects
   * `pixels` values it does not know) still takes the detections and only finds no pixels.
   */
  holder?: string;
  width: number;
  height: number;
  format: PixelFormat;
  times: StageTimes;
  /** Model name that produced the detections. */
  model: string;
  detections: Detection[];
  faces?: FaceObservation[];
}

/** Object as seen on the outside surface (docs/api.md). */
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

/**
 * `clip`: the alert's video clip is ready (after its end): the event's alert carries `clip` (docs/api.md "Alert
 * clips"); it is written once per alert, and never for an alert without a clip.
 */
export type AlertEventKind = 'start' | 'update' | 'end' | 'clip';

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

/** An alert as stored and sent (docs/api.md). */
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
  /** `/api/alerts/ID/snapshot.jpg` when a snapshot was stored; absent when none was (no frame to show). */
  snapshot?: string;
  /** `/api/alerts/ID/clip.mp4` once the alert's clip is ready (the `clip` event); absent before and without one. */
  clip?: string;
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
  /** The operator's note (what they saw, what they did); absent when none was given. */
  note?: string;
}

/** One entry of the alert event stream (`keys.alertEvents`). `id` is the stream id of this event (usable as `since`). */
export interface AlertEventEntry {
  id: string;
  event: AlertEventKind;
  alert: Alert;
}

/** WebSocket `alert` message; `id` is the stream id of this event, usable as `since` to resume. */
export interface AlertMessage {
  type: 'alert';
  event: AlertEventKind;
  id: string;
  alert: Alert;
}

/** Published on `keys.channels.system` and sent to every WebSocket client: something every operator must know. */
export interface SystemMessage {
  type: 'system';
  /** `redis_data_lost`: Redis came back without the data Vigil had stored (alert history, watchlist, deliveries). */
  event: 'redis_data_lost';
  message: string;
  /** ISO time. */
  at: string;
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

export type ServerMessage = HelloMessage | AlertMessage | CameraStateMessage | DetectionsMessage | SystemMessage | ErrorMessage;

/** Camera status as stored in Redis and answered by GET /api/cameras. */
export interface CameraStatus {
  id: string;
  name: string;
  state: CameraState;
  reason?: string;
  lastFrameAt: string | null;
  fps: { ingest: number; detect: number };
  dropped: number;
  /**
   * What keeps the camera from being analysed although it may stream, e.g. `detect: no detector loaded (...)`;
   * absent when nothing is known to be wrong.
   */
  problems?: string[];
  /** Corrupt or missing frames FFmpeg reported and went past (since the camera's ingest started). */
  corrupt: number;
  /** RTSP cameras: the RTP transport in use (or being tried); `transport: auto` falls back from tcp to udp. */
  transport?: 'tcp' | 'udp';
  /**
   * Recorded cameras: the ring buffer (`on`: segments are written, `seconds` of video held; `failed`: the current
   * FFmpeg run could not write it, `reason` says why; detection goes on, the next run tries again).
   */
  recording?: { state: 'on' | 'failed'; seconds: number; reason?: string };
}

/** Track status in the tracker (src/track/byte-tracker.ts). */
export type TrackStatus = 'tentative' | 'tracked' | 'lost';

/** A track as seen by rules (a snapshot; do not keep it across frames). */
export interface TrackView {
  /** Stable id per camera; 0 while tentative. */
  id: number;
  label: string;
  /** Score of the last matched detection. */
  score: number;
  /** The matched detection's box this frame, else the Kalman prediction. */
  box: Box;
  status: TrackStatus;
  /** Matched a detection in this frame. */
  matched: boolean;
  /** Index of the matched detection in this frame's input, or -1. */
  detectionIndex: number;
  /** Capture time (ms) of the first and last frame with a matching detection. */
  firstSeen: number;
  lastSeen: number;
  /** Seconds in view (last seen − first seen). */
  timeInView: number;
  /** Feet velocity in isotropic frame units per second. */
  velocity: Point;
  /** |velocity|. */
  speed: number;
  /** Stationary (feet within stationaryRadius of an anchor) since this time (ms); -1 when moving. */
  stationarySince: number;
  /** Frames matched in total. */
  hits: number;
}

/**
 * One segment of a camera's ring buffer (`keys.recordingSegments`): a file of the original stream copied without
 * re-encoding, starting with a keyframe.
 */
export interface RecordedSegment {
  /** Path relative to the recording directory, `<camera>/<run>-<n>.ts`. */
  file: string;
  /** Wall-clock time its first packet arrived (epoch ms): the capture clock of the camera's frames. */
  startMs: number;
  /** Media duration (ms). */
  durationMs: number;
  bytes: number;
  /** Instance id of the process that recorded it (the one whose disk holds it). */
  instance: string;
}

/** Reads a segment index member (it crossed Redis: checked, never trusted as typed); undefined when invalid. */
export function parseRecordedSegment(member: string): RecordedSegment | undefined {
  try {
    const s = JSON.parse(member) as RecordedSegment;
    if (
      typeof s.file === 'string' &&
      /^[a-z0-9_-]{1,64}\/[A-Za-z0-9_-]+-\d+\.ts$/.test(s.file) &&
      Number.isFinite(s.startMs) &&
      Number.isFinite(s.durationMs) &&
      Number.isFinite(s.bytes) &&
      typeof s.instance === 'string'
    ) {
      return s;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** What became of an alert's clip (`keys.clip`). */
export type ClipRecord =
  | {
      state: 'ready';
      /** Path relative to the recording directory: `clips/<alert id>.mp4`. */
      file: string;
      bytes: number;
      /** Duration of the clip (ms). */
      durationMs: number;
      /** Wall-clock time of the clip's first frame (ISO). */
      from: string;
      /** Wall-clock time of its end (ISO). */
      to: string;
    }
  | {
      state: 'none';
      /** Why the alert has no clip, e.g. `no recording of camera door between ... and ...`. */
      reason: string;
    };
