/**
 * Pure: the ring-buffer output that the camera's own FFmpeg writes beside its raw frames (one RTSP session), and the
 * stderr lines that tell how it goes. No I/O here.
 *
 * The output is FFmpeg's `tee` muxer with the `segment` muxer as its slave, the video stream copied (`-c:v copy`,
 * never re-encoded) into MPEG-TS files of about `segmentSeconds` (cut at the first keyframe after it), each starting
 * at timestamp 0. `onfail=ignore` on the slave, plus a `null` slave that never fails, means a recording that cannot
 * write (disk full, directory removed) is dropped with a message while FFmpeg goes on decoding frames for detection
 * (measured with FFmpeg 5.1: a missing directory at start, and a directory removed while recording, both leave the
 * raw frames flowing at full rate). A plain `segment` output would end the whole process on a write error.
 */

/** What the output is built from. */
export interface RecordOutputInput {
  /** The camera's directory (absolute). */
  dir: string;
  /** Names this FFmpeg run's files: `<run>-000000.ts`, ... and the segment list `<run>.csv`. */
  run: string;
  segmentSeconds: number;
}

/** The second output of the camera's FFmpeg: options after the first output, then the target. */
export interface RecordOutput {
  options: string[];
  target: string;
}

/** Escapes a value inside a tee slave specification (`[k=v:k=v]file|...`): `\` before `\ ' : = [ ] |`. */
export function teeEscape(s: string): string {
  return s.replace(/[\\':=[\]|]/g, (c) => `\\${c}`);
}

/** Pure: `<run>-%06d.ts` file pattern of a run (a `%` in the directory is doubled for the segment muxer). */
export function segmentPattern(dir: string, run: string): string {
  return `${dir.replace(/%/g, '%%')}/${run}-%06d.ts`;
}

/** Pure: the segment list of a run (`name,start,end` per finished segment, in seconds of the run's media time). */
export function segmentListPath(dir: string, run: string): string {
  return `${dir}/${run}.csv`;
}

/** Builds the recording output. Throws TypeError on invalid input. */
export function recordOutput(input: RecordOutputInput): RecordOutput {
  if (!(input.segmentSeconds >= 0.5) || !Number.isFinite(input.segmentSeconds)) {
    throw new TypeError(`record output: segmentSeconds must be >= 0.5 (got ${input.segmentSeconds})`);
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.run)) {
    throw new TypeError(`record output: bad run name "${input.run}"`);
  }
  const slave = [
    'f=segment',
    'onfail=ignore',
    `segment_time=${Math.round(input.segmentSeconds * 1000) / 1000}`,
    'reset_timestamps=1',
    'segment_format=mpegts',
    `segment_list=${teeEscape(segmentListPath(input.dir, input.run))}`,
    'segment_list_type=csv',
    // The list is rewritten (to a temporary file, then renamed) with the last 20 segments: bounded, never torn.
    'segment_list_size=20',
  ].join(':');
  return {
    options: ['-map', '0:v:0', '-c:v', 'copy', '-f', 'tee'],
    target: `[${slave}]${teeEscape(segmentPattern(input.dir, input.run))}|[f=null:onfail=ignore]-`,
  };
}

/**
 * Pure: the segment file a stderr line says FFmpeg has just opened (`[segment @ 0x...] Opening '/r/door/x-000003.ts'
 * for writing`), when it belongs to `run`; the previous segment of the run ended at that moment.
 */
export function openedSegment(line: string, run: string): string | undefined {
  const m = /\[segment @ [^\]]*\] Opening '(.*)' for writing/.exec(line);
  if (!m) {
    return undefined;
  }
  const file = m[1];
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.startsWith(`${run}-`) && base.endsWith('.ts') ? file : undefined;
}

/** Pure: does this stderr line say the recording output failed (FFmpeg goes on without it)? */
export function recordingFailedLine(line: string): boolean {
  return /\[tee @ [^\]]*\] Slave muxer #0 failed|\[tee @ [^\]]*\] Slave '.*': error writing header|Failed to open segment/.test(line);
}

/** One line of a segment list: file name (no directory), start and end in seconds of the run's media time. */
export interface ListedSegment {
  name: string;
  start: number;
  end: number;
}

/** Pure: parses a CSV segment list (lines `name,start,end`; names never contain commas here). */
export function parseSegmentList(text: string): ListedSegment[] {
  const out: ListedSegment[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^,]+),(-?[\d.]+),(-?[\d.]+)\s*$/.exec(line);
    if (m) {
      out.push({ name: m[1], start: Number(m[2]), end: Number(m[3]) });
    }
  }
  return out;
}

/** How one camera is recorded, from its config and the `recording` section; undefined = not recorded. */
export interface CameraRecording {
  segmentSeconds: number;
  maxBytes: number;
}

/**
 * Pure: whether and how a camera is recorded: `cameras[].recording.enabled` over `recording.enabled`; image
 * sequences and snapshot URLs never (no video stream to copy), nor files read faster than real time.
 */
export function cameraRecording(
  cam: { url: string; snapshot?: boolean; realtime?: boolean; recording?: { enabled?: boolean; segmentSeconds?: number; maxMb?: number } },
  rec: { enabled: boolean; segmentSeconds: number; maxMbPerCamera: number },
): CameraRecording | undefined {
  // A file read faster than real time (realtime: false) has no wall-clock timeline to cut alerts from.
  if (!(cam.recording?.enabled ?? rec.enabled) || cam.snapshot === true || cam.realtime === false) {
    return undefined;
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(cam.url) || /^file:/i.test(cam.url)) {
    // A file path: an image sequence (`%d`) is not a video.
    if (/%0?\d*d/.test(cam.url)) {
      return undefined;
    }
  }
  return {
    segmentSeconds: cam.recording?.segmentSeconds ?? rec.segmentSeconds,
    maxBytes: Math.round((cam.recording?.maxMb ?? rec.maxMbPerCamera) * 1024 * 1024),
  };
}
