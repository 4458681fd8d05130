// Live view transports, measured: JPEG over the /ws/live WebSocket vs multipart MJPEG (GET /api/cameras/:id/live.mjpeg),
// on a `vigil start --role ingest,api` process (no detection, so its CPU is the live view's) reading a GStreamer RTSP
// camera (vtest.mp4) at `--fps`. Phases: no viewer, then each transport with 1 and `--clients` viewers; per phase:
// frames/s each viewer received (mean and the slowest), capture -> receipt latency (p50, p95) and the daemon's CPU.
//
// Run: flock /tmp/vigil-heavy.lock npx tsx scripts/bench-live-view.ts [--fps 5] [--clients 10] [--seconds 15]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { decodeLiveFrame } from '../src/core/live-frame';
import { purgePrefix } from '../src/core/purge';
import { RtspTestServer, freePort } from '../src/testing/rtsp-server';

const { values } = parseArgs({
  options: {
    fps: { type: 'string', default: '5' },
    clients: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    redis: { type: 'string', default: process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  },
});
const FPS = Number(values.fps);
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const TOKEN = randomBytes(24).toString('hex');
const prefix = `vigil-bench-${randomBytes(4).toString('hex')}`;
const MEDIA = process.env.VIGIL_TEST_MEDIA ?? path.resolve(__dirname, '..', '..', 'shared', 'media');
const BIN = path.join(__dirname, '..', 'bin', 'vigil.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A viewer: counts frames and their capture -> receipt latency after `from`. */
interface Viewer {
  frames: number;
  latency: number[];
  from: number;
  stop(): void;
}

function wsViewer(port: number): Viewer {
  const v: Viewer = { frames: 0, latency: [], from: Infinity, stop: () => ws.terminate() };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/live?token=${TOKEN}`);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', cameras: ['cam'] })));
  ws.on('message', (d: Buffer, binary: boolean) => {
    const f = binary ? decodeLiveFrame(d) : undefined;
    if (f && Date.now() >= v.from) {
      v.frames++;
      v.latency.push(Date.now() - f.capturedAt);
    }
  });
  ws.on('error', () => undefined);
  return v;
}

function mjpegViewer(port: number): Viewer {
  const v: Viewer = { frames: 0, latency: [], from: Infinity, stop: () => req.destroy() };
  const req = http.get({ host: '127.0.0.1', port, path: '/api/cameras/cam/live.mjpeg', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
    let tail = '';
    res.on('data', (d: Buffer) => {
      // Part headers are ASCII; the capture time is in X-Captured-At.
      const text = tail + d.toString('latin1');
      for (const m of text.matchAll(/X-Captured-At: ([\d.]+)\r\n/g)) {
        if (Date.now() >= v.from) {
          v.frames++;
          v.latency.push(Date.now() - Number(m[1]));
        }
      }
      tail = text.slice(-40).replace(/[\s\S]*X-Captured-At: [\d.]+\r\n/, '');
    });
  });
  req.on('error', () => undefined);
  return v;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

async function phase(name: string, make: (() => Viewer) | undefined, n: number, pid: number): Promise<string> {
  const viewers = make ? Array.from({ length: n }, make) : [];
  await sleep(3000);
  const t0 = Date.now();
  viewers.forEach((v) => (v.from = t0));
  const c0 = cpuSeconds(pid);
  await sleep(SECONDS * 1000);
  const secs = (Date.now() - t0) / 1000;
  const cpu = ((cpuSeconds(pid) - c0) / secs) * 100;
  viewers.forEach((v) => v.stop());
  if (viewers.length === 0) {
    return `| ${name} | 0 | - | - | - | ${cpu.toFixed(1)} % |`;
  }
  const rates = viewers.map((v) => v.frames / secs);
  const lat = viewers.flatMap((v) => v.latency);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return `| ${name} | ${n} | ${mean.toFixed(2)} (slowest ${Math.min(...rates).toFixed(2)}) | ${pct(lat, 50).toFixed(0)} | ${pct(lat, 95).toFixed(0)} | ${cpu.toFixed(1)} % |`;
}

async function main(): Promise<void> {
  const rtsp = await RtspTestServer.start({ file: path.join(MEDIA, 'vtest.mp4') });
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-live-bench-'));
  const cfg = path.join(dir, 'vigil.yaml');
  writeFileSync(cfg, `redis: { url: "${values.redis}", prefix: ${prefix} }
server: { host: 127.0.0.1, port: ${port}, tokens: [ { name: bench, token: "${TOKEN}", role: admin } ] }
cameras: [ { id: cam, url: "${rtsp.url()}", detect: { fps: ${FPS} } } ]
`);
  const daemon = spawn(process.execPath, [BIN, 'start', '--config', cfg, '--role', 'ingest,api'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' } });
  const redis = new Redis(values.redis!);
  try {
    for (let i = 0; ; i++) {
      if ((await redis.hget(`${prefix}:camera:cam`, 'state')) === 'streaming') {
        break;
      }
      if (i > 300) {
        throw new Error('the camera did not stream within 30 s');
      }
      await sleep(100);
    }
    const pid = daemon.pid!;
    const rows = [
      await phase('no viewer', undefined, 0, pid),
      await phase('/ws/live', () => wsViewer(port), 1, pid),
      await phase('/ws/live', () => wsViewer(port), CLIENTS, pid),
      await phase('live.mjpeg', () => mjpegViewer(port), 1, pid),
      await phase('live.mjpeg', () => mjpegViewer(port), CLIENTS, pid),
    ];
    const load = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
    console.log(`Command: \`npx tsx scripts/bench-live-view.ts --fps ${FPS} --clients ${CLIENTS} --seconds ${SECONDS}\`. ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, load average ${load} after. One RTSP camera (vtest.mp4, 768x576 -> 640x480 JPEG q70) at detect.fps ${FPS}; the daemon runs ingest and api only; ${SECONDS} s per phase after 3 s.`);
    console.log('\n| transport | viewers | frames/s per viewer | capture -> receipt p50 (ms) | p95 (ms) | daemon CPU |\n|---|---|---|---|---|---|');
    rows.forEach((r) => console.log(r));
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    await rtsp.stop();
    await purgePrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
