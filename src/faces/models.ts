/**
 * Loads the face networks from the models directory, building the face-api ONNX files first when they are
 * missing (`buildModels` of src/models/build.ts, the same code as `vigil models build`).
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FacesConfig } from '../config/schema';
import { ModelError } from '../core/errors';
import type { Logger } from '../core/logger';
import { buildModels, FACE_MODEL_FILES } from '../models/build';
import { UltraFaceDetector, type FaceDetector } from './detector';
import { Embedder, Landmarker } from './embedder';
import { SsdFaceDetector } from './ssd-detector';
import { TinyFaceDetector } from './tiny-detector';
import type { FaceModels } from './pipeline';

export { FACE_MODEL_FILES };

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Builds the face-api ONNX files into `dir` with the project's converter (the code of `vigil models build`). */
export async function buildFaceModels(dir: string, log: Logger, files: readonly string[] = Object.values(FACE_MODEL_FILES)): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return buildModels(dir, log, { only: [...files] });
}

/**
 * Loads detector, landmark net and recogniser; builds missing face-api ONNX files into `modelsDir` first.
 */
export async function loadFaceModels(modelsDir: string, cfg: FacesConfig, log: Logger): Promise<FaceModels> {
  const file = (name: string): string => (path.isAbsolute(name) ? name : path.join(modelsDir, name));
  const needed: string[] = [FACE_MODEL_FILES.recognition, FACE_MODEL_FILES.landmarks];
  if (cfg.detector === 'ssd_mobilenetv1') {
    needed.push(FACE_MODEL_FILES.detector);
  } else if (cfg.detector === 'tiny_face_detector') {
    needed.push(FACE_MODEL_FILES.tinyDetector);
  }
  const missing: string[] = [];
  for (const n of needed) {
    if (!(await exists(file(n)))) {
      missing.push(n);
    }
  }
  if (missing.length > 0) {
    log.info({ missing, dir: modelsDir }, 'building missing face models');
    await buildFaceModels(modelsDir, log, missing);
  }
  const [landmarker, embedder, detector] = await Promise.all([
    Landmarker.load(file(FACE_MODEL_FILES.landmarks)),
    Embedder.load(file(FACE_MODEL_FILES.recognition)),
    loadDetector(file, cfg),
  ]);
  return { detector, landmarker, embedder };
}

async function loadDetector(file: (n: string) => string, cfg: FacesConfig): Promise<FaceDetector> {
  if (cfg.detector === 'ultraface') {
    return UltraFaceDetector.load(file(cfg.ultrafaceFile));
  }
  if (cfg.detector === 'ssd_mobilenetv1') {
    return SsdFaceDetector.load(file(FACE_MODEL_FILES.detector));
  }
  if (cfg.detector === 'tiny_face_detector') {
    return TinyFaceDetector.load(file(FACE_MODEL_FILES.tinyDetector));
  }
  throw new ModelError(`unknown face detector ${String(cfg.detector)}`);
}

const shared = new WeakMap<object, Promise<FaceModels>>();

/**
 * The face models of a process (one set shared by the detect stage and the enrolment API), loaded on first use.
 * `owner` is normally the Context.
 */
export function sharedFaceModels(owner: object, load: () => Promise<FaceModels>): Promise<FaceModels> {
  let p = shared.get(owner);
  if (!p) {
    p = load();
    shared.set(owner, p);
    // a failed load is retried on the next call
    p.catch(() => shared.delete(owner));
  }
  return p;
}

/** Hands ready models to a process (tests inject fakes or preloaded sessions this way). */
export function provideFaceModels(owner: object, models: FaceModels): void {
  shared.set(owner, Promise.resolve(models));
}
