/**
 * Measures the face networks converted from face-api on this machine's CPU with onnxruntime-node.
 * Usage: `npx tsx src/bench/face-api.ts [--runs 10] [--threads N]`.
 * Prints one JSON line per network and batch: ms per call and per face (median over `runs` after 2 warm-ups).
 */
import { availableParallelism, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { GraphBuilder } from '../onnx';
import { randomInput, summarise } from './resnet';
import { buildLandmarkNet, LANDMARK_IO } from '../models/face-api/landmark-net';
import { buildRecognitionNet, RECOGNITION_IO } from '../models/face-api/recognition-net';
import { buildSsdNet, SSD_IO } from '../models/face-api/ssd-net';
import { buildTinyFaceNet, TINY_IO } from '../models/face-api/tiny-net';
import { loadFaceApiWeights } from '../models/face-api/weights';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function measure(name: string, graph: GraphBuilder, size: number, batches: number[], runs: number, threads: number) {
  const session = await ort.InferenceSession.create(graph.encode(), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  for (const batch of batches) {
    const x = new ort.Tensor('float32', randomInput(batch * size * size * 3, 255), [batch, size, size, 3]);
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      await session.run({ input: x });
      if (i >= 2) {
        times.push(performance.now() - t0);
      }
    }
    const call = summarise(times);
    console.log(
      JSON.stringify({
        model: name,
        parameters: graph.parameters,
        batch,
        threads,
        runs,
        msPerCall: call,
        msPerItem: +(call.median / batch).toFixed(2),
        loadavg1: +loadavg()[0].toFixed(2),
      }),
    );
  }
  await session.release();
}

async function main(): Promise<void> {
  const runs = arg('runs', 10);
  const threads = arg('threads', availableParallelism());
  const rec = buildRecognitionNet(await loadFaceApiWeights('face_recognition_model'));
  await measure('face_recognition', rec, RECOGNITION_IO.size, [1, 8], runs, threads);
  const lm = buildLandmarkNet(await loadFaceApiWeights('face_landmark_68_model'));
  await measure('face_landmark_68', lm, LANDMARK_IO.size, [1, 8], runs, threads);
  const ssd = buildSsdNet(await loadFaceApiWeights('ssd_mobilenetv1_model'));
  await measure('ssd_mobilenetv1', ssd, SSD_IO.size, [1], runs, threads);
  const tiny = buildTinyFaceNet(await loadFaceApiWeights('tiny_face_detector_model'));
  await measure('tiny_face_detector', tiny, TINY_IO.size, [1], runs, threads);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
