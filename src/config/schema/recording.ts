import { z } from 'zod';

const mb = (min: number, max: number) =>
  z.number({ error: `must be a number of MB between ${min} and ${max}` }).min(min, `must be a number of MB between ${min} and ${max}`).max(max, `must be a number of MB between ${min} and ${max}`);
const segmentSeconds = z
  .number({ error: 'must be a number of seconds between 1 and 10' })
  .min(1, 'must be a number of seconds between 1 and 10')
  .max(10, 'must be a number of seconds between 1 and 10');

/**
 * `recording:` section: every camera's ring buffer of its original stream (copied, never re-encoded) and the alert
 * clips cut from it (docs/api.md "Alert clips").
 */
export const recordingSchema = z
  .strictObject({
    /** Keep a ring buffer of every camera's stream so that alerts get clips (cameras can opt out with cameras[].recording.enabled: false; image and snapshot cameras, and files read with realtime: false, are never recorded). @defaultValue false */
    enabled: z.boolean().default(false),
    /** Directory of the ring buffers (`<dir>/<camera>/`) and the clips (`<dir>/clips/<alert id>.mp4`); created when missing. Processes that ingest, and the api processes that serve clips, must see the same directory. @defaultValue recordings */
    dir: z.string().min(1, 'must not be empty').default('recordings'),
    /** Length of one ring-buffer segment; a segment ends at the first keyframe after it, so it is at least the camera's keyframe interval. @defaultValue 2 */
    segmentSeconds: segmentSeconds.default(2),
    /** Ring buffer size per camera; the oldest segments are deleted beyond it (it must hold pre + the longest alert + post: about 8 minutes of a 1 Mbit/s stream per 64 MB). @defaultValue 64 */
    maxMbPerCamera: mb(0.5, 1_000_000).default(64),
    /** All ring buffers together; the oldest segments of any camera are deleted beyond it. @defaultValue 2048 */
    maxTotalMb: mb(1, 10_000_000).default(2048),
    /** All alert clips together; the clips of the oldest alerts are deleted beyond it (they also go with their alerts after alerts.maxAgeSeconds). @defaultValue 4096 */
    maxClipsMb: mb(1, 10_000_000).default(4096),
    /** Longest clip: a longer alert's clip covers its first maxClipSeconds (from pre seconds before it started). @defaultValue 120 */
    maxClipSeconds: z.number().min(5).max(3600).default(120),
  })
  .prefault({});
export type RecordingConfig = z.infer<typeof recordingSchema>;

/** `cameras[].recording`: this camera's deviations from the `recording` section (described with `.describe`: the generator's comment lookup is per key name). */
export const cameraRecordingSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Record this camera (overrides recording.enabled). @defaultValue recording.enabled'),
    segmentSeconds: segmentSeconds.optional().describe('This camera\'s segment length. @defaultValue recording.segmentSeconds'),
    maxMb: mb(0.5, 1_000_000).optional().describe('This camera\'s ring buffer size in MB. @defaultValue recording.maxMbPerCamera'),
  })
  .optional();
export type CameraRecordingConfig = z.infer<typeof cameraRecordingSchema>;

const clipSeconds = z
  .number({ error: 'must be a number of seconds between 0 and 60' })
  .min(0, 'must be a number of seconds between 0 and 60')
  .max(60, 'must be a number of seconds between 0 and 60');

/** `rules[].clip`: the span of an alert's clip around the alert. */
export const ruleClipSchema = z
  .strictObject({
    pre: clipSeconds.default(5).describe('Seconds of video before the alert started.'),
    post: clipSeconds.default(5).describe('Seconds of video after the alert ended.'),
  })
  .prefault({});
export type RuleClipConfig = z.infer<typeof ruleClipSchema>;
