import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logger';
import { ModelError } from '../core/errors';
import { writeModel, type GraphBuilder } from '../onnx';
import { buildDetectNetResnet18, detectnetFileName } from './detectnet-resnet18';
import { buildLandmarkNet } from './face-api/landmark-net';
import { buildSsdNet } from './face-api/ssd-net';
import { buildTinyFaceNet } from './face-api/tiny-net';
import { buildRecognitionNet } from './face-api/recognition-net';
import { loadFaceApiWeights } from './face-api/weights';

/** File names of the face networks converted from face-api's weights (stable: the face stage loads these). */
export const FACE_MODEL_FILES = {
  recognition: 'face_recognition.onnx',
  landmarks: 'face_landmark_68.onnx',
  detector: 'ssd_mobilenetv1.onnx',
  tinyDetector: 'tiny_face_detector.onnx',
} as const;

/** One model file that {@link buildModels} can produce. */
export interface ModelRecipe {
  /** File name inside the models directory. */
  file: string;
  /** What it is, for logs and `vigil models list`. */
  description: string;
  /** Builds the graph (may read face-api's weight files). */
  build(): Promise<GraphBuilder>;
}

/** Sizes of the ResNet18 DetectNet_v2 files: [width, height]. */
export const DETECTNET_SIZES: ReadonlyArray<readonly [number, number]> = [
  [960, 544],
  [640, 384],
];

/** Every model the project builds itself, in build order. */
export function modelRecipes(): ModelRecipe[] {
  const recipes: ModelRecipe[] = DETECTNET_SIZES.map(([w, h]) => ({
    file: detectnetFileName(w, h),
    description: `DetectNet_v2 ResNet18 ${w}x${h}, seeded random weights (untrained; tests and benchmarks)`,
    build: async () => buildDetectNetResnet18({ width: w, height: h }).graph,
  }));
  recipes.push({
    file: FACE_MODEL_FILES.recognition,
    description: 'face-api FaceRecognitionNet (dlib ResNet, 128-d descriptor), converted from trained weights',
    build: async () => buildRecognitionNet(await loadFaceApiWeights('face_recognition_model')),
  });
  recipes.push({
    file: FACE_MODEL_FILES.landmarks,
    description: 'face-api FaceLandmark68Net (68 points), converted from trained weights',
    build: async () => buildLandmarkNet(await loadFaceApiWeights('face_landmark_68_model')),
  });
  recipes.push({
    file: FACE_MODEL_FILES.detector,
    description: 'face-api SsdMobilenetv1 face detector (boxes + scores; NMS in ssd-decode.ts), converted from trained weights',
    build: async () => buildSsdNet(await loadFaceApiWeights('ssd_mobilenetv1_model')),
  });
  recipes.push({
    file: FACE_MODEL_FILES.tinyDetector,
    description: 'face-api TinyFaceDetector 416x416 (raw YOLO grid; decode in tiny-decode.ts), converted from trained weights',
    build: async () => buildTinyFaceNet(await loadFaceApiWeights('tiny_face_detector_model')),
  });
  return recipes;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the project's own ONNX models into `dir`: the ResNet18 DetectNet_v2 files and the face networks
 * converted from `@vladmandic/face-api`'s weights. Files already present are kept unless `force`.
 * @returns the paths written.
 * @throws ModelError when a network cannot be built (for example face-api's weight files are missing).
 */
export async function buildModels(dir: string, log: Logger, opts: { force?: boolean; only?: string[] } = {}): Promise<string[]> {
  const written: string[] = [];
  for (const recipe of modelRecipes()) {
    if (opts.only && !opts.only.includes(recipe.file)) {
      continue;
    }
    const path = join(dir, recipe.file);
    if (!opts.force && (await exists(path))) {
      log.debug({ file: recipe.file }, 'model present, not rebuilt');
      continue;
    }
    const t0 = Date.now();
    let graph: GraphBuilder;
    try {
      graph = await recipe.build();
    } catch (err) {
      throw new ModelError(`cannot build ${recipe.file}: ${(err as Error).message}`, { cause: err });
    }
    const bytes = await writeModel(path, graph);
    log.info({ file: recipe.file, bytes, parameters: graph.parameters, ms: Date.now() - t0 }, 'model built');
    written.push(path);
  }
  return written;
}
