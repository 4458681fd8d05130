/**
 * Pure weight layout conversions between TensorFlow (channels-last) and ONNX (channels-first) conventions.
 */

/** TF conv filter [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
export function hwioToOihw(src: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  if (src.length !== kh * kw * cin * cout) {
    throw new RangeError(`hwioToOihw: ${src.length} values do not fit [${kh},${kw},${cin},${cout}]`);
  }
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const s = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) {
          dst[((o * cin + i) * kh + y) * kw + x] = src[s + o];
        }
      }
    }
  }
  return dst;
}

/**
 * TF depthwise filter [kh, kw, C, 1] → ONNX grouped-conv weight [C, 1, kh, kw]. In memory [kh, kw, C, 1] is the
 * same as [kh, kw, 1, C], so this is the conv conversion with one input channel and C outputs.
 */
export function depthwiseToOnnx(src: Float32Array, kh: number, kw: number, channels: number): Float32Array {
  return hwioToOihw(src, kh, kw, 1, channels);
}
