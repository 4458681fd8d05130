/**
 * The one place that names Redis keys, channels and queues. Every name starts with the configured prefix, so
 * several deployments (and every test run) share one Redis without touching each other. A literal key string
 * anywhere else is a bug.
 */
export class Keys {
  /** Pub/sub channels. */
  readonly channels: {
    readonly camera: string;
    readonly detections: string;
    readonly config: string;
    readonly faces: string;
    readonly system: string;
  };

  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
      throw new TypeError(`redis.prefix: invalid prefix "${prefix}"`);
    }
    this.channels = {
      camera: `${prefix}:pub:camera`,
      detections: `${prefix}:pub:detections`,
      config: `${prefix}:pub:config`,
      faces: `${prefix}:pub:faces`,
      system: `${prefix}:pub:system`,
    };
  }

  /** BullMQ prefix (BullMQ adds `:<queue>:...`). */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }

  /** Queue names (used with `bullPrefix`). */
  readonly queues = {
    frames: 'frames',
    webhooks: 'webhooks',
  } as const;

  /** Binary pixels of one frame. */
  frame(camera: string, seq: number): string {
    return `${this.prefix}:frame:${camera}:${seq}`;
  }

  /** List of frame requests for the ingest process `owner` (detect workers of other processes ask it for frames). */
  frameRequests(owner: string): string {
    return `${this.prefix}:frame-req:${owner}`;
  }

  /** List of frames served to the detect process `instance` (answers to its frame requests). */
  frameReplies(instance: string): string {
    return `${this.prefix}:frame-rep:${instance}`;
  }

  /**
   * List of pixel requests for the detect process `holder`: trackers of other processes ask it for the pixels of a
   * frame it detected (snapshots, live frames) and tell it which frames they are done with (track/held-pixels.ts).
   */
  pixelRequests(holder: string): string {
    return `${this.prefix}:pixel-req:${holder}`;
  }

  /** List of pixels served to the tracking process `instance` (answers to its pixel requests). */
  pixelReplies(instance: string): string {
    return `${this.prefix}:pixel-rep:${instance}`;
  }

  /** The newest annotated JPEG of a camera, written by its tracker while someone watches (short TTL). */
  liveFrame(camera: string): string {
    return `${this.prefix}:live:${camera}`;
  }

  /**
   * The newest plain JPEG of a camera (no boxes), written by the process that ingests it while someone watches (short
   * TTL): frame.jpg's answer when no annotated frame is there (no detector loaded, tracker elsewhere and late).
   */
  liveRawFrame(camera: string): string {
    return `${this.prefix}:live-raw:${camera}`;
  }

  /** Hash of the MQTT sink's retained counts: `<camera>` and `<camera>/<rule>` → alerts started. */
  get mqttCounts(): string {
    return `${this.prefix}:mqtt:counts`;
  }

  /** Set (a day) once the MQTT sink counted the start event `eventId`: a redelivered event is not counted twice. */
  mqttCounted(eventId: string): string {
    return `${this.prefix}:mqtt:counted:${eventId}`;
  }

  /** Hash: instance id → JSON heartbeat of each running process (roles, readiness; core/instances.ts). */
  get instances(): string {
    return `${this.prefix}:instances`;
  }

  /**
   * Pub/sub channel (binary messages, core/live-frame.ts) of a camera's plain frames at its detect rate: the process
   * that ingests the camera publishes on it while anyone subscribes (PUBSUB NUMSUB), i.e. while a live view is open.
   */
  liveChannel(camera: string): string {
    return `${this.prefix}:pub:live:${camera}`;
  }

  /** Set (with a TTL) while someone watches a camera: its tracker renders live frames meanwhile. */
  liveWanted(camera: string): string {
    return `${this.prefix}:live-wanted:${camera}`;
  }

  /** Hash with the live status of a camera (state, reason, lastFrameAt, fps, dropped). */
  cameraStatus(camera: string): string {
    return `${this.prefix}:camera:${camera}`;
  }

  /** Set of known camera ids (with a status hash). */
  get cameraIndex(): string {
    return `${this.prefix}:cameras`;
  }

  /** Hash camera id -> JSON camera config set at run time through the API ("null" = deleted). */
  get cameraOverrides(): string {
    return `${this.prefix}:camera-overrides`;
  }

  /** Stream of detection results for one camera, consumed in order by the tracker. */
  detections(camera: string): string {
    return `${this.prefix}:det:${camera}`;
  }

  /** Lease key: one process owns a camera for a role (ingest, track). */
  lease(role: string, camera: string): string {
    return `${this.prefix}:lease:${role}:${camera}`;
  }

  /** Stream of every alert event (start/update/end). The stream id of a start entry is the alert id. */
  get alertEvents(): string {
    return `${this.prefix}:alert-events`;
  }

  /** Latest state of one alert (JSON). */
  alert(id: string): string {
    return `${this.prefix}:alert:${id}`;
  }

  /** JPEG snapshot of one alert. */
  snapshot(id: string): string {
    return `${this.prefix}:snapshot:${id}`;
  }

  /**
   * Sorted set of a camera's recorded ring-buffer segments (score: wall-clock start, ms; member: a RecordedSegment
   * as JSON), written by the process that records it, read by the one that cuts alert clips.
   */
  recordingSegments(camera: string): string {
    return `${this.prefix}:rec-segments:${camera}`;
  }

  /** What became of an alert's clip (a ClipRecord as JSON), with the alert's TTL. */
  clip(id: string): string {
    return `${this.prefix}:clip:${id}`;
  }

  /** Sorted set of alert ids with a clip file, by the clip's size-weighted age (clip retention by size). */
  get clipIndex(): string {
    return `${this.prefix}:clips`;
  }

  /** Sorted set of alert ids by start time (for queries and retention). */
  get alertIndex(): string {
    return `${this.prefix}:alerts`;
  }

  /** Per-track rule engine state of a camera (for failover). */
  trackState(camera: string): string {
    return `${this.prefix}:track-state:${camera}`;
  }

  /** Watchlist: hash identity id -> JSON {id, name, embeddings}. */
  get faces(): string {
    return `${this.prefix}:faces`;
  }

  /** Unknown-face embeddings (only when configured), with a TTL. */
  unknownFace(id: string): string {
    return `${this.prefix}:unknown-face:${id}`;
  }

  /** Webhook dead-letter list. */
  get webhookDeadLetters(): string {
    return `${this.prefix}:webhook-dlq`;
  }

  /** Webhook delivery ledger: hash delivery id -> JSON state (pending/delivered/dead), plus its epoch field. */
  get webhookLedger(): string {
    return `${this.prefix}:webhook-ledger`;
  }

  /** Alert event id below which every webhook delivery is settled (the ledger is pruned below it). */
  get webhookMark(): string {
    return `${this.prefix}:webhook-mark`;
  }

  /** Hash webhook name -> JSON of a disabled endpoint (410 Gone or an admin); absent = enabled. */
  get webhookEndpoints(): string {
    return `${this.prefix}:webhook-endpoints`;
  }

  /** Short lock: one webhook reconciler pass at a time across processes; `webhookLock('promote:soc')`. */
  webhookLock(name: string): string {
    return `${this.prefix}:webhook-lock:${name}`;
  }

  /** Hash alert id -> JSON {action, by, at}: operator acknowledgements from the dashboard (api). */
  get alertAcks(): string {
    return `${this.prefix}:alert-acks`;
  }

  /** Capped stream of audit entries: every change made through the API and every configuration reload. */
  get audit(): string {
    return `${this.prefix}:audit`;
  }

  /** Counter bumped by every alert acknowledgement (cache key of GET /api/alerts answers). */
  get alertAcksVersion(): string {
    return `${this.prefix}:alert-acks-version`;
  }


  /** Written at the first start on a Redis: a process that finds it gone or changed knows Redis lost its data. */
  get epoch(): string {
    return `${this.prefix}:epoch`;
  }

  /** Every key of this prefix (tests clean up with it). */
  get all(): string {
    return `${this.prefix}:*`;
  }
}
