import { z } from 'zod';

/** `alerts:` section: storage and retention. */
export const alertsSchema = z
  .strictObject({
    /** Keep at most this many alert events. @defaultValue 100000 */
    maxEvents: z.number().int().min(100).max(10_000_000).default(100_000),
    /** Drop alerts older than this. @defaultValue 7 days */
    maxAgeSeconds: z.number().int().min(60).default(7 * 86_400),
    /** JPEG quality of snapshots. @defaultValue 80 */
    snapshotQuality: z.number().int().min(10).max(100).default(80),
    /** Seconds without the triggering condition before an alert ends. @defaultValue 3 */
    endAfterSeconds: z.number().min(0).max(3600).default(3),
    /** Write detections to this JSONL file for `vigil replay` (also `vigil start --record FILE`). */
    recordFile: z.string().optional(),
  })
  .prefault({});
export type AlertsConfig = z.infer<typeof alertsSchema>;

/** `track:` section: the tracker. */
export const trackSchema = z
  .strictObject({
    /** Detections above this start/continue tracks in the first association stage. @defaultValue 0.5 */
    highScore: z.number().min(0).max(1).default(0.5),
    /** Detections between this and highScore only continue tracks (second stage). @defaultValue 0.1 */
    lowScore: z.number().min(0).max(1).default(0.1),
    /** Frames a new track must be seen before it is confirmed. @defaultValue 2 */
    minHits: z.number().int().min(1).max(30).default(2),
    /** Seconds a lost track is kept for re-association. @defaultValue 2 */
    maxLostSeconds: z.number().min(0).max(60).default(2),
    /** Reorder window: frames waited for before late frames are dropped. @defaultValue 4 */
    reorderWindow: z.number().int().min(0).max(64).default(4),
  })
  .prefault({});
export type TrackConfig = z.infer<typeof trackSchema>;
