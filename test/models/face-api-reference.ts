/**
 * Test helper: face-api's own tfjs implementation, run on tfjs's pure-JS `cpu` backend, as the reference the ONNX
 * conversions are checked against. face-api's browser bundle (`dist/face-api.js`) carries tfjs inside; loaded in
 * Node it would pick tfjs's Node platform, whose `util` import the bundle stubs out, so it is evaluated with a
 * `process` object that hides `versions.node` (a small platform object is then given to tfjs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { types } from 'node:util';
import { faceApiModelDir } from '../../src/models/face-api/weights';

/* eslint-disable @typescript-eslint/no-explicit-any -- face-api's bundle is untyped JavaScript */
export type FaceApi = any;

let cached: Promise<FaceApi> | undefined;

/** Loads face-api (once per process) with tfjs on the cpu backend. */
export function loadFaceApi(): Promise<FaceApi> {
  cached ??= (async () => {
    const bundle = join(faceApiModelDir(), '..', 'dist', 'face-api.js');
    const src = readFileSync(bundle, 'utf8');
    const fakeProcess = { env: {}, versions: {} };
    // The bundle is evaluated with a stand-in `process` (see above); new Function sees none of this module's scope.
    const faceapi = new Function('require', 'process', `${src}\n;return faceapi;`)(require, fakeProcess);
    faceapi.tf.env().setPlatform('vigil-test', {
      fetch: () => Promise.reject(new Error('no fetch in tests')),
      now: () => performance.now(),
      encode: (text: string) => new TextEncoder().encode(text),
      decode: (bytes: Uint8Array, encoding: string) => new TextDecoder(encoding).decode(bytes),
      isTypedArray: (a: unknown) =>
        types.isFloat32Array(a) || types.isInt32Array(a) || types.isUint8Array(a) || types.isUint8ClampedArray(a),
      setTimeoutCustom: (fn: () => void, ms: number) => setTimeout(fn, ms),
    });
    // face-api's own environment check fails for the same reason; its Node.js environment only needs stubs here
    // because every input is a tensor (no canvas, image or file access).
    faceapi.env.setEnv(faceapi.env.createNodejsEnv());
    await faceapi.tf.setBackend('cpu');
    await faceapi.tf.ready();
    return faceapi;
  })();
  return cached;
}

/** A face-api network loaded from its weights with tfjs's own decoder (not the converter's). */
export async function loadReferenceNet(faceapi: FaceApi, ctor: string, model: string): Promise<any> {
  const dir = faceApiModelDir();
  const manifest = JSON.parse(readFileSync(join(dir, `${model}-weights_manifest.json`), 'utf8'));
  const specs = manifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const bytes = Buffer.concat(
    manifest.flatMap((g: { paths: string[] }) => g.paths.map((p: string) => readFileSync(join(dir, p)))),
  );
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const weightMap = faceapi.tf.io.decodeWeights(ab, specs);
  const net = new faceapi[ctor]();
  net.loadFromWeightMap(weightMap);
  return net;
}
