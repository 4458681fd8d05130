/**
 * Face benchmark and accuracy proof on the real photos in `$VIGIL_TEST_MEDIA/faces`:
 * enrols one photo each of Obama, Biden, Lacamoire and Leslie, checks every other face (group photos face by face)
 * against the watchlist, computes same-person / different-person distance ranges over all pairs with false
 * accept / false reject rates, and times detection, landmarks, embedding and the whole face stage per frame on the
 * Hamilton clip.
 *
 *   npx tsx src/bench/faces.ts [--models DIR] [--media DIR] [--ultraface FILE] [--threshold 0.6]
 *     [--min-score 0.5] [--ultraface-min-score 0.7] [--write]
 *
 * `--models` is where the face-api ONNX files are (built there when missing); `--write` replaces the faces section
 * of BENCHMARKS.md.
 *
 * Over 350 lines on purpose: a benchmark program (enrolment, matching, timing, report) read from top to bottom.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '../config/schema';
import { Context } from '../config/context';
import { createLogger } from '../core/logger';
import type { Detection } from '../core/types';
import { createDetector } from '../detect';
import { decodeImage } from '../faces/decode';
import { UltraFaceDetector } from '../faces/detector';
import { Embedder, Landmarker } from '../faces/embedder';
import { alignedCrop, alignmentFromLandmarks, landmarkCrop } from '../faces/align';
import type { RgbImage } from '../faces/image';
import { euclidean, FaceIndex } from '../faces/matcher';
import { buildFaceModels, FACE_MODEL_FILES } from '../faces/models';
import { analyseFaces, FacePipeline, type FaceModels } from '../faces/pipeline';
import { SsdFaceDetector } from '../faces/ssd-detector';
import { TinyFaceDetector } from '../faces/tiny-detector';
import type { FaceDetector } from '../faces/detector';

/** Who is where in the test photos: by file, and for group photos by the face centre's x (fraction). */
export const TRUTH: Record<string, (cx: number) => string> = {
  'obama.jpg': () => 'obama',
  'obama1.jpg': () => 'obama',
  'obama2.jpg': () => 'obama',
  'obama3.jpg': () => 'obama',
  'obama-480p.jpg': () => 'obama',
  'obama_partial_face.jpg': () => 'obama',
  'biden.jpg': () => 'biden',
  'biden2.jpg': () => 'biden',
  'alex-lacamoire.png': () => 'lacamoire',
  'alex-lacamoire2.jpg': () => 'lacamoire',
  'rose-leslie1.jpg': () => 'leslie',
  'rose-leslie2.jpg': () => 'leslie',
  'lin-manuel-miranda.png': () => 'miranda',
  'two_people.jpg': (cx) => (cx < 0.5 ? 'obama' : 'biden'),
  'obama_and_biden.jpg': (cx) => (cx < 0.5 ? 'biden' : cx < 0.72 ? 'obama' : 'other:child'),
  'kit_with_rose.jpg': (cx) => (cx < 0.4 ? 'leslie' : 'other:kit'),
};
/** The enrolled photo of each watchlist identity. */
export const ENROL: Record<string, string> = {
  obama: 'obama.jpg',
  biden: 'biden2.jpg',
  lacamoire: 'alex-lacamoire.png',
  leslie: 'rose-leslie1.jpg',
};

/** One face of a test photo with its true identity. */
export interface Face {
  file: string;
  person: string;
  embedding: Float32Array;
  box: [number, number, number, number];
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

function stats(xs: number[]): { med: number; p90: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { med: q(0.5), p90: q(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Decodes `count` frames of a video at `fps` into rgb24 with ffmpeg. */
export async function decodeFrames(file: string, fps: number, count: number): Promise<RgbImage[]> {
  const probe = await new Promise<string>((resolve, reject) => {
    const p = spawn('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(out.trim()));
  });
  const [width, height] = probe.split(',').map(Number) as [number, number];
  const size = width * height * 3;
  const buf = await new Promise<Buffer>((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${fps}`, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const chunks: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.on('error', reject);
    p.on('close', () => resolve(Buffer.concat(chunks)));
  });
  const frames: RgbImage[] = [];
  for (let o = 0; o + size <= buf.length; o += size) {
    frames.push({ width, height, data: buf.subarray(o, o + size) });
  }
  return frames;
}

/** Detects and embeds every face of the test photos, each labelled with its true identity. */
export async function collectPhotoFaces(models: FaceModels, media: string, minScore: number): Promise<Face[]> {
  const faces: Face[] = [];
  for (const file of Object.keys(TRUTH)) {
    const img = await decodeImage(readFileSync(path.join(media, 'faces', file)), { maxBytes: 50 * 1024 * 1024 });
    const found = await analyseFaces(models, img, [{ x: 0, y: 0, width: img.width, height: img.height }], { minFaceSize: 24, minScore });
    for (const f of found) {
      const cx = (f.box.x1 + f.box.x2) / 2 / img.width;
      const box: Face['box'] = [f.box.x1 / img.width, f.box.y1 / img.height, f.box.x2 / img.width, f.box.y2 / img.height];
      faces.push({ file, person: TRUTH[file]!(cx), embedding: f.embedding, box });
    }
  }

  return faces;
}

/** Result of {@link evaluateWatchlist}. */
export interface WatchlistEvaluation {
  index: FaceIndex;
  /** Markdown table rows, one per checked face. */
  rows: string[];
  right: number;
  wrong: number;
  missed: number;
  checked: number;
}

/** Enrols one photo of each {@link ENROL} identity and checks every other face against them. */
export function evaluateWatchlist(faces: readonly Face[], threshold: number): WatchlistEvaluation {
  const index = new FaceIndex();
  const refs = new Set<Face>();
  for (const [id, file] of Object.entries(ENROL)) {
    const ref = faces.find((f) => f.file === file && f.person === id);
    if (!ref) {
      throw new Error(`no face of ${id} found in ${file}`);
    }
    refs.add(ref);
    index.set({ id, name: id, embeddings: [Array.from(ref.embedding)], createdAt: '' });
  }
  const rows: string[] = [];
  let right = 0;
  let wrong = 0;
  let missed = 0;
  let checked = 0;
  for (const f of faces) {
    if (refs.has(f)) {
      continue;
    }
    checked++;
    const nearest = index.nearest(f.embedding)!;
    const match = nearest.distance < threshold ? nearest.identity : undefined;
    const enrolled = f.person in ENROL;
    let verdict: string;
    if (match === undefined) {
      verdict = enrolled ? 'MISSED' : 'ok (no match)';
      if (enrolled) {missed++;}
      else {right++;}
    } else if (match === f.person) {
      verdict = 'ok';
      right++;
    } else {
      verdict = 'WRONG';
      wrong++;
    }
    rows.push(`| ${f.file} | ${f.person} | ${match ?? '-'} | ${nearest.identity} ${nearest.distance.toFixed(3)} | ${verdict} |`);
  }
  return { index, rows, right, wrong, missed, checked };
}

interface RunResult {
  md: string[];
  speed: string[];
  summary: string;
}

const f1 = (x: number): string => x.toFixed(1);

/** Accuracy on the photos and speed with one face detector. */
/** Frames of the Hamilton clip with YOLOX-nano's detections (the detect stage's default model). */
interface ClipFrames {
  frames: RgbImage[];
  detections: Detection[][];
}

async function clipWithPersons(media: string, modelsFileDir: string): Promise<ClipFrames> {
  const frames = await decodeFrames(path.join(media, 'faces', 'short_hamilton_clip.mp4'), 2, 20);
  const config = configSchema.parse({
    redis: { prefix: 'vigil-bench-faces' },
    models: { dir: modelsFileDir, detector: { family: 'yolox', file: 'yolox_nano.onnx', device: 'cpu' } },
    detect: { workers: 1, threadsPerWorker: 1 },
  });
  const ctx = new Context(config, createLogger({ level: 'warn', format: 'json' }), new Set(['detect'] as const), { defaultMetrics: false });
  const detector = await createDetector(ctx);
  try {
    const detections: Detection[][] = [];
    for (const f of frames) {
      detections.push((await detector.detect({ pixels: new Uint8Array(f.data), width: f.width, height: f.height })).detections);
    }
    return { frames, detections };
  } finally {
    await detector.close();
  }
}

async function runWith(label: string, models: FaceModels, media: string, threshold: number, minScore: number, clip: ClipFrames): Promise<RunResult> {
  const faces = await collectPhotoFaces(models, media, minScore);

  const { index, rows, right, wrong, missed, checked } = evaluateWatchlist(faces, threshold);
  // one face per photo, except two_people 2, obama_and_biden 3, kit_with_rose 2
  const expectedFaces = Object.keys(TRUTH).length + 4;
  const perFile = (file: string): number => faces.filter((f) => f.file === file).length;
  const expectedIn = (file: string): number => ({ 'two_people.jpg': 2, 'obama_and_biden.jpg': 3, 'kit_with_rose.jpg': 2 })[file] ?? 1;
  const off = Object.keys(TRUTH).filter((f) => perFile(f) !== expectedIn(f)).map((f) => `${f}: ${perFile(f)} of ${expectedIn(f)}`);

  // 3. all pairs
  const same: number[] = [];
  const diff: number[] = [];
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      const d = euclidean(faces[i]!.embedding, faces[j]!.embedding);
      (faces[i]!.person === faces[j]!.person ? same : diff).push(d);
    }
  }
  const rate = (xs: number[], pred: (d: number) => boolean): string => `${xs.filter(pred).length}/${xs.length}`;
  const sameMax = Math.max(...same);
  const diffMin = Math.min(...diff);
  const sweep = [0.45, 0.5, 0.55, 0.6, 0.65, 0.7].map(
    (t) => `| ${t.toFixed(2)} | ${rate(diff, (d) => d < t)} | ${rate(same, (d) => d >= t)} |`,
  );

  // 4. speed on the Hamilton clip (640x360) and per face
  const { frames } = clip;
  const full = (img: RgbImage): { x: number; y: number; width: number; height: number } => ({ x: 0, y: 0, width: img.width, height: img.height });
  const detMs: number[] = [];
  const stageMs: number[] = [];
  let stageFaces = 0;
  const pipeline = new FacePipeline(models, index, { wholeFrame: true, minFaceSize: 24, minScore, threshold });
  for (const img of frames.slice(0, 3)) {
    await models.detector.detect(img, full(img), minScore); // warm-up
  }
  for (const img of frames) {
    let t = performance.now();
    await models.detector.detect(img, full(img), minScore);
    detMs.push(performance.now() - t);
    t = performance.now();
    const obs = await pipeline.process('bench', img, [], Date.now());
    stageMs.push(performance.now() - t);
    stageFaces += obs.length;
  }
  const boxMs: number[] = [];
  let boxFaces = 0;
  const inBoxes = new FacePipeline(models, index, { wholeFrame: false, minFaceSize: 24, minScore, threshold });
  for (let i = 0; i < frames.length; i++) {
    const t = performance.now();
    boxFaces += (await inBoxes.process('bench', frames[i]!, clip.detections[i]!, i * 500)).length;
    boxMs.push(performance.now() - t);
  }
  const sample = await decodeImage(readFileSync(path.join(media, 'faces', 'obama.jpg')), { maxBytes: 50 * 1024 * 1024 });
  const [one] = await analyseFaces(models, sample, [full(sample)], { minFaceSize: 24, minScore });
  const lmCrop = landmarkCrop(sample, one!.box);
  const alCrop = alignedCrop(sample, alignmentFromLandmarks(one!.landmarks));
  const time = async (fn: () => Promise<unknown>, n: number): Promise<number[]> => {
    await fn();
    await fn();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
    return out;
  };
  const lm1 = stats(await time(() => models.landmarker.run([lmCrop]), 30));
  const emb1 = stats(await time(() => models.embedder.embed([alCrop]), 30));
  const emb8 = stats(await time(() => models.embedder.embed(new Array(8).fill(alCrop)), 8));
  const prep = stats(
    await time(async () => {
      landmarkCrop(sample, one!.box);
      alignedCrop(sample, alignmentFromLandmarks(one!.landmarks));
    }, 50),
  );
  const det = stats(detMs);
  const stage = stats(stageMs);

  const md = [
    `### Watchlist accuracy on \`media/faces\`, detector ${label}`,
    '',
    `Enrolled one photo each: ${Object.entries(ENROL).map(([k, v]) => `${k} (${v})`).join(', ')}. ` +
      `Faces found: ${faces.length} of ${expectedFaces}${off.length ? ` (${off.join(', ')})` : ''}. Every other face (${checked}; group photos face by face; Miranda, Kit ` +
      `Harington and a child are not enrolled and must match no one), threshold ${threshold}: ` +
      `**${right} right, ${wrong} wrong, ${missed} missed**.`,
    '',
    '| photo | who | matched | nearest, distance | verdict |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Distances over all pairs: ${faces.length} faces, ${same.length} same-person pairs, ${diff.length} different-person pairs ` +
      '(euclidean, 128-d).',
    '',
    `- same person: ${Math.min(...same).toFixed(3)} – ${sameMax.toFixed(3)}`,
    `- different people: ${diffMin.toFixed(3)} – ${Math.max(...diff).toFixed(3)}`,
    `- threshold chosen: **${threshold}** (\`faces.threshold\` default): false accept ${rate(diff, (d) => d < threshold)} pairs, ` +
      `false reject ${rate(same, (d) => d >= threshold)} pairs` +
      (sameMax < diffMin ? `; any threshold in (${sameMax.toFixed(3)}, ${diffMin.toFixed(3)}] separates these photos.` : '.'),
    '',
    '| threshold | false accepts (different-person pairs under it) | false rejects (same-person pairs at or over it) |',
    '|---|---|---|',
    ...sweep,
    '',
  ];
  const speed = [
    `| ${label}: face detection per 640×360 frame (whole frame, incl. resampling) | ${f1(det.med)} | ${f1(det.p90)} |`,
    `| ${label}: landmarks per face (112×112, batch 1) | ${f1(lm1.med)} | ${f1(lm1.p90)} |`,
    `| ${label}: embedding per face (150×150, batch 1) | ${f1(emb1.med)} | ${f1(emb1.p90)} |`,
    `| ${label}: embedding per face in a batch of 8 | ${f1(emb8.med / 8)} | ${f1(emb8.p90 / 8)} |`,
    `| ${label}: crops (landmark + aligned) per face, pure TS | ${f1(prep.med)} | ${f1(prep.p90)} |`,
    `| ${label}: whole face stage per frame, whole frame searched (Hamilton clip, ${frames.length} frames, ${f1(stageFaces / frames.length)} faces/frame) | ${f1(stage.med)} | ${f1(stage.p90)} |`,
    `| ${label}: whole face stage per frame, in YOLOX person boxes with the face cache (${f1(boxFaces / frames.length)} faces/frame) | ${f1(stats(boxMs).med)} | ${f1(stats(boxMs).p90)} |`,
  ];
  return { md, speed, summary: `${label}: ${right} right, ${wrong} wrong, ${missed} missed` };
}

async function main(): Promise<void> {
  const media = arg('media', process.env.VIGIL_TEST_MEDIA ?? '/work/shared/media');
  const modelsDir = arg('models', path.join(os.tmpdir(), 'vigil-face-models'));
  const ultraface = arg('ultraface', path.join(process.env.VIGIL_MODELS_DIR ?? '/work/shared/models', 'ultraface-rfb-320.onnx'));
  const threshold = Number(arg('threshold', '0.6'));
  const minScore = Number(arg('min-score', '0.5'));
  const log = createLogger({ level: 'warn', format: 'json' });
  const missing = Object.values(FACE_MODEL_FILES).filter((f) => !existsSync(path.join(modelsDir, f)));
  if (missing.length > 0) {
    await buildFaceModels(modelsDir, log, missing);
  }
  const landmarker = await Landmarker.load(path.join(modelsDir, FACE_MODEL_FILES.landmarks));
  const embedder = await Embedder.load(path.join(modelsDir, FACE_MODEL_FILES.recognition));
  const detectors: Array<[string, FaceDetector, number]> = [
    ['SSD-MobileNetV1 (face-api, default)', await SsdFaceDetector.load(path.join(modelsDir, FACE_MODEL_FILES.detector)), minScore],
    ['UltraFace RFB-320', await UltraFaceDetector.load(ultraface), Number(arg('ultraface-min-score', '0.7'))],
    ['TinyFaceDetector (face-api)', await TinyFaceDetector.load(path.join(modelsDir, FACE_MODEL_FILES.tinyDetector)), minScore],
  ];
  const clip = await clipWithPersons(media, path.dirname(ultraface));
  const results: RunResult[] = [];
  for (const [label, detector, score] of detectors) {
    results.push(await runWith(`${label}, score ≥ ${score}`, { detector, landmarker, embedder }, media, threshold, score, clip));
  }
  const md = [
    '<!-- faces:begin (written by `npx tsx src/bench/faces.ts --write`) -->',
    '## Faces',
    '',
    `Command: \`npx tsx src/bench/faces.ts --write\` (faces ≥ 24 px; ${os.cpus().length} CPU cores, load average ` +
      `${os.loadavg()[0]!.toFixed(1)} while it ran, onnxruntime-node CPU). Landmark net and recogniser converted from ` +
      "face-api's trained weights (src/models/face-api); crops aligned on the eyes (eyes level, face-api's dlib box), 150×150.",
    '',
    ...results.flatMap((r) => r.md),
    'Caveat: 20 faces of 7 people is a small sample, and the gap between the furthest same-person pair and the ' +
      'closest different-person pair is thin (about 0.13). 0.6 is the dlib descriptor\'s usual threshold (LFW 99.38 %); ' +
      'look-alikes, profiles and low light will produce false accepts and rejects that these photos do not show, which ' +
      'is why the tracker votes over `faces.votes` frames before a `face_match` fires.',
    '',
    '### Speed',
    '',
    '| step | median ms | p90 ms |',
    '|---|---|---|',
    ...results.flatMap((r) => r.speed),
    '<!-- faces:end -->',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  process.stderr.write(`${results.map((r) => r.summary).join('; ')}\n`);
  if (process.argv.includes('--write')) {
    const file = path.resolve(__dirname, '..', '..', 'BENCHMARKS.md');
    const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
    const re = /<!-- faces:begin[\s\S]*?<!-- faces:end -->/;
    writeFileSync(file, re.test(old) ? old.replace(re, md) : `${old.trimEnd()}\n\n${md}\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
