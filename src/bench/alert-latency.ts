import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandArgsOrUsage } from '../core/cli-args';
import Redis from 'ioredis';
import { AlertStore } from '../alerts';
import { parseConfig } from '../config/load';
import { Context } from '../config/context';
import { nullLogger, type Logger } from '../core/logger';
import { startDaemon } from '../daemon';
import { summarize, type Percentiles } from './stats';
import { purgePrefix } from '../core/purge';

/**
 * `vigil bench latency`: capture → alert published, on the real pipeline. Runs ingest, detect and track in this
 * process on a random Redis prefix, one camera looping vtest.mp4 at real-time speed with three rules (a line
 * across the walkway, a zone and a loiter rule), for S seconds; then reads every alert event back from the alert
 * stream and reports `latencyMs` percentiles (the time from the frame's capture, when its last byte left FFmpeg, to
 * the alert being published, snapshot stored first).
 */
export interface AlertLatencyResult {
  seconds: number;
  fps: number;
  starts: { n: number } & Percentiles & { max: number };
  events: { n: number } & Percentiles & { max: number };
  machine: string;
}

const START = '<!-- vigil-bench:latency:start -->';
const END = '<!-- vigil-bench:latency:end -->';

function stats(values: number[]): { n: number } & Percentiles & { max: number } {
  return { n: values.length, ...summarize(values), max: values.length ? Math.max(...values) : NaN };
}

/** Runs the measurement; cleans up its keys. */
export async function measureAlertLatency(opts: { media: string; modelsDir: string; seconds: number; fps: number; redisUrl: string; warmupS: number }): Promise<AlertLatencyResult> {
  const prefix = `vigil-bench-lat-${Math.random().toString(36).slice(2, 8)}`;
  const yaml = `
redis: { url: "${opts.redisUrl}", prefix: ${prefix} }
models: { dir: "${opts.modelsDir}" }
server: { port: 0 }
log: { level: warn }
cameras:
  - id: walkway
    url: "${path.join(opts.media, 'vtest.mp4')}"
    detect: { fps: ${opts.fps} }
    zones:
      - { id: sign, polygon: [[0.44, 0.40], [0.62, 0.40], [0.62, 0.52], [0.44, 0.52]] }
      - { id: path, polygon: [[0.0, 0.30], [1.0, 0.30], [1.0, 1.0], [0.0, 1.0]] }
    lines:
      - { id: walkway-x30, points: [[0.30, 0.30], [0.30, 0.60]] }
rules:
  - { id: walkway-count, type: line_cross, camera: walkway, line: walkway-x30, direction: any, labels: [person] }
  - { id: path-enter, type: zone_enter, camera: walkway, zone: path, labels: [person] }
  - { id: sign-loiter, type: loiter, camera: walkway, zone: sign, seconds: 5, labels: [person] }
`;
  const config = parseConfig(yaml, { VIGIL_NO_DEMO: '1' });
  const ctx = new Context(config, nullLogger(), new Set(['ingest', 'detect', 'track'] as const), { defaultMetrics: false });
  const daemon = await startDaemon(ctx);
  // Events of the warm-up (first model runs, sharp's first JPEG, the tracker's first tracks) are not counted.
  const measureFrom = Date.now() + opts.warmupS * 1000;
  await new Promise((r) => setTimeout(r, (opts.warmupS + opts.seconds) * 1000));
  await daemon.stop();
  const redis = new Redis(opts.redisUrl);
  try {
    const store = new AlertStore(redis, ctx.keys);
    const starts: number[] = [];
    const all: number[] = [];
    let after = '0';
    for (;;) {
      const batch = await store.readEvents(after, 500);
      if (batch.length === 0) {
        break;
      }
      for (const e of batch) {
        if (Date.parse(e.alert.updatedAt) < measureFrom) {
          continue;
        }
        all.push(e.alert.latencyMs);
        if (e.event === 'start') {
          starts.push(e.alert.latencyMs);
        }
      }
      after = batch[batch.length - 1].id;
    }
    return {
      seconds: opts.seconds,
      fps: opts.fps,
      starts: stats(starts),
      events: stats(all),
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    };
  } finally {
    await purgePrefix(redis, prefix);
    await redis.quit();
  }
}

/** Pure: the BENCHMARKS.md section of a result. */
export function formatLatency(r: AlertLatencyResult, command: string, at: string): string {
  const row = (label: string, s: AlertLatencyResult['starts']) => `| ${label} | ${s.n} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.max} |`;
  return [
    `### capture → alert published, ${at}`,
    '',
    `Command: \`${command}\`. One camera looping vtest.mp4 at real time, detect ${r.fps} fps, 640 px wide frames,`,
    `yolox_nano on CPU, roles ingest + detect + track in one process, ${r.seconds} s measured after a warm-up; three rules (line_cross,`,
    `zone_enter, loiter). Machine: ${r.machine}.`,
    '',
    '| events | n | p50 ms | p95 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
    row('alert start (snapshot JPEG stored first)', r.starts),
    row('every event (start, update, end)', r.events),
    '',
  ].join('\n');
}

export const LATENCY_USAGE = `usage: vigil bench latency [--seconds S] [--warmup S] [--fps F] [--media DIR] [--json] [--no-write]
  Measures capture → alert published on the whole daemon (writes BENCHMARKS.md's alert latency section).`;

/** `vigil bench latency [--seconds S] [--warmup S] [--fps F] [--json] [--no-write]`. */
export async function runAlertLatency(args: string[], log: Logger): Promise<number> {
  const parsed = commandArgsOrUsage({
    command: 'vigil bench latency',
    usage: LATENCY_USAGE,
    options: {
      seconds: { type: 'string', default: '90' },
      warmup: { type: 'string', default: '10' },
      fps: { type: 'string', default: '5' },
      media: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  }, args);
  if (!parsed) {
    return 2;
  }
  const { values } = parsed;
  const seconds = Number(values.seconds);
  const fps = Number(values.fps);
  if (!(seconds > 0) || !(fps > 0)) {
    process.stderr.write('vigil bench latency: --seconds and --fps must be positive numbers\n');
    return 2;
  }
  const media = values.media ?? process.env.VIGIL_TEST_MEDIA ?? path.join(process.cwd(), '..', 'shared', 'media');
  const modelsDir = process.env.VIGIL_MODELS_DIR ?? path.join(process.cwd(), 'models');
  const redisUrl = process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379';
  log.info({ seconds, fps }, 'measuring capture → alert latency');
  const warmupS = Number(values.warmup);
  const r = await measureAlertLatency({ media, modelsDir, seconds, fps, redisUrl, warmupS: warmupS >= 0 ? warmupS : 10 });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  const section = formatLatency(r, `vigil bench latency --seconds ${seconds} --fps ${fps}`, new Date().toISOString());
  if (!values.json) {
    process.stdout.write(`${section}\n`);
  }
  if (!values['no-write']) {
    const file = path.join(process.cwd(), 'BENCHMARKS.md');
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = '# Benchmarks\n';
    }
    const s = text.indexOf(START);
    const e = text.indexOf(END);
    const next =
      s >= 0 && e > s
        ? `${text.slice(0, s)}${START}\n${section}\n${text.slice(s + START.length, e).trim()}\n${END}${text.slice(e + END.length)}`
        : `${text.trimEnd()}\n\n## Capture → alert latency (vigil bench latency)\n\n${START}\n${section}\n${END}\n`;
    writeFileSync(file, next);
  }
  return r.starts.n > 0 ? 0 : 1;
}
