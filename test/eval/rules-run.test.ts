import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readDetections } from '../../src/cli/replay';
import { replay } from '../../src/track/replay';
import { loadConfig } from '../../src/config/load';
import { ruleSchema } from '../../src/config/schema';
import { binCounts, histogramSvg, lineChartSvg, ticks, writePng } from '../../src/eval/charts';
import type { DetectedClip } from '../../src/eval/clip';
import { recommend, renderMarkdown, type EvalReport } from '../../src/eval/report';
import { filterFrame, keepAt, motLines, runRules } from '../../src/eval/rules-run';
import type { Detection } from '../../src/core/types';
import { parseSweep, sweepScores } from '../../src/eval/sweep';

const FIX = join(__dirname, '..', 'fixtures');

/** The recorded YOLOX detections of vtest.mp4 (every frame, scores down to 0.1) as a detection pass's output. */
async function vtestClip(): Promise<DetectedClip> {
  const results = await readDetections(join(FIX, 'vtest-detections.jsonl'));
  return {
    camera: 'walkway', video: 'vtest.mp4', videoWidth: 768, videoHeight: 576, videoFps: 10, fps: 10, width: 768, height: 576,
    startS: 0, durationS: results.length / 10, scoreFloor: 0.1, model: 'yolox', provider: 'cpu',
    frames: results.map((r, i) => ({ seq: i, t: i / 10, videoFrame: i, detections: r.detections })),
    timing: { wallMs: 1, decodeWaitMs: 0, decodeCpuMs: 1, preMs: 1, inferMs: 1, postMs: 1, detectMs: 1 },
  };
}

describe('eval: decision pass, sweep, report', () => {
  it('raises the alerts vigil replay raises from the same detections, and writes MOT tracks in video pixels', async () => {
    const { config } = loadConfig(join(FIX, 'vtest-rules.yaml'));
    const clip = await vtestClip();
    const run = runRules(config, clip, keepAt(config, config.models.detector.scoreThreshold));
    const results = (await readDetections(join(FIX, 'vtest-detections.jsonl'))).map((r) => ({
      ...r,
      detections: r.detections.filter((d) => d.score >= config.models.detector.scoreThreshold),
    }));
    const starts = replay(config, results).filter((e) => e.event === 'start');
    assert.ok(starts.length >= 10);
    assert.deepEqual(
      run.alerts.map((a) => [a.rule, a.t, a.direction ?? null]),
      starts.map((e) => [e.alert.rule, (Date.parse(e.alert.startedAt) - results[0].times.capturedAt) / 1000, e.alert.direction ?? null]),
    );
    const lines = motLines(run.tracks).trim().split('\n');
    assert.ok(lines.length > 1000);
    const [frame, id, x, y, w, h] = lines[0].split(',').map(Number);
    assert.ok(frame >= 1 && id >= 1 && x >= 0 && y >= 0 && x + w <= 769 && y + h <= 577 && w > 5 && h > 20, lines[0]);
  });

  it('sweeps the score threshold: fewer boxes, never more alerts at a higher threshold here; precision/recall per value', async () => {
    const { config } = loadConfig(join(FIX, 'vtest-rules.yaml'));
    const clip = await vtestClip();
    const base = runRules(config, clip, keepAt(config, 0.3)).alerts.filter((a) => a.rule === 'walkway-count');
    // Label the crossings the 0.3 run found, but 0.2 s later, plus one the run never raised.
    const events = [...base.map((a) => ({ rule: 'walkway-count', t: a.t + 0.2 })), { rule: 'walkway-count', t: 5 }];
    const points = sweepScores(config, clip, parseSweep('score=0.3:0.9:0.3').values, { rules: ['walkway-count'], events });
    assert.deepEqual(points.map((p) => p.value), [0.3, 0.6, 0.9]);
    assert.equal(points[0].truePositives, base.length);
    assert.equal(points[0].precision, 1);
    assert.equal(points[0].recall, base.length / (base.length + 1));
    assert.ok(points[2].alerts < points[0].alerts);
    assert.equal(points[2].recall !== null && points[2].recall < points[0].recall!, true);
    assert.deepEqual(recommend(points, 0)?.value, 0.3);
    assert.throws(() => parseSweep('thresh=0.1:0.2:0.1'), /unknown parameter "thresh"/);
    assert.deepEqual(parseSweep('faces=0.4:0.6:0.1'), { param: 'faces', values: [0.4, 0.5, 0.6] });
    assert.throws(() => parseSweep('faces=1:3:1'), /lies in \[0, 2\]/);
    assert.throws(() => parseSweep('score=0.8:0.2:0.1'), /LO <= HI/);
    assert.throws(() => parseSweep('score=0:1:0.001'), /too many/);
    assert.deepEqual(parseSweep('score=0.5,0.3').values, [0.3, 0.5]);
    assert.equal(parseSweep('score=0.2:0.8:0.05').values.length, 13);
  });

  it('filters a frame for a setting: boxes by score, faces renumbered to the kept boxes, matches at or past the face threshold dropped', () => {
    const det = (score: number): Detection => ({ label: 'person', score, box: [0, 0, 0.1, 0.1] });
    const match = (distance: number) => ({ identity: 'id-1', name: 'Ann', distance });
    const out = filterFrame(
      [det(0.2), det(0.9), det(0.5)],
      [
        { box: [0, 0, 0.01, 0.01], score: 1, detectionIndex: 0, match: match(0.3) },
        { box: [0, 0, 0.01, 0.01], score: 1, detectionIndex: 2, match: match(0.5) },
        { box: [0, 0, 0.01, 0.01], score: 1, detectionIndex: 1, match: match(0.49) },
        { box: [0, 0, 0.01, 0.01], score: 1, match: match(0.1) },
      ],
      (d) => d.score >= 0.4,
      0.5,
    );
    assert.deepEqual(out.detections.map((d) => d.score), [0.9, 0.5]);
    assert.deepEqual(out.faces!.map((f) => [f.detectionIndex, f.match?.distance]), [[1, undefined], [0, 0.49], [undefined, 0.1]]);
    assert.equal(filterFrame([det(0.9)], undefined, () => true).faces, undefined);
  });

  it('sweeps faces.threshold: a face_match alert needs matches closer than the setting', async () => {
    const { config: base } = loadConfig(join(FIX, 'vtest-rules.yaml'));
    const config = {
      ...base,
      faces: { ...base.faces, threshold: 0.6 },
      cameras: base.cameras.map((c) => ({ ...c, faces: { enabled: true } })),
      rules: [ruleSchema.parse({ id: 'ann', type: 'face_match', camera: 'walkway' })],
    };
    const clip = await vtestClip();
    // Every person box of the first 100 frames shows Ann's face at distance 0.45.
    clip.frames.forEach((f, i) => {
      if (i < 100) {
        f.faces = f.detections.flatMap((d, k) => (d.label === 'person' ? [{ box: d.box, score: 1, detectionIndex: k, match: { identity: 'ann', name: 'Ann', distance: 0.45 } }] : []));
      }
    });
    const events = { rules: ['ann'], events: [{ rule: 'ann', t: 0.5 }] };
    const points = sweepScores(config, clip, [0.4, 0.5], events, 1.5, 'faces');
    assert.equal(points[0].alerts, 0);
    assert.ok(points[1].alerts > 0);
    assert.equal(points[1].truePositives, 1);
  });

  it('draws charts as SVG and renders them to PNG', async () => {
    assert.deepEqual(ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(binCounts([-1.5, -0.1, 0, 0.2, 1.5, 9], [-1.5, 1.5], 0.5), [1, 0, 1, 2, 0, 2]);
    const svg = lineChartSvg({ title: 'PR <person>', xLabel: 'recall', yLabel: 'precision', series: [{ name: 'person', points: [[0, 1], [0.5, 0.8], [0.9, 0.4]] }, { name: 'car', points: [] }] });
    assert.match(svg, /PR &lt;person&gt;/);
    assert.match(svg, /car \(no data\)/);
    assert.match(histogramSvg({ title: 'offsets', xLabel: 's', values: [], range: [-1.5, 1.5], bin: 0.25 }), /no matched alert/);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-eval-charts-'));
    try {
      await writePng(svg, join(dir, 'pr.png'));
      const meta = await sharp(join(dir, 'pr.png')).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', 720, 460]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(existsSync(dir), false);
  });

  it('renders the Markdown report with its sections and no undefined or NaN', () => {
    const r: EvalReport = {
      version: 1, createdAt: '2026-12-04T09:00:00Z', video: '/m/vtest.mp4', config: 'c.yaml', camera: 'walkway', model: 'yolox_nano.onnx', family: 'yolox', provider: 'cpu',
      videoSize: [768, 576], videoFps: 10, fps: 10, frameSize: [768, 576], startS: 0, durationS: 10, frames: 100, scoreThreshold: 0.3, scoreFloor: 0.05,
      speed: { endToEndFps: 25, wallS: 4, stages: [{ stage: 'inference', msPerFrame: 20, fps: 50, note: 'onnxruntime' }, { stage: 'decode', msPerFrame: null, fps: null, note: 'n/a' }] },
      alerts: [{ id: 'eval-1', rule: 'cross', t: 1, objects: ['person'] }],
      sweep: { param: 'score', configured: 0.3, points: [{ value: 0.3, alerts: 1, truePositives: 0, falseAlarms: 1, missed: 0, precision: 0, recall: null, falseAlarmsPerHour: 360, rules: [] }] },
      files: ['report.md', 'sweep.png'],
    };
    const md = renderMarkdown(r);
    assert.match(md, /## Speed[\s\S]*\| inference \| 20.00 \| 50.0 \| onnxruntime \|/);
    assert.match(md, /\| decode \| – \| – \|/);
    assert.match(md, /1 alerts \(no --events file: not judged\)/);
    assert.match(md, /\| \*\*0.3\*\* \(config\) \| 1 \| 0 \| 1 \| 0 \| 0.0 \| – \| 360.0 \|/);
    assert.match(md, /!\[alert precision and recall against the score threshold\]\(sweep.png\)/);
    assert.doesNotMatch(md, /undefined|NaN/);
  });
});
