import assert from 'node:assert/strict';
import type { LiveCeilingResult } from '../../src/bench/live-ceiling';
import { ceilingFfmpegArgs } from '../../src/bench/live-ceiling';
import { buildFfmpegArgs } from '../../src/ingest/ffmpeg-args';
import { parseProbe, reencodeArgs } from '../../src/bench/live-media';
import type { LivePipelineResult } from '../../src/bench/live-pipeline';
import { benchCameras, keyKind, pipelineCounters } from '../../src/bench/live-pipeline';
import { formatLiveMarkdown, liveChecks, spreadDeviationPct, updateSection, type LiveResult, type LiveRun } from '../../src/bench/live-report';
import {
  cameraRates,
  counterDelta,
  cpuPercent,
  formatCounts,
  growthAfter,
  judgeSoak,
  maxDeviationPct,
  parseProcStat,
  parsePrometheus,
  runSpread,
  soakSteps,
  spread,
  sumBy,
  TickAccount,
  total,
  type SoakPoint,
} from '../../src/bench/live-stats';
import { parseLiveArgs } from '../../src/bench/live';
import { NewestFrames } from '../../src/bench/newest-frames';
import { formatSoakLine, formatSoakMarkdown, type DaemonSoakResult } from '../../src/bench/soak-report';
import { summarize } from '../../src/bench/stats';

const pct = (p50: number, p95: number, p99: number) => ({ p50, p95, p99 });

function ceiling(over: Partial<LiveCeilingResult> = {}): LiveCeilingResult {
  return {
    detectFps: 100,
    frames: 1000,
    perCameraFps: { min: 8, mean: 8.3, max: 8.6 },
    latencyMs: pct(50, 100, 120),
    framesIn: 1200,
    superseded: 200,
    inferMs: 15,
    input: '416x416',
    provider: 'cpu',
    cpuPctPerCamera: { ffmpeg: 4, node: 15 },
    rssMb: 200,
    ffmpegRestarts: 0,
    ...over,
  };
}

function pipeline(over: Partial<LivePipelineResult> = {}): LivePipelineResult {
  return {
    detectFps: 60,
    frames: 600,
    perCameraFps: { min: 3.9, mean: 5, max: 6 },
    latencyMs: pct(400, 700, 900),
    framesIn: 1200,
    dropped: { backpressure: 500, stale: 3 },
    restarts: 0,
    cpuPctPerCamera: { ffmpeg: 5, node: 14, nodeMain: 3 },
    rssMb: 320,
    ffmpegRssMb: 180,
    redisUsedMemoryDeltaMb: 0.4,
    prefixMemoryMb: 4.2,
    frameKeysLeft: 0,
    warnings: { 'track lease lost': 3 },
    ...over,
  };
}

function point(t: number, over: Partial<SoakPoint> = {}): SoakPoint {
  return { t, rssBytes: 100 * 2 ** 20, usedMemoryBytes: 10 * 2 ** 20, prefixBytes: 2 ** 20, framesIn: 0, detected: 0, dropped: {}, restarts: 0, stuckJobs: 0, frameKeys: 0, ...over };
}

describe('bench live statistics', () => {
  describe('percentiles', () => {
    it('p50/p95/p99 by nearest rank, NaN without values', () => {
      const v = Array.from({ length: 200 }, (_, i) => 200 - i);
      assert.deepEqual(summarize(v), { p50: 100, p95: 190, p99: 198 });
      const none = summarize([]);
      assert.ok(Number.isNaN(none.p50) && Number.isNaN(none.p95) && Number.isNaN(none.p99));
    });
  });

  describe('per-camera fps', () => {
    it('counts every configured camera, a starved one as 0', () => {
      const rates = cameraRates(['a', 'a', 'b', 'a', 'x'], ['a', 'b', 'c'], 2);
      assert.deepEqual(rates, [1.5, 0.5, 0]);
      assert.deepEqual(spread(rates), { min: 0, mean: 2 / 3, max: 1.5 });
    });

    it('spread of nothing is NaN; deviation from the mean in %', () => {
      assert.ok(Number.isNaN(spread([]).mean));
      assert.equal(maxDeviationPct([8, 10, 12]), 20);
      assert.equal(maxDeviationPct([10, 10]), 0);
      assert.ok(Number.isNaN(maxDeviationPct([0, 0])));
      assert.equal(spreadDeviationPct({ min: 4, mean: 5, max: 5.5 }), 20);
    });
  });

  describe('TickAccount', () => {
    it('counts from the baseline, new processes from 0, reused pids from 0, exited ones keep their last ticks', () => {
      const a = new TickAccount();
      a.sample(new Map([[10, 500], [11, 70]]));
      assert.equal(a.total, 0, 'the first sample is the baseline');
      a.sample(new Map([[10, 530], [11, 75]]));
      assert.equal(a.total, 35);
      // 11 exited (its last 5 ticks were counted), 12 started during the window with 8 ticks already.
      a.sample(new Map([[10, 540], [12, 8]]));
      assert.equal(a.total, 35 + 10 + 8);
      // pid 10 reused by a new process: ticks went down, so the new one counts from 0.
      a.sample(new Map([[10, 3], [12, 9]]));
      assert.equal(a.total, 53 + 3 + 1);
    });

    it('CPU % of one core from ticks', () => {
      assert.equal(cpuPercent(150, 100, 10), 15);
      assert.ok(Number.isNaN(cpuPercent(1, 100, 0)));
    });

    it('parses /proc/<pid>/stat, a command with spaces and parentheses included', () => {
      const line = '4242 (ffmpeg (x) y) S 4000 4242 26809 0 -1 4194304 101 0 0 0 1234 56 0 0 20 0 1 0 267878 3133440 388 18446744073709551615';
      assert.deepEqual(parseProcStat(line), { pid: 4242, comm: 'ffmpeg (x) y', ppid: 4000, ticks: 1290, startTime: 267878 });
      assert.equal(parseProcStat('garbage'), undefined);
    });
  });

  describe('Prometheus text', () => {
    const text = [
      '# HELP vigil_frames_dropped_total Frames dropped per camera and reason',
      '# TYPE vigil_frames_dropped_total counter',
      'vigil_frames_dropped_total{camera="cam1",reason="backpressure"} 10',
      'vigil_frames_dropped_total{camera="cam2",reason="backpressure"} 5',
      'vigil_frames_dropped_total{camera="cam2",reason="stale"} 2',
      'vigil_ingest_frames_total{camera="cam\\"1"} 100',
      'vigil_ingest_frames_total{camera="cam2"} 50',
      'vigil_detect_frames_total{camera="cam1"} 40',
      'vigil_ingest_restarts_total{camera="cam1"} 1',
      'process_start_time_seconds 1.7e9',
      '',
    ].join('\n');

    it('parses samples and labels (escapes included) and sums by label', () => {
      const m = parsePrometheus(text);
      assert.equal(m.length, 8);
      assert.equal(m[3].labels.camera, 'cam"1');
      assert.equal(m[7].value, 1.7e9);
      assert.deepEqual(sumBy(m, 'vigil_frames_dropped_total', 'reason'), { backpressure: 15, stale: 2 });
      assert.equal(total(m, 'vigil_ingest_frames_total'), 150);
      assert.equal(total(m, 'nope'), 0);
      assert.deepEqual(pipelineCounters(m), { dropped: { backpressure: 15, stale: 2 }, framesIn: 150, restarts: 1, detected: 40 });
    });

    it('counter deltas: series that appeared count from 0, unchanged ones are left out', () => {
      assert.deepEqual(counterDelta({ backpressure: 10, stale: 2 }, { backpressure: 25, stale: 2, busy: 1 }), { backpressure: 15, busy: 1 });
      assert.equal(formatCounts({ stale: 3, backpressure: 15 }), 'backpressure 15, stale 3');
      assert.equal(formatCounts({}), '0');
    });
  });

  describe('soak series', () => {
    const mib = 2 ** 20;
    const series = [
      point(0, { rssBytes: 200 * mib }),
      point(60, { rssBytes: 300 * mib, framesIn: 600, detected: 500, dropped: { backpressure: 100 } }),
      point(120, { rssBytes: 310 * mib, usedMemoryBytes: 10.2 * mib, framesIn: 1200, detected: 1000, dropped: { backpressure: 200 } }),
      point(180, { rssBytes: 330 * mib, usedMemoryBytes: 10.3 * mib, framesIn: 1800, detected: 1500, dropped: { backpressure: 290, stale: 10 }, restarts: 1 }),
      point(240, { rssBytes: 320 * mib, usedMemoryBytes: 10.4 * mib, framesIn: 2400, detected: 2000, dropped: { backpressure: 390, stale: 10 }, restarts: 1, stuckJobs: 2 }),
    ];

    it('steps are the counts of each interval', () => {
      const steps = soakSteps(series);
      assert.equal(steps.length, 4);
      assert.deepEqual(steps[2], { t: 180, seconds: 60, framesIn: 600, detected: 500, dropped: { backpressure: 90, stale: 10 }, restarts: 1 });
    });

    it('growth after the warm-up: from the first point at or after it, to the end and to the peak', () => {
      const g = growthAfter(series, 60, (p) => p.rssBytes)!;
      assert.equal(g.baseT, 60);
      assert.equal(g.base, 300 * mib);
      assert.ok(Math.abs(g.endPct - 100 / 15) < 1e-9);
      assert.ok(Math.abs(g.peakPct - 10) < 1e-9);
      // Least squares through (60,300) (120,310) (180,330) (240,320): slope 2400/18000 MiB/s, 303 → 327 MiB.
      assert.ok(Math.abs(g.trendPct - (24 / 303) * 100) < 1e-9, String(g.trendPct));
      assert.equal(growthAfter(series, 240, (p) => p.rssBytes), undefined, 'no point after the base');
      assert.equal(growthAfter(series, 1000, (p) => p.rssBytes), undefined, 'run shorter than the warm-up');
    });

    it('judges the targets: ≤ 5 % growth, no restart, no stuck job', () => {
      const v = judgeSoak(series, 60);
      assert.equal(v.memoryOk, false, 'RSS trend +7.9 %');
      assert.equal(v.restarts, 1);
      assert.equal(v.maxStuckJobs, 2);
      assert.equal(v.ok, false);
      const flat = [point(0), point(300), point(360, { rssBytes: 103 * mib }), point(420, { rssBytes: 104 * mib, usedMemoryBytes: 10.1 * mib })];
      const ok = judgeSoak(flat, 300);
      assert.equal(ok.memoryOk, true);
      assert.ok(Math.abs(ok.rss!.trendPct - 4 / (100 + 1 / 3) * 100) < 1e-9, String(ok.rss!.trendPct));
      // One high last sample (GC timing) after a flat series: +6 % end to end, but the trend is +2.8 %.
      const noisy = [point(0), ...Array.from({ length: 10 }, (_, i) => point(300 + 60 * i)), point(900, { rssBytes: 106 * mib })];
      const n = judgeSoak(noisy, 300);
      assert.ok(n.rss!.endPct > 5.9 && n.rss!.trendPct < 3, `${n.rss!.endPct} ${n.rss!.trendPct}`);
      assert.equal(n.memoryOk, true);
      const leak = [point(0), ...[300, 360, 420, 480, 540, 600, 660].map((t, i) => point(t, { rssBytes: (100 + i) * mib }))];
      assert.equal(judgeSoak(leak, 300).memoryOk, false, 'a steady 1 MiB a minute is +6 %');
      assert.equal(ok.ok, true);
      assert.equal(judgeSoak(flat.slice(0, 1), 300).memoryOk, undefined, 'too short to judge');
      assert.equal(judgeSoak(flat.slice(0, 1), 300).ok, false);
    });

    it('prints one line per interval and a section with the series and the verdict', () => {
      const line = formatSoakLine(series[3], series[2]);
      assert.match(line, /^t=  180 s {2}rss +330\.0 MiB {2}used_memory +10\.3 MiB {2}prefix +1\.0 MiB {2}in +600 {2}detected +500 {2}dropped backpressure 90, stale 10 {2}restarts 1 {2}stuck jobs 0 {2}frame keys 0$/);
      const r: DaemonSoakResult = {
        at: '2026-12-01T00:00:00.000Z',
        command: 'vigil bench soak --cameras 2 --fps 5 --seconds 240 --warmup 60',
        cameras: 2,
        fps: 5,
        stream: { width: 768, height: 576, fps: 10, reencoded: false, source: 'vtest.mp4' },
        seconds: 240,
        warmupS: 60,
        intervalS: 60,
        machine: { cores: 2, cpu: 'AMD EPYC', node: 'v20', loadBefore: [1, 2, 3], loadAfter: [1.5, 2, 3] },
        series,
        verdict: judgeSoak(series, 60),
        totals: { framesIn: 2400, detected: 2000, dropped: { backpressure: 390, stale: 10 }, restarts: 1 },
        cpuPctPerCamera: { ffmpeg: 4, node: 15 },
        frameKeysLeft: 0,
        prefixByKind: { det: 6 * mib, 'bull:frames': 0.5 * mib },
        daemonExit: 'stopped with code 0',
        warnings: {},
      };
      const md = formatSoakMarkdown(r);
      assert.equal(md.split('\n').filter((l) => /^\| \d+ \|/.test(l)).length, 5, 'one table row per sample');
      assert.match(md, /RSS after the warm-up: 300\.0 MiB at 60 s → 320\.0 MiB at the end: \+6\.7 % \(peak 330\.0 MiB, \+10\.0 %\); trend of every sample from 60 s: \*\*\+7\.9 %\*\*/);
      assert.match(md, /memory NOT met, restarts NOT met, stuck jobs NOT met/);
      assert.match(md, /load average 1\.00 \/ 2\.00 \/ 3\.00 before/);
      assert.match(md, /keys after stop by kind: det 6\.0 MiB, bull:frames 0\.5 MiB/);
    });
  });

  describe('spread of runs', () => {
    it('min / median / max, NaN ignored', () => {
      assert.deepEqual(runSpread([3, 1, 2]), { min: 1, median: 2, max: 3 });
      assert.deepEqual(runSpread([4, NaN, 1, 2, 3]), { min: 1, median: 2.5, max: 4 });
      assert.ok(Number.isNaN(runSpread([]).median));
    });
  });
});

describe('NewestFrames (the ceiling admission)', () => {
  it('keeps the newest frame per camera and hands back the one it supersedes', () => {
    const q = new NewestFrames<string>(2);
    assert.equal(q.offer(0, 'a1', 10), undefined);
    assert.equal(q.offer(0, 'a2', 20), 'a1');
    assert.equal(q.superseded, 1);
    assert.equal(q.size, 1);
    assert.deepEqual(q.take(), { camera: 0, frame: 'a2', capturedAt: 20 });
    assert.equal(q.take(), undefined);
  });

  it('serves the ready camera that waited longest since its last detection; a busy camera cannot starve a quiet one', () => {
    const q = new NewestFrames<string>(3);
    q.offer(0, 'a', 5);
    q.offer(1, 'b', 5);
    q.offer(2, 'c', 1);
    assert.equal(q.take()!.frame, 'c', 'never served: oldest frame first');
    assert.equal(q.take()!.frame, 'a', 'tie: round robin after camera 2 → 0');
    q.offer(0, 'a2', 6);
    assert.equal(q.take()!.frame, 'b', 'camera 1 never served, camera 0 just was');
    assert.equal(q.take()!.frame, 'a2');
    // Camera 0 sends 10 frames between every take; camera 1 one frame now and then: both are served.
    let now = 100;
    const served = [0, 0];
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 10; k++) {
        q.offer(0, 'busy', now++);
      }
      if (round % 5 === 0) {
        q.offer(1, 'quiet', now++);
      }
      served[q.take()!.camera]++;
    }
    assert.equal(served[1], 10, 'every quiet frame detected');
    assert.equal(served[0], 40);
    assert.throws(() => q.offer(3, 'x', 1), RangeError);
    assert.throws(() => new NewestFrames(0), TypeError);
  });

  it('cameras always ready are served in rotation whatever the phase of their frames', () => {
    // 12 cameras at 10 fps with spread phases, the detector taking one frame every 25 ms (40 of the 120 offered):
    // serving the oldest newest frame would pick the camera whose next frame is imminent, i.e. the same 4 of 12.
    const q = new NewestFrames<number>(12);
    const served = new Array<number>(12).fill(0);
    for (let t = 0; t < 10_000; t += 25) {
      for (let c = 0; c < 12; c++) {
        const phase = c * 8;
        const capturedAt = t - ((t - phase + 100) % 100);
        q.offer(c, capturedAt, capturedAt);
      }
      served[q.take()!.camera]++;
    }
    assert.ok(served.every((n) => n === 33 || n === 34), served.join(' '));
  });

  it('drains what waits', () => {
    const q = new NewestFrames<string>(2);
    q.offer(1, 'b', 1);
    assert.deepEqual(q.drain(), ['b']);
    assert.equal(q.size, 0);
  });
});

describe('bench live report', () => {
  const runs: LiveRun[] = [
    { ceiling: ceiling(), pipeline: pipeline(), ratio: 0.6 },
    { ceiling: ceiling({ detectFps: 110, latencyMs: pct(50, 90, 130) }), pipeline: pipeline({ detectFps: 101, latencyMs: pct(60, 120, 140), perCameraFps: { min: 8.2, mean: 8.4, max: 8.6 } }), ratio: 101 / 110 },
  ];
  const result: LiveResult = {
    at: '2026-12-01T00:00:00.000Z',
    command: 'vigil bench live --cameras 12 --fps 10 --runs 2',
    cameras: 12,
    fps: 10,
    stream: { width: 768, height: 576, fps: 10, reencoded: false, source: 'vtest.mp4' },
    detectSize: 'detect: { fps: 10 } (default width)',
    model: 'yolox_nano.onnx (cpu)',
    seconds: 30,
    warmupS: 10,
    machine: { cores: 2, cpu: 'AMD EPYC', node: 'v20.20.2', loadBefore: [0.5, 0.6, 0.7], loadAfter: [1.9, 1, 0.8] },
    runs,
  };

  it('checks the issue targets run by run', () => {
    const first = liveChecks(runs[0], 10);
    assert.deepEqual(
      first.map((c) => c.met),
      [false, false, false, false, false],
    );
    const second = liveChecks(runs[1], 10);
    assert.deepEqual(
      second.map((c) => [c.value, c.met]),
      [
        ['92 %', true],
        ['120 ms', true],
        ['±2 %', true],
        ['min 8.20', false],
        ['1.33 ×', true],
      ],
    );
  });

  it('writes a row per run, the spread of the runs, the machine and load, and the target lines', () => {
    const md = formatLiveMarkdown(result);
    assert.match(md, /^### 12 cameras × 10 fps, 768x576 stream at 10\.0 fps \(2026-12-01T00:00:00\.000Z\)/);
    assert.match(md, /Command: `vigil bench live --cameras 12 --fps 10 --runs 2`/);
    assert.match(md, /load average 0\.50 \/ 0\.60 \/ 0\.70 before, 1\.90 \/ 1\.00 \/ 0\.80 after/);
    assert.match(md, /\n\| 1 \| 100\.0 \| 50 \/ 100 \/ 120 \| 8\.00 \/ 8\.60 \| 60\.0 \| 60 % \| 400 \/ 700 \/ 900 \| 3\.90 \/ 5\.00 \/ 6\.00 \| 1200 \| backpressure 500, stale 3 \| 5\.0 \/ 14\.0 \(3\.0\) \| 320 \(180\) \| \+0\.4 \(4\.2\) \|/);
    assert.match(md, /\| spread of 2 runs \| 100\.0–110\.0 \(median 105\.0\) \| p95 90–100 \(median 95\) \| \| 60\.0–101\.0/);
    assert.match(md, /- detected ≥ 0\.9 × ceiling: 60 % not met; 92 % met/);
    assert.match(md, /"track lease lost" ×6/);
    assert.match(md, /inference ms per frame: 15\.0, 15\.0; frames superseded before detection: 200, 200\./);
  });

  it('keeps sections newest first between markers and leaves the rest of the file alone', () => {
    const created = updateSection('# Benchmarks\n\nintro\n', 'live', 'Live cameras', 'RUN1');
    assert.equal(created, '# Benchmarks\n\nintro\n\n## Live cameras\n\n<!-- vigil-bench:live:start -->\nRUN1\n<!-- vigil-bench:live:end -->\n');
    const second = updateSection(`${created}\n## Other\ntext\n`, 'live', 'Live cameras', 'RUN2');
    assert.match(second, /<!-- vigil-bench:live:start -->\nRUN2\n\nRUN1\n<!-- vigil-bench:live:end -->\n\n## Other\ntext\n$/);
    assert.match(second, /^# Benchmarks\n\nintro\n/);
    const soak = updateSection(second, 'soak', 'Soak', 'S1');
    assert.match(soak, /RUN2\n\nRUN1\n/);
    assert.match(soak, /## Soak\n\n<!-- vigil-bench:soak:start -->\nS1\n<!-- vigil-bench:soak:end -->\n$/);
    assert.equal(updateSection('', 'x', 'X', 'A'), '# Benchmarks\n\n## X\n\n<!-- vigil-bench:x:start -->\nA\n<!-- vigil-bench:x:end -->\n');
  });
});

describe('bench live commands (pure parts)', () => {
  it('ceiling FFmpeg: the ingest input options, fps filter only below the stream rate, model input size', () => {
    const a = ceilingFfmpegArgs('rtsp://127.0.0.1:8554/cam1', 2, 10, 416, 416);
    assert.deepEqual(a.slice(a.indexOf('-vf'), a.indexOf('-vf') + 2), ['-vf', 'fps=2,scale=416:416']);
    const ingest = buildFfmpegArgs({ url: 'rtsp://127.0.0.1:8554/cam1', fps: 2, width: 416 }).inputOptions;
    assert.deepEqual(a.slice(a.indexOf(ingest[0]), a.indexOf('-i')), ingest, "the ingest's input options, unchanged");
    assert.equal(a[a.length - 1], 'pipe:1');
    const b = ceilingFfmpegArgs('rtsp://127.0.0.1:8554/cam1', 10, 10, 416, 416);
    assert.equal(b[b.indexOf('-vf') + 1], 'scale=416:416');
  });

  it('probe parsing and the re-encoding command', () => {
    assert.deepEqual(parseProbe('768,576,10/1\n'), { width: 768, height: 576, fps: 10 });
    assert.deepEqual(parseProbe('640,360,30000/1001'), { width: 640, height: 360, fps: 30000 / 1001 });
    assert.equal(parseProbe(''), undefined);
    assert.equal(parseProbe('0,0,0/0'), undefined);
    const r = reencodeArgs('in.mp4', 'out.mp4', 640, 360, 10);
    assert.deepEqual(r.slice(r.indexOf('-vf'), r.indexOf('-vf') + 4), ['-vf', 'scale=640:360', '-r', '10']);
    assert.ok(r.includes('libx264') && r.includes('-bf'));
    assert.equal(r[r.indexOf('-g') + 1], '20');
    assert.equal(r[r.length - 1], 'out.mp4');
  });

  it('key kinds of a prefix', () => {
    assert.equal(keyKind('p-1:det:cam1', 'p-1'), 'det');
    assert.equal(keyKind('p-1:bull:frames:123', 'p-1'), 'bull:frames');
    assert.equal(keyKind('p-1:alert-events', 'p-1'), 'alert-events');
  });

  it('bench cameras: ids cam1..N, detect fps and the size only when asked', () => {
    assert.deepEqual(benchCameras(['u1', 'u2'], 2, 640, 360), [
      { id: 'cam1', url: 'u1', detect: { fps: 2, width: 640, height: 360 } },
      { id: 'cam2', url: 'u2', detect: { fps: 2, width: 640, height: 360 } },
    ]);
    assert.deepEqual(benchCameras(['u1'], 10), [{ id: 'cam1', url: 'u1', detect: { fps: 10 } }]);
  });

  it('argument checks', () => {
    const env = { VIGIL_TEST_MEDIA: '/m' };
    const o = parseLiveArgs(['--cameras', '32', '--fps', '2', '--width', '640', '--height', '360', '--runs', '3', '--no-write'], env);
    assert.ok(typeof o !== 'string');
    assert.equal(o.cameras, 32);
    assert.equal(o.width, 640);
    assert.equal(o.runs, 3);
    assert.equal(o.write, false);
    assert.equal(o.media, '/m/vtest.mp4');
    assert.match(parseLiveArgs(['--cameras', '0'], env) as string, /--cameras/);
    assert.match(parseLiveArgs(['--width', '641'], env) as string, /even/);
    assert.match(parseLiveArgs(['--height', '360'], env) as string, /--height needs --width/);
    assert.match(parseLiveArgs(['--runs', '1.5'], env) as string, /--runs/);
    assert.match(parseLiveArgs(['--bogus'], env) as string, /bogus/);
  });
});
