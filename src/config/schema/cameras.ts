import { z } from 'zod';
import { registerUrlSecrets } from '../../core/redact';
import { parseSourceUrl } from '../../core/source-url';
import { fraction, id, point } from './common';
import { cameraRecordingSchema } from './recording';

export const zoneSchema = z.strictObject({
  id,
  /** Polygon in frame fractions, at least 3 points. */
  polygon: z.array(point).min(3, 'a zone needs at least 3 points'),
});

export const lineSchema = z.strictObject({
  id,
  /** Two points [a, b] in frame fractions; directions a_to_b / b_to_a are relative to them. */
  points: z.tuple([point, point], { error: 'a line is two points [[x, y], [x, y]]' }),
});

/** Live sources: realtime: false makes no sense for them. */
const LIVE = /^(rtsps?|rtmps?|https?|udp|srt):\/\//i;
/** Fastest snapshot rate: each frame is a new HTTP request the camera answers with a fresh JPEG. */
export const MAX_SNAPSHOT_FPS = 5;

/**
 * A camera source's syntax, parsed structurally (src/core/source-url.ts); its credentials are registered for
 * redaction as soon as it is seen. Which sources are allowed is the policy's job (src/config/source-policy.ts).
 */
const sourceUrl = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .superRefine((url, ctx) => {
    const p = parseSourceUrl(url);
    if (!p.ok) {
      ctx.addIssue({ code: 'custom', message: p.message });
      return;
    }
    registerUrlSecrets(url);
  });

const cameraObject = z.strictObject({
  id,
  /** Display name. @defaultValue the id */
  name: z.string().max(200).optional(),
  /** rtsp(s)://, http(s):// (MJPEG, HLS .m3u8, MPEG-TS; a JPEG per request with `snapshot: true`), rtmp://, udp:// or srt:// URL (credentials allowed, never logged; percent-encode / ? # in them), file path or file:/// URL; which sources are allowed: see `sources`. */
  url: sourceUrl,
  /** Ingest and analyse this camera; false keeps it in the file but stopped. @defaultValue true */
  enabled: z.boolean().default(true),
  /** RTSP transport: auto tries TCP first and falls back to UDP when the server refuses TCP (461) or sends nothing over it; GET /api/cameras shows the one in use. @defaultValue auto */
  transport: z.enum(['auto', 'tcp', 'udp'], { error: 'must be auto, tcp or udp' }).default('auto'),
  /** Network streams: frame times from the stream (`stream`), from their arrival (`wallclock`: MJPEG, HTTP cameras without reliable timestamps) or from the stream read at real-time pace (`paced`: HLS and other bursty sources); `auto`: paced for .m3u8/.mpd URLs, wallclock for other http(s) URLs, stream for the rest. Files use `realtime`. @defaultValue auto */
  timing: z.enum(['auto', 'stream', 'wallclock', 'paced'], { error: 'must be auto, stream, wallclock or paced' }).default('auto'),
  /** The http(s) URL serves one JPEG per request (an ONVIF-style snapshot URI): it is fetched detect.fps times a second (at most 5). @defaultValue false */
  snapshot: z.boolean().default(false),
  /** Loop file inputs; false plays a file once, then the camera is failed with reason "end of file" (not restarted). @defaultValue true */
  loop: z.boolean().default(true),
  /** File inputs only: play at real-time speed like a camera (true), or as fast as detection goes with no frame dropped (false: the file is paused while the frame queue is full). @defaultValue true */
  realtime: z.boolean().default(true),
  detect: z
    .strictObject({
      /** Frames per second sent to the detectors. @defaultValue 5 */
      fps: z.number({ error: 'must be a number between 0.1 and 60' }).min(0.1, 'must be a number between 0.1 and 60').max(60, 'must be a number between 0.1 and 60').default(5),
      /** Width of the frames ffmpeg produces (height keeps the aspect ratio). @defaultValue 640 */
      width: z.number().int().min(64).max(3840).default(640),
      /** Height; omitted = from the aspect ratio. */
      height: z.number().int().min(64).max(2160).optional(),
    })
    .prefault({}),
  /** No frame for this long: stalled, ffmpeg is killed and restarted. @defaultValue 5 */
  stallSeconds: z.number().min(1).max(300).default(5),
  /** Frames of this camera waiting for or in detection at once; older ones are dropped. @defaultValue 2 */
  maxInFlight: z.number().int().min(1).max(64).default(2),
  /** Longest a detected frame's pixels are held for the camera's tracker in another process (pipeline.md, "Where the pixels go"). @defaultValue 30 */
  frameTtlSeconds: z.number().int().min(2).max(3600).default(30),
  zones: z.array(zoneSchema).default([]),
  lines: z.array(lineSchema).default([]),
  faces: z
    .strictObject({
      /** Face detection/recognition on this camera (privacy: off by default). @defaultValue false */
      enabled: z.boolean().default(false),
    })
    .prefault({}),
  /** This camera's ring buffer and clips, overriding the `recording` section (enabled, segmentSeconds, maxMb). */
  recording: cameraRecordingSchema,
});

/** One camera, as in the config file and in PUT /api/cameras/:id (the same checks for both). */
export const cameraSchema = cameraObject.superRefine(
  (cam, ctx) => {
    // Runs even when other fields of the camera failed (`when`), so every problem is reported at once: the value may
    // hold fields as written, hence the type checks.
    const url = typeof cam.url === 'string' ? cam.url : undefined;
    if (cam.realtime === false && url !== undefined && LIVE.test(url)) {
      ctx.addIssue({ code: 'custom', path: ['realtime'], message: 'realtime: false is only for file inputs (a live stream cannot be paused)' });
    }
    if (cam.snapshot === true && url !== undefined && !/^https?:\/\//i.test(url)) {
      ctx.addIssue({ code: 'custom', path: ['snapshot'], message: 'snapshot: true needs an http(s):// URL that answers each request with a JPEG' });
    }
    const fps = (cam.detect as { fps?: unknown } | undefined)?.fps;
    if (cam.snapshot === true && typeof fps === 'number' && fps > MAX_SNAPSHOT_FPS) {
      ctx.addIssue({
        code: 'custom',
        path: ['detect', 'fps'],
        message: `a snapshot camera is fetched at most ${MAX_SNAPSHOT_FPS} times a second (use its video stream for more)`,
      });
    }
    if (cam.timing !== undefined && cam.timing !== 'auto' && url !== undefined && (!LIVE.test(url) || /^rtsps?:/i.test(url) || cam.snapshot === true)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timing'],
        message: /^rtsps?:/i.test(url)
          ? 'timing is for http(s), rtmp, udp and srt streams (RTSP carries reliable timestamps)'
          : cam.snapshot === true
            ? 'timing does not apply to snapshot cameras (each frame is fetched at detect.fps)'
            : 'timing is for network streams; files use realtime',
      });
    }
    if (cam.transport !== undefined && cam.transport !== 'auto' && url !== undefined && !/^rtsps?:/i.test(url)) {
      ctx.addIssue({ code: 'custom', path: ['transport'], message: 'transport is for rtsp:// cameras only' });
    }
    const dup = (kind: 'zones' | 'lines') => {
      const seen = new Set<string>();
      const items: unknown = cam[kind];
      if (!Array.isArray(items)) {
        return;
      }
      items.forEach((x: unknown, i) => {
        const xid = typeof x === 'object' && x !== null ? (x as { id?: unknown }).id : undefined;
        if (typeof xid !== 'string') {
          return;
        }
        if (seen.has(xid)) {
          ctx.addIssue({ code: 'custom', path: [kind, i, 'id'], message: `duplicate ${kind === 'zones' ? 'zone' : 'line'} id "${xid}"` });
        }
        seen.add(xid);
      });
    };
    dup('zones');
    dup('lines');
    const rec = cam.recording as { enabled?: unknown } | undefined;
    if (rec?.enabled === true && url !== undefined && (cam.snapshot === true || (!LIVE.test(url) && /%0?\d*d/.test(url)))) {
      ctx.addIssue({ code: 'custom', path: ['recording', 'enabled'], message: 'image and snapshot cameras cannot be recorded (there is no video stream to copy)' });
    }
  },
  { when: () => true },
);
export type CameraConfig = z.infer<typeof cameraSchema>;
export type ZoneConfig = z.infer<typeof zoneSchema>;
export type LineConfig = z.infer<typeof lineSchema>;

export const camerasSchema = z.array(cameraSchema).default([]);
export { fraction };
