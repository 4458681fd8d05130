/**
 * Measures the ResNet18 DetectNet_v2 network's inference time on this machine's CPU with onnxruntime-node.
 * Usage: `npx tsx src/bench/resnet.ts [--runs 10] [--threads N] [--batch 1]`.
 * Prints one JSON line per input size: ms per frame (median, p90, min) over `runs` runs after 2 warm-ups.
 */
import { availableParallelism, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { SeededRandom } from '../onnx';
import { buildDetectNetResnet18, DETECTNET_IO } from '../models/detectnet-resnet18';
import { DETECTNET_SIZES } from '../models/build';

/** Median, p90 and min of a list of durations. */
export function summarise(ms: number[]): { median: number; p90: number; min: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: +at(0.5).toFixed(1), p90: +at(0.9).toFixed(1), min: +s[0].toFixed(1) };
}

/** Deterministic pseudo-random input in [0, scale) (real-looking values, no all-constant shortcuts). */
export function randomInput(n: number, scale: number): Float32Array {
  return new SeededRandom(1).uniforms(n, 0, scale);
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const runs = arg('runs', 10);
  const threads = arg('threads', availableParallelism());
  const batch = arg('batch', 1);
  for (const [w, h] of DETECTNET_SIZES) {
    const { graph, parameters } = buildDetectNetResnet18({ width: w, height: h });
    const session = await ort.InferenceSession.create(graph.encode(), { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const x = new ort.Tensor('float32', randomInput(batch * 3 * w * h, 1), [batch, 3, h, w]);
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      await session.run({ [DETECTNET_IO.input]: x });
      if (i >= 2) {
        times.push((performance.now() - t0) / batch);
      }
    }
    await session.release();
    console.log(
      JSON.stringify({
        model: `detectnet_resnet18_${w}x${h}`,
        parameters,
        batch,
        threads,
        runs,
        msPerFrame: summarise(times),
        loadavg1: +loadavg()[0].toFixed(2),
        cores: availableParallelism(),
      }),
    );
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
