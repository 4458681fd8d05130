/** Test helpers of the face tests: media paths, image loading, fake per-face nets. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nullLogger } from '../../src/core/logger';
import { Embedder, Landmarker } from '../../src/faces/embedder';
import { buildFaceModels, FACE_MODEL_FILES } from '../../src/faces/models';
import { decodeImage } from '../../src/faces/decode';
import type { RgbImage } from '../../src/faces/image';
import type { FaceModels } from '../../src/faces/pipeline';
import { Children } from '../helpers';

/** face-api's demo group photos. */
export const FACE_API_DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** Decodes an image file to rgb24. */
export async function loadImage(file: string): Promise<RgbImage> {
  return decodeImage(readFileSync(file), { maxBytes: 50 * 1024 * 1024 });
}

/**
 * Landmark and embedding nets that need no model file: a frontal face layout and a descriptor made of the crop's
 * mean colour (enough for API and flow tests, not for recognition).
 */
export function fakeFaceNets(): Pick<FaceModels, 'landmarker' | 'embedder'> {
  return {
    landmarker: {
      async run(crops) {
        const out = new Float32Array(crops.length * 136);
        for (let c = 0; c < crops.length; c++) {
          for (let i = 0; i < 68; i++) {
            const [x, y] = i >= 36 && i < 42 ? [0.35, 0.4] : i >= 42 && i < 48 ? [0.65, 0.4] : i === 30 ? [0.5, 0.6] : [0.5, 0.75];
            out[c * 136 + i * 2] = x;
            out[c * 136 + i * 2 + 1] = y;
          }
        }
        return out;
      },
    },
    embedder: {
      async embed(crops) {
        return crops.map((c) => {
          const e = new Float32Array(128);
          for (let i = 0; i < c.data.length; i += 3) {
            e[0]! += c.data[i]! / 255;
            e[1]! += c.data[i + 1]! / 255;
            e[2]! += c.data[i + 2]! / 255;
          }
          const n = c.data.length / 3;
          e[0]! /= n;
          e[1]! /= n;
          e[2]! /= n;
          return e;
        });
      },
    },
  };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

/** CRC-32 as PNG chunks use it. */
export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Rewrites a PNG's IHDR to claim `width`×`height` (a tiny file that decodes to a huge image). */
export function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // signature (8) + length (4) + "IHDR" (4) + data (13) + crc (4)
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** Running child processes started by the face tests (ended by pid in `after`: `children.stopAll()`). */
export const children = new Children();

/** Decodes frames of a video at `fps` into rgb24 with ffmpeg (`width`×`height` must be the video's size). */
export async function videoFrames(file: string, width: number, height: number, fps: number, max: number): Promise<RgbImage[]> {
  const p = spawn('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${fps}`, '-frames:v', String(max), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  children.add(p);
  const chunks: Buffer[] = [];
  p.stdout.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
  });
  const buf = Buffer.concat(chunks);
  const size = width * height * 3;
  const frames: RgbImage[] = [];
  for (let o = 0; o + size <= buf.length; o += size) {
    frames.push({ width, height, data: buf.subarray(o, o + size) });
  }
  return frames;
}

/**
 * A hash of what the face networks are built from: the builders' source (src/models, src/onnx, src/faces/models.ts)
 * and the face-api package whose weights they convert. A changed builder gets a cache folder of its own, so its
 * models are built and tested again instead of an older build being reused.
 */
function builderHash(): string {
  const root = path.resolve(__dirname, '..', '..');
  const files: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) {
      return;
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.ts')) {
        files.push(p);
      }
    }
  };
  walk(path.join(root, 'src', 'models'));
  walk(path.join(root, 'src', 'onnx'));
  files.push(path.join(root, 'src', 'faces', 'models.ts'), require.resolve('@vladmandic/face-api/package.json'));
  const h = createHash('sha256');
  for (const f of files.sort()) {
    if (existsSync(f)) {
      h.update(path.relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Where the face tests keep the face-api ONNX files they build: a cache across runs, keyed by the builders' hash. */
export const BUILT_MODELS = path.join(os.tmpdir(), `vigil-test-face-models-${builderHash()}`);

/** Landmark net and recogniser built from face-api's weights (built on first use, like `vigil start`). */
export async function builtFaceNets(): Promise<Pick<FaceModels, 'landmarker' | 'embedder'>> {
  const missing = Object.values(FACE_MODEL_FILES).filter((f) => !existsSync(path.join(BUILT_MODELS, f)));
  if (missing.length > 0) {
    await buildFaceModels(BUILT_MODELS, nullLogger(), missing);
  }
  return {
    landmarker: await Landmarker.load(path.join(BUILT_MODELS, FACE_MODEL_FILES.landmarks)),
    embedder: await Embedder.load(path.join(BUILT_MODELS, FACE_MODEL_FILES.recognition)),
  };
}
