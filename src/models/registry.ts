/**
 * Known model files: where each comes from upstream, its sha256, and the checks `vigil models verify` runs
 * (ONNX magic bytes, checksum, loads in onnxruntime). `fetchModel` downloads a file for users who are online and
 * refuses anything whose checksum differs. The project's own networks (`vigil models build`) have no upstream.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ModelError } from '../core/errors';
import { checkOnnxFile } from './model-file';

/** A third-party model the project knows how to fetch and verify. */
export interface KnownModel {
  /** File name inside the models directory. */
  file: string;
  /** Detector family, or `face` for the face detectors. */
  family: 'yolox' | 'fastestdet' | 'detectnet_v2' | 'yolov8' | 'face';
  description: string;
  /** Download URL (a pinned commit). */
  url: string;
  sha256: string;
  license: string;
}

/** Every third-party model file, as listed in the shared models README. */
export const KNOWN_MODELS: readonly KnownModel[] = Object.freeze([
  {
    file: 'yolox_nano.onnx',
    family: 'yolox',
    description: 'YOLOX-nano, COCO 80 classes, 416x416 (the default detector)',
    url: 'https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/raw/3d4f111/model/yolox_nano.onnx',
    sha256: '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14',
    license: 'Apache-2.0',
  },
  {
    file: 'fastestdet.onnx',
    family: 'fastestdet',
    description: 'FastestDet, COCO 80 classes, 352x352 (very fast, less accurate)',
    url: 'https://github.com/dog-qiuqiu/FastestDet/raw/50473cd/example/onnx-runtime/FastestDet.onnx',
    sha256: '31cb14c017fce347cb4c846ec62fdf00d76bb3beecdf4be21e7116ac67feb880',
    license: 'BSD-3-Clause',
  },
  {
    file: 'ultraface-rfb-320.onnx',
    family: 'face',
    description: 'Ultra-Light face detector RFB, 320x240',
    url: 'https://github.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB/raw/dffdddd/models/onnx/version-RFB-320.onnx',
    sha256: '34cd7e60aeff28744c657de7a3dc64e872d506741de66987f3426f2b79f88017',
    license: 'MIT',
  },
  {
    file: 'ultraface-rfb-640.onnx',
    family: 'face',
    description: 'Ultra-Light face detector RFB, 640x480 (better for small faces)',
    url: 'https://github.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB/raw/dffdddd/models/onnx/version-RFB-640.onnx',
    sha256: '8f4c659275977e7a3bfbfa339a9c769ad793df50f9c0baa8c14b11baa1646430',
    license: 'MIT',
  },
] satisfies KnownModel[]);

/** The known model stored under `file` (a name or a path), if any. */
export function findKnownModel(file: string): KnownModel | undefined {
  const name = basename(file);
  return KNOWN_MODELS.find((m) => m.file === name);
}

/** sha256 of a file, hex. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Result of verifying one file. */
export interface VerifyResult {
  file: string;
  ok: boolean;
  /** What is wrong, empty when ok. */
  problems: string[];
  bytes?: number;
  sha256?: string;
}

/**
 * Verifies a model file: present, an ONNX protobuf (not an HTML page or LFS pointer), the expected sha256 when
 * the file is a known one, and (unless `load` is false) loadable by onnxruntime.
 */
export async function verifyModelFile(path: string, opts: { load?: boolean; expectedSha256?: string } = {}): Promise<VerifyResult> {
  const problems: string[] = [];
  const res: VerifyResult = { file: path, ok: false, problems };
  try {
    checkOnnxFile(path);
  } catch (err) {
    problems.push((err as Error).message);
    return res;
  }
  res.bytes = (await stat(path)).size;
  res.sha256 = await sha256File(path);
  const expected = opts.expectedSha256 ?? findKnownModel(path)?.sha256;
  if (expected && res.sha256 !== expected) {
    problems.push(`sha256 ${res.sha256} differs from the published ${expected}`);
  }
  if (opts.load !== false) {
    try {
      const ort = await import('onnxruntime-node');
      const s = await ort.InferenceSession.create(path, { logSeverityLevel: 3, intraOpNumThreads: 1 });
      await s.release();
    } catch (err) {
      problems.push(`onnxruntime cannot load it: ${(err as Error).message}`);
    }
  }
  res.ok = problems.length === 0;
  return res;
}

/** A `fetch` implementation (tests pass a fake). */
export type FetchLike = (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;

/**
 * Downloads a known model into `dir`, checks its sha256 and ONNX header, and moves it into place atomically.
 * @returns the path written.
 * @throws ModelError when the file is unknown, the download fails (offline machines: copy the file by hand) or
 * the checksum differs (nothing is kept then).
 */
export async function fetchModel(dir: string, file: string, fetchImpl: FetchLike = globalThis.fetch as FetchLike): Promise<string> {
  const model = findKnownModel(file);
  if (!model) {
    throw new ModelError(
      `model ${file}: no known download (known: ${KNOWN_MODELS.map((m) => m.file).join(', ')}; ` +
        'the DetectNet_v2 files come from `vigil models build`)',
    );
  }
  const target = join(dir, model.file);
  let body: Buffer;
  try {
    const res = await fetchImpl(model.url);
    if (!res.ok) {
      throw new Error(`HTTP ${res.status}`);
    }
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw new ModelError(
      `model ${model.file}: cannot download ${model.url} (${(err as Error).message}). Offline: set VIGIL_MODELS_DIR to a ` +
        `folder that has it, or run \`vigil models fetch\` on a machine online and copy the file to ${target} ` +
        `(sha256 ${model.sha256})`,
      { cause: err },
    );
  }
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== model.sha256) {
    throw new ModelError(`model ${model.file}: downloaded file has sha256 ${sha}, expected ${model.sha256}; not saved`);
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${target}.download-${process.pid}`;
  try {
    await writeFile(tmp, body);
    checkOnnxFile(tmp);
    await rename(tmp, target);
  } finally {
    if (existsSync(tmp)) {
      await rm(tmp, { force: true });
    }
  }
  return target;
}
