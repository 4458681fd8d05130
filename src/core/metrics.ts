/**
 * Every Prometheus metric of Vigil, defined once. Stages ask for their group (`ingestMetrics(ctx.metrics)`, …); a
 * group is registered on a registry the first time it is asked for, so a process exposes the metrics of the stages
 * it runs and no others (an api-only process has no `vigil_ingest_*`). Asking again returns the same objects, so
 * stages of one process share them (the frame drop counter is counted by ingest and detect alike).
 *
 * Naming follows Prometheus's conventions (`promtool check metrics` passes: counters end in `_total`, nothing else
 * does, units in the name). The process's own metrics are the standard `process_*` and `nodejs_*` ones, without
 * prom-client's `nodejs_active_*_total` gauges (they repeat `nodejs_active_*` and break the `_total` rule).
 *
 * Cardinality: labels hold camera ids, rule ids, model file names, webhook names and fixed enums, never free text.
 * Per camera a process exposes about 100 series (ingest: 15, detect: 2 + 4 latency stages × 12, track: 3 + 2 latency
 * stages × 12 + alerts per rule and event), so 100 cameras are about 10,000 series; latency histograms have 9 buckets
 * for that reason. docs/api.md lists every metric.
 *
 * Over 350 lines on purpose: every metric name, help text and label set in one file, so that they are reviewed
 * together against Prometheus's conventions and docs/api.md (GET /metrics).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CAMERA_STATES, type CameraState } from './types';

/**
 * Why a frame was dropped (`vigil_frames_dropped_total{reason}`); docs/pipeline.md's table documents each one (a test
 * keeps them equal).
 */
export const DROP_REASONS = ['superseded', 'lease', 'redis_error', 'stale', 'no_model', 'no_frame', 'owner_gone', 'timeout'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Steps of a frame measured from its capture (`vigil_stage_latency_seconds{stage}`): queued (its ticket queued),
 * picked (a detect worker bound it), inferred, published (detections in the stream), tracked (the tracker processed
 * it), alert (an alert it started was written).
 */
export const LATENCY_STAGES = ['queued', 'picked', 'inferred', 'published', 'tracked', 'alert'] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

/** Buckets of the capture → stage histograms (seconds): few, because each camera and stage has them all. */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const groups = new WeakMap<Registry, Map<string, unknown>>();

/** The group `name` of `reg`, made (and registered) on first use. */
function group<T>(reg: Registry, name: string, make: (registers: Registry[]) => T): T {
  let g = groups.get(reg);
  if (!g) {
    g = new Map();
    groups.set(reg, g);
  }
  if (!g.has(name)) {
    g.set(name, make([reg]));
  }
  return g.get(name) as T;
}

// ---- every process -------------------------------------------------------------------------------------------

/** prom-client default metrics that are gauges named `_total` (promtool refuses them; `nodejs_active_*` remain). */
const BAD_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Messages from other stages refused where they entered (core/message-schemas.ts). */
export interface MessageMetrics {
  invalid: Counter<'stage' | 'message'>;
}

/** `vigil_messages_invalid_total{stage, message}`: messages read from Redis that failed their schema, skipped. */
export function messageMetrics(reg: Registry): MessageMetrics {
  return group(reg, 'messages', (registers) => ({
    invalid: new Counter({
      name: 'vigil_messages_invalid_total',
      help: 'Messages read from Redis that were not valid (not JSON or not of their schema) and were skipped, by reading stage and message',
      labelNames: ['stage', 'message'],
      registers,
    }),
  }));
}

/** What every process exposes about itself. */
export interface ProcessMetrics {
  info: Gauge<'version' | 'roles' | 'instance'>;
  /** 1 when the stage of this role is ready (its readiness has no reason), else 0. */
  ready: Gauge<'role'>;
}

/**
 * Registers the metrics of the process itself: `vigil_info`, `vigil_ready{role}` (read at scrape time from
 * `readiness`) and, unless `defaultMetrics` is false, Node's and the process's standard metrics.
 */
export function processMetrics(
  reg: Registry,
  options: { version: string; roles: readonly string[]; instance: string; defaultMetrics?: boolean; readiness?: () => Map<string, string[]> },
): ProcessMetrics {
  return group(reg, 'process', (registers) => {
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: reg });
      for (const name of BAD_DEFAULTS) {
        reg.removeSingleMetric(name);
      }
    }
    const info = new Gauge({ name: 'vigil_info', help: 'Always 1: this Vigil process, its version, roles and instance id', labelNames: ['version', 'roles', 'instance'], registers });
    info.set({ version: options.version, roles: [...options.roles].sort().join(','), instance: options.instance }, 1);
    const readiness = options.readiness;
    const ready = new Gauge({
      name: 'vigil_ready',
      help: '1 when the stage of this role in this process is ready (GET /readyz), else 0',
      labelNames: ['role'],
      registers,
      collect() {
        if (readiness) {
          for (const [role, reasons] of readiness()) {
            this.set({ role }, reasons.length === 0 ? 1 : 0);
          }
        }
      },
    });
    return { info, ready };
  });
}

/** Redis as this process sees it (core/redis-health.ts). */
export interface RedisMetrics {
  dataLost: Counter<string>;
  warnings: Gauge<string>;
}

export function redisMetrics(reg: Registry, warnings?: () => number): RedisMetrics {
  return group(reg, 'redis', (registers) => ({
    dataLost: new Counter({ name: 'vigil_redis_data_lost_total', help: 'Times this process found that Redis had lost its data', registers }),
    warnings: new Gauge({
      name: 'vigil_redis_warnings',
      help: 'Warnings about the shared Redis in /readyz now (data lost, no persistence, eviction policy other than noeviction)',
      registers,
      collect() {
        if (warnings) {
          this.set(warnings());
        }
      },
    }),
  }));
}

/** The lease keeper (core/leases.ts). */
export interface LeaseMetrics {
  late: Histogram<string>;
  round: Histogram<string>;
  lost: Counter<'stage' | 'reason'>;
  held: Gauge<'stage'>;
}

export function leaseMetrics(reg: Registry): LeaseMetrics {
  return group(reg, 'leases', (registers) => ({
    late: new Histogram({ name: 'vigil_lease_round_lateness_seconds', help: 'How late lease renewal rounds start', buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers }),
    round: new Histogram({ name: 'vigil_lease_round_seconds', help: 'Round trip of one lease renewal round (all leases of the process)', buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 1], registers }),
    lost: new Counter({ name: 'vigil_leases_lost_total', help: 'Leases suspended (renewal too late) or lost (another owner)', labelNames: ['stage', 'reason'], registers }),
    held: new Gauge({ name: 'vigil_leases_held', help: 'Leases this process holds', labelNames: ['stage'], registers }),
  }));
}

// ---- pipeline ----------------------------------------------------------------------------------------------------

/** Frames dropped, by camera and reason (ingest and detect count here). */
export function dropMetric(reg: Registry): Counter<'camera' | 'reason'> {
  return group(reg, 'drops', (registers) =>
    new Counter({ name: 'vigil_frames_dropped_total', help: 'Frames dropped per camera and reason (docs/pipeline.md)', labelNames: ['camera', 'reason'], registers }),
  );
}

/** Capture → stage latency, by camera and stage (detect and track observe here). */
export function latencyMetric(reg: Registry): Histogram<'camera' | 'stage'> {
  return group(reg, 'latency', (registers) =>
    new Histogram({
      name: 'vigil_stage_latency_seconds',
      help: 'Time from a frame\'s capture to the end of a stage (queued, picked, inferred, published, tracked, alert), per camera',
      labelNames: ['camera', 'stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  );
}

/** The ingest stage. */
export interface IngestMetrics {
  framesTotal: Counter<'camera'>;
  droppedTotal: Counter<'camera' | 'reason'>;
  queueDepth: Gauge<'camera'>;
  cameraState: Gauge<'camera' | 'state'>;
  ingestFps: Gauge<'camera'>;
  restartsTotal: Counter<'camera'>;
  corruptTotal: Counter<'camera'>;
}

export function ingestMetrics(reg: Registry): IngestMetrics {
  return group(reg, 'ingest', (registers) => ({
    framesTotal: new Counter({ name: 'vigil_ingest_frames_total', help: 'Frames received from FFmpeg per camera', labelNames: ['camera'], registers }),
    droppedTotal: dropMetric(reg),
    queueDepth: new Gauge({ name: 'vigil_queue_depth', help: 'Frames of a camera being detected plus its ticket waiting', labelNames: ['camera'], registers }),
    cameraState: new Gauge({ name: 'vigil_camera_state', help: '1 for the current state of each camera ingested here, 0 for the others', labelNames: ['camera', 'state'], registers }),
    ingestFps: new Gauge({ name: 'vigil_ingest_fps', help: 'Frames per second received from FFmpeg per camera', labelNames: ['camera'], registers }),
    restartsTotal: new Counter({ name: 'vigil_ingest_restarts_total', help: 'FFmpeg respawns per camera', labelNames: ['camera'], registers }),
    corruptTotal: new Counter({
      name: 'vigil_frames_corrupt_total',
      help: 'Corrupt or missing frames per camera: FFmpeg reported a damaged packet or frame, skipped or concealed it and went on',
      labelNames: ['camera'],
      registers,
    }),
  }));
}

/** Sets the state gauge of a camera (one state 1, the others 0). */
export function setStateGauge(m: IngestMetrics, camera: string, state: CameraState): void {
  for (const s of CAMERA_STATES) {
    m.cameraState.set({ camera, state: s }, s === state ? 1 : 0);
  }
}

/** Removes every ingest series of a camera (it was removed from the config). */
export function removeCameraSeries(m: IngestMetrics, camera: string): void {
  m.framesTotal.remove({ camera });
  m.queueDepth.remove({ camera });
  m.ingestFps.remove({ camera });
  m.restartsTotal.remove({ camera });
  m.corruptTotal.remove({ camera });
  for (const s of CAMERA_STATES) {
    m.cameraState.remove({ camera, state: s });
  }
  for (const reason of DROP_REASONS) {
    m.droppedTotal.remove({ camera, reason });
  }
}

/** The detect stage. */
export interface DetectMetrics {
  framesTotal: Counter<'camera'>;
  detectFps: Gauge<'camera'>;
  droppedTotal: Counter<'camera' | 'reason'>;
  inferenceSeconds: Histogram<'model' | 'device'>;
  stageLatency: Histogram<'camera' | 'stage'>;
  batchSize: Histogram<'model' | 'device'>;
  workerSeconds: Counter<'model' | 'step'>;
  /** Frames whose pixels this process holds for a tracker elsewhere (core/held-frames.ts). */
  heldFrames: Gauge;
  /** Held frames given back before their tracker released them. */
  heldEvicted: Counter;
  /** 1 while a detector is loaded in this process (0: frames cannot be detected here; /readyz says why). */
  loaded: Gauge<'model' | 'device'>;
}

export function detectMetrics(reg: Registry): DetectMetrics {
  return group(reg, 'detect', (registers) => ({
    framesTotal: new Counter({ name: 'vigil_detect_frames_total', help: 'Frames detected per camera', labelNames: ['camera'], registers }),
    detectFps: new Gauge({ name: 'vigil_detect_fps', help: 'Frames per second detected per camera by this process', labelNames: ['camera'], registers }),
    droppedTotal: dropMetric(reg),
    inferenceSeconds: new Histogram({ name: 'vigil_inference_seconds', help: 'Model inference time per batch, by model file and device (cpu, cuda)', labelNames: ['model', 'device'], buckets: [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.2, 0.5, 1], registers }),
    stageLatency: latencyMetric(reg),
    workerSeconds: new Counter({ name: 'vigil_detect_worker_seconds_total', help: 'Time inference workers spent per step (pre = resize/letterbox, infer, post = decode/NMS)', labelNames: ['model', 'step'], registers }),
    batchSize: new Histogram({ name: 'vigil_detect_batch_size', help: 'Frames per inference', labelNames: ['model', 'device'], buckets: [1, 2, 4, 8, 16, 32], registers }),
    heldFrames: new Gauge({ name: 'vigil_detect_held_frames', help: 'Detected frames whose pixels this process holds for a tracker in another process', registers }),
    heldEvicted: new Counter({ name: 'vigil_detect_held_evicted_total', help: 'Held frames given back before their tracker released them (tracker gone or far behind: its snapshots of them are lost)', registers }),
    loaded: new Gauge({ name: 'vigil_detector_loaded', help: '1 while the detector model is loaded in this process, 0 while it is not (see /readyz)', labelNames: ['model', 'device'], registers }),
  }));
}

/** The face stage (runs inside detect). */
export interface FaceMetrics {
  seconds: Histogram<'step'>;
  facesTotal: Counter<'camera' | 'result'>;
}

export function faceMetrics(reg: Registry): FaceMetrics {
  return group(reg, 'faces', (registers) => ({
    seconds: new Histogram({ name: 'vigil_face_stage_seconds', help: 'Face stage time per frame, by step (detect, landmarks, embed, total)', labelNames: ['step'], buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], registers }),
    facesTotal: new Counter({ name: 'vigil_faces_total', help: 'Faces seen by the face stage, by camera and result (match, unknown)', labelNames: ['camera', 'result'], registers }),
  }));
}

/** The track stage. */
export interface TrackMetrics {
  alertsTotal: Counter<'camera' | 'rule' | 'type' | 'event'>;
  lateFrames: Counter<'camera'>;
  framesTotal: Counter<'camera'>;
  tracks: Gauge<'camera'>;
  tracksCreated: Counter<'camera'>;
  stageLatency: Histogram<'camera' | 'stage'>;
}

export function trackMetrics(reg: Registry): TrackMetrics {
  return group(reg, 'track', (registers) => ({
    alertsTotal: new Counter({ name: 'vigil_alerts_total', help: 'Alert events written, by camera, rule, rule type and event (start, update, end)', labelNames: ['camera', 'rule', 'type', 'event'], registers }),
    lateFrames: new Counter({ name: 'vigil_tracker_late_frames_total', help: 'Detection results dropped as too late to reorder', labelNames: ['camera'], registers }),
    framesTotal: new Counter({ name: 'vigil_tracker_frames_total', help: 'Detection results processed by the tracker per camera', labelNames: ['camera'], registers }),
    tracks: new Gauge({ name: 'vigil_tracker_tracks', help: 'Objects tracked in the camera\'s newest processed frame', labelNames: ['camera'], registers }),
    tracksCreated: new Counter({ name: 'vigil_tracker_tracks_created_total', help: 'Track ids handed out per camera (new objects)', labelNames: ['camera'], registers }),
    stageLatency: latencyMetric(reg),
  }));
}

// ---- api -----------------------------------------------------------------------------------------------------------

/** HTTP authentication (api/server.ts, the WebSocket hub). */
export interface AuthMetrics {
  failures: Counter<string>;
  refused: Counter<string>;
}

export function authMetrics(reg: Registry): AuthMetrics {
  return group(reg, 'auth', (registers) => ({
    failures: new Counter({ name: 'vigil_api_auth_failures_total', help: 'Requests and WebSocket upgrades refused 401 (no or unknown token)', registers }),
    refused: new Counter({ name: 'vigil_api_auth_blocked_total', help: 'Requests and WebSocket upgrades refused 429 after too many failed authentications', registers }),
  }));
}

/** The WebSocket hub. */
export interface WsMetrics {
  clients: Gauge<string>;
  cutoffs: Counter<'reason'>;
  droppedDetections: Counter<string>;
  rejected: Counter<string>;
}

export function wsMetrics(reg: Registry): WsMetrics {
  return group(reg, 'ws', (registers) => ({
    clients: new Gauge({ name: 'vigil_ws_clients', help: 'Connected WebSocket clients', registers }),
    cutoffs: new Counter({ name: 'vigil_ws_cutoff_total', help: 'WebSocket clients cut off (slow: send buffer full; dead: missed a pong)', labelNames: ['reason'], registers }),
    droppedDetections: new Counter({ name: 'vigil_ws_detections_dropped_total', help: 'Detections messages not sent to slow WebSocket clients', registers }),
    rejected: new Counter({ name: 'vigil_ws_messages_rejected_total', help: 'Malformed WebSocket client messages answered with an error', registers }),
  }));
}

/** Webhook delivery. */
export interface WebhookMetrics {
  delivered: Counter<'webhook'>;
  failed: Counter<'webhook'>;
  dead: Counter<'webhook'>;
  lost: Counter<'webhook'>;
  recreated: Counter<string>;
  disabled: Gauge<'webhook'>;
}

export function webhookMetrics(reg: Registry): WebhookMetrics {
  return group(reg, 'webhooks', (registers) => ({
    delivered: new Counter({ name: 'vigil_webhook_deliveries_total', help: 'Webhook deliveries accepted by the receiver', labelNames: ['webhook'], registers }),
    failed: new Counter({ name: 'vigil_webhook_failures_total', help: 'Failed webhook attempts (retried or dead-lettered)', labelNames: ['webhook'], registers }),
    dead: new Counter({ name: 'vigil_webhook_dead_letters_total', help: 'Webhook deliveries moved to the dead-letter list', labelNames: ['webhook'], registers }),
    lost: new Counter({ name: 'vigil_webhook_lost_total', help: 'Webhook deliveries lost with Redis data (no payload left to send)', labelNames: ['webhook'], registers }),
    recreated: new Counter({ name: 'vigil_webhook_recreated_total', help: 'Webhook delivery jobs re-created by the reconciler', registers }),
    disabled: new Gauge({ name: 'vigil_webhook_endpoint_disabled', help: '1 while a webhook endpoint is disabled (410 Gone or an admin)', labelNames: ['webhook'], registers }),
  }));
}

/** MQTT publishing (sinks/mqtt.ts). `kind`: alert, state, count, discovery, availability. */
export interface MqttMetrics {
  published: Counter<'kind'>;
  failures: Counter<'kind'>;
  coalesced: Counter<string>;
  connected: Gauge<string>;
}

export function mqttMetrics(reg: Registry): MqttMetrics {
  return group(reg, 'mqtt', (registers) => ({
    published: new Counter({ name: 'vigil_mqtt_messages_total', help: 'MQTT messages the broker accepted, by kind (alert, state, count, discovery, availability)', labelNames: ['kind'], registers }),
    failures: new Counter({ name: 'vigil_mqtt_failures_total', help: 'MQTT publishes that failed or timed out (alerts are retried from the stream), by kind', labelNames: ['kind'], registers }),
    coalesced: new Counter({ name: 'vigil_mqtt_updates_coalesced_total', help: 'Alert update events not sent on their own (within mqtt.updateIntervalSeconds of the last one; the newest is sent)', registers }),
    connected: new Gauge({ name: 'vigil_mqtt_connected', help: '1 while connected to the MQTT broker', registers }),
  }));
}
