/**
 * `vigil bench clips`: what recording costs per camera. K live RTSP cameras (the GStreamer test server looping
 * vtest.mp4, one shared stream) are ingested by Vigil's own FFmpeg adapter with the cameras' real arguments
 * (decode, fps filter, scale, rgb24 frames read and released), in three variants measured one after the other:
 * 1. no recording; 2. the ring buffer as a second output of the same FFmpeg (what Vigil does: one RTSP session);
 * 3. a separate FFmpeg per camera that copies the stream into segments (a second RTSP session). For each: FFmpeg CPU
 * per camera (% of one core, from /proc), the RTSP server's CPU (the camera's side), and the ring buffer's disk rate.
 * Then the cost of cutting one clip (pre 5 + 5 s + post 5) from the recorded segments. Writes BENCHMARKS.md's
 * "Alert clips" section.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { cutClip } from '../alerts/clip-cut';
import { commandArgsOrUsage } from '../core/cli-args';
import { releaseFrame } from '../core/frame-pool';
import type { Logger } from '../core/logger';
import { buildFfmpegArgs } from '../ingest/ffmpeg-args';
import { FfmpegProcess } from '../ingest/ffmpeg-process';
import { recordOutput } from '../ingest/recorder-args';
import { RtspTestServer } from '../testing/rtsp-server';
import { clockTicks, procStat } from './proc';

export const CLIPS_USAGE =
  'usage: vigil bench clips [--cameras K] [--seconds S] [--fps F] [--width PX] [--media DIR] [--json] [--no-write] [--benchmarks FILE]\n' +
  '  FFmpeg CPU and disk per camera without recording, with the ring buffer as a second output of the camera\'s FFmpeg,\n' +
  '  and with a separate recording FFmpeg; then the cost of cutting one clip. Writes BENCHMARKS.md ("Alert clips").';

const OPTIONS = {
  cameras: { type: 'string', default: '12' },
  seconds: { type: 'string', default: '30' },
  fps: { type: 'string', default: '5' },
  width: { type: 'string', default: '640' },
  media: { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-write': { type: 'boolean', default: false },
  benchmarks: { type: 'string', default: 'BENCHMARKS.md' },
} as const;

const WARMUP_MS = 5000;
const START = '<!-- vigil-bench:clips:start -->';
const END = '<!-- vigil-bench:clips:end -->';

/** One variant's measurement. */
export interface ClipsVariant {
  name: string;
  sessionsPerCamera: number;
  /** FFmpeg CPU per camera, % of one core (every FFmpeg of the camera). */
  ffmpegCpuPct: number;
  /** The RTSP server's CPU, % of one core (all cameras). */
  serverCpuPct: number;

  /** Frames delivered per camera per second (about the fps asked for, unless the machine starves FFmpeg). */
  fps: number;
  /**
   * FFmpeg CPU per second of video (ms; video seconds = frames delivered / fps): the cost at real time, also when a
   * loaded machine lets FFmpeg fall behind.
   */
  cpuMsPerVideoS: number;
  /** Ring-buffer MB per minute of recorded video (bytes of the listed segments over their media duration). */
  diskMbPerVideoMin: number;
}

/** The whole result. */
export interface ClipsResult {
  command: string;
  at: string;
  cameras: number;
  seconds: number;
  fps: number;
  width: number;
  machine: { cpu: string; cores: number; node: string; loadBefore: number[]; loadAfter: number[] };
  variants: ClipsVariant[];
  cut: { clipSeconds: number; wallMs: number; cpuMs: number; bytes: number; runs: number };
}

/** CPU ticks of a set of pids (the ones still alive). */
function ticksOf(pids: Array<number | undefined>): number {
  return pids.reduce<number>((n, pid) => n + (pid === undefined ? 0 : (procStat(pid)?.ticks ?? 0)), 0);
}

/** CPU ticks of this process's waited-for children (`cutime + cstime` of /proc/self/stat). */
function childTicks(): number {
  const t = readFileSync('/proc/self/stat', 'utf8');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return Number(f[13]) + Number(f[14]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one variant: K cameras for warm-up + `seconds`, measured over the last `seconds`. */
async function variant(
  name: string,
  o: { url: string; cameras: number; seconds: number; fps: number; width: number; dir: string; server: RtspTestServer },
  mode: 'none' | 'tee' | 'separate',
): Promise<ClipsVariant> {
  const procs: FfmpegProcess[] = [];
  const extra: ChildProcess[] = [];
  let frames = 0;
  const recDir = path.join(o.dir, name.replace(/\W+/g, '-'));
  mkdirSync(recDir, { recursive: true });
  for (let i = 0; i < o.cameras; i++) {
    const camDir = path.join(recDir, `cam${i}`);
    mkdirSync(camDir);
    const record = mode === 'tee' ? recordOutput({ dir: camDir, run: 'b', segmentSeconds: 2 }) : undefined;
    const p = new FfmpegProcess(buildFfmpegArgs({ url: o.url, transport: 'tcp', fps: o.fps, width: o.width, record }));
    p.on('frame', (f) => {
      frames++;
      releaseFrame(f);
    });
    procs.push(p);
    await p.start();
    if (mode === 'separate') {
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', o.url, '-map', '0:v:0', '-c:v', 'copy', '-f', 'segment', '-segment_time', '2', '-reset_timestamps', '1', '-segment_format', 'mpegts', '-segment_list', path.join(camDir, 's.csv'), '-segment_list_type', 'csv', path.join(camDir, 's-%06d.ts')];
      extra.push(spawn('ffmpeg', args, { stdio: 'ignore' }));
    }
  }
  try {
    await sleep(WARMUP_MS);
    const pids = () => [...procs.map((p) => p.pid), ...extra.map((c) => c.pid)];
    const t0 = ticksOf(pids());
    const s0 = ticksOf([o.server.pid]);
    const f0 = frames;
    const w0 = Date.now();
    await sleep(o.seconds * 1000);
    const wall = (Date.now() - w0) / 1000;
    const hz = clockTicks();
    const cpuS = (ticksOf(pids()) - t0) / hz;
    const videoS = (frames - f0) / o.fps;
    return {
      cpuMsPerVideoS: videoS > 0 ? (cpuS * 1000) / videoS : 0,
      diskMbPerVideoMin: listedRate(recDir),
      name,
      sessionsPerCamera: mode === 'separate' ? 2 : 1,
      ffmpegCpuPct: ((ticksOf(pids()) - t0) / hz / wall / o.cameras) * 100,
      serverCpuPct: ((ticksOf([o.server.pid]) - s0) / hz / wall) * 100,

      fps: (frames - f0) / wall / o.cameras,
    };
  } finally {
    await Promise.allSettled(procs.map((p) => p.stop(1000)));
    for (const c of extra) {
      if (c.pid !== undefined && c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        process.kill(c.pid, 'SIGKILL');
        await exited;
      }
    }
  }
}

/** MB per minute of video of the segments listed in the CSV segment lists under `dir` (0 without any). */
function listedRate(dir: string): number {
  let bytes = 0;
  let seconds = 0;
  for (const cam of readdirSync(dir)) {
    const camDir = path.join(dir, cam);
    for (const list of readdirSync(camDir).filter((f) => f.endsWith('.csv'))) {
      for (const line of readFileSync(path.join(camDir, list), 'utf8').split('\n')) {
        const m = /^([^,]+),([\d.]+),([\d.]+)/.exec(line);
        if (m && existsSync(path.join(camDir, m[1]))) {
          bytes += statSync(path.join(camDir, m[1])).size;
          seconds += Number(m[3]) - Number(m[2]);
        }
      }
    }
  }
  return seconds > 0 ? (bytes / 1024 / 1024 / seconds) * 60 : 0;
}

/** Cuts a 15 s clip from the tee variant's segments of camera 0, `runs` times. */
async function measureCut(dir: string, runs: number): Promise<ClipsResult['cut']> {
  const camDir = path.join(dir, 'ring-buffer-in-the-camera-s-FFmpeg', 'cam0');
  const files = readdirSync(camDir).filter((f) => f.endsWith('.ts')).sort().slice(0, -1).map((f) => path.join(camDir, f));
  const out = path.join(dir, 'clip.mp4');
  let wall = 0;
  let cpu = 0;
  let bytes = 0;
  let clipSeconds = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = childTicks();
    const w0 = performance.now();
    const r = await cutClip({ files, offsetS: 1.3, durationS: Math.min(15, files.length * 2 - 3), out });
    wall += performance.now() - w0;
    cpu += ((childTicks() - c0) / clockTicks()) * 1000;
    bytes = r.bytes;
    clipSeconds = r.durationMs / 1000;
  }
  return { clipSeconds, wallMs: wall / runs, cpuMs: cpu / runs, bytes, runs };
}

/** The BENCHMARKS.md section. */
export function formatClips(r: ClipsResult): string {
  const f1 = (n: number) => n.toFixed(1);
  const rows = r.variants.map(
    (v) =>
      `| ${v.name} | ${v.sessionsPerCamera} | ${f1(v.cpuMsPerVideoS / 10)} | ${f1(v.ffmpegCpuPct)} | ${f1(v.fps)} | ${f1(v.serverCpuPct)} | ${v.diskMbPerVideoMin.toFixed(2)} |`,
  );
  const base = r.variants[0];
  const tee = r.variants[1];
  return [
    `### ${r.cameras} cameras, ${r.at}`,
    '',
    `Command: \`${r.command}\`. Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}; load average ` +
      `${r.machine.loadBefore.map((x) => x.toFixed(1)).join('/')} before, ${r.machine.loadAfter.map((x) => x.toFixed(1)).join('/')} after (shared machine). ` +
      `${r.cameras} RTSP cameras (GStreamer test server, vtest.mp4 768x576 H.264 10 fps, ~1.2 Mbit/s, one shared stream), ingested at ` +
      `${r.fps} fps, ${r.width} px wide, ${r.seconds} s measured per variant after ${WARMUP_MS / 1000} s of warm-up; segments of 2 s.`,
    '',
    '| variant | RTSP sessions per camera | FFmpeg CPU per camera at real time (% of a core) | FFmpeg CPU per camera measured (% of a core) | frames/s per camera | RTSP server CPU (% of a core, all cameras) | disk MB per minute of video per camera |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '"At real time" = CPU over the seconds of video FFmpeg got through (frames delivered / fps): what a camera costs when ' +
      'the machine keeps up; "measured" = CPU over wall time, lower when a loaded machine lets FFmpeg fall behind (frames/s below the fps asked for).',
    '',
    `Recording in the camera's own FFmpeg costs ${f1((tee.cpuMsPerVideoS - base.cpuMsPerVideoS) / 10)} points of a core per camera at real time ` +
      `(${f1(((tee.cpuMsPerVideoS - base.cpuMsPerVideoS) / Math.max(0.01, base.cpuMsPerVideoS)) * 100)} % over decoding for detection) and ` +
      `${tee.diskMbPerVideoMin.toFixed(2)} MB of disk per minute per camera (the camera's bitrate: a 64 MB ring buffer holds ` +
      `${(64 / Math.max(0.001, tee.diskMbPerVideoMin)).toFixed(1)} min). Cutting a ${r.cut.clipSeconds.toFixed(1)} s clip (${(r.cut.bytes / 1024 / 1024).toFixed(2)} MB): ` +
      `${r.cut.wallMs.toFixed(0)} ms wall, ${r.cut.cpuMs.toFixed(0)} ms CPU (mean of ${r.cut.runs}: two -c copy FFmpeg runs, mostly their start-up).`,
    '',
    `Chosen: the second output of the camera's FFmpeg (${f1(tee.cpuMsPerVideoS / 10)} % vs ${f1(r.variants[2].cpuMsPerVideoS / 10)} % of a core per camera ` +
      'for a separate FFmpeg, which also opens a second RTSP session that cameras limited to a few sessions refuse, and costs the camera ' +
      'a second stream). Its risk, a recording failure taking detection down, is removed by the tee muxer (onfail=ignore); what it ' +
      'gives up: a stalled camera restarts both together (they would stall together anyway).',
  ].join('\n');
}

function writeSection(file: string, section: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  const next =
    s < 0 || e < s
      ? `${text.trimEnd()}\n\n## Alert clips (vigil bench clips)\n\n${START}\n${section}\n${END}\n`
      : `${text.slice(0, s)}${START}\n${section}\n${text.slice(s + START.length, e).trim() ? `\n${text.slice(s + START.length, e).trim()}\n` : ''}${END}${text.slice(e + END.length)}`;
  writeFileSync(file, next);
}

/** Command entry point. */
export async function runClips(args: string[], log: Logger): Promise<number> {
  const parsed = commandArgsOrUsage({ command: 'vigil bench clips', usage: CLIPS_USAGE, options: OPTIONS }, args);
  if (!parsed) {
    return 2;
  }
  const { values } = parsed;
  const cameras = Number(values.cameras);
  const seconds = Number(values.seconds);
  const fps = Number(values.fps);
  const width = Number(values.width);
  if (!(cameras >= 1 && seconds >= 1 && fps > 0 && width >= 64)) {
    process.stderr.write('vigil bench clips: --cameras, --seconds, --fps and --width must be positive numbers\n');
    return 2;
  }
  const media = values.media ?? process.env.VIGIL_TEST_MEDIA ?? path.resolve('..', 'shared', 'media');
  const file = path.join(media, 'vtest.mp4');
  if (!existsSync(file)) {
    process.stderr.write(`vigil bench clips: ${file} not found (--media DIR or VIGIL_TEST_MEDIA)\n`);
    return 2;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-clips-'));
  const loadBefore = loadavg();
  const server = await RtspTestServer.start({ file });
  try {
    const o = { url: server.url(), cameras, seconds, fps, width, dir, server };
    const variants: ClipsVariant[] = [];
    for (const [name, mode] of [
      ['no recording', 'none'],
      ["ring buffer in the camera's FFmpeg", 'tee'],
      ['separate recording FFmpeg', 'separate'],
    ] as const) {
      log.info({ variant: name }, 'bench clips: measuring');
      variants.push(await variant(name, o, mode));
    }
    const cut = await measureCut(dir, 5);
    const result: ClipsResult = {
      command: `vigil bench clips ${args.join(' ')}`.trim(),
      at: new Date().toISOString(),
      cameras,
      seconds,
      fps,
      width,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadBefore, loadAfter: loadavg() },
      variants,
      cut,
    };
    const section = formatClips(result);
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${section}\n`);
    if (!values['no-write']) {
      writeSection(values.benchmarks, section);
    }
    return 0;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
