/**
 * Constant-velocity Kalman filter on a box's centre, aspect ratio and height (ByteTrack's model). The motion model
 * and noise are diagonal per coordinate, so the 8-state filter splits exactly into four independent
 * position/velocity filters; that is what is computed here (no matrix library, no allocation per step).
 * Time is in seconds; velocities are per second. Noise is scaled with the box height as in ByteTrack, calibrated
 * per 0.1 s step.
 */

/** [cx, cy, aspect (w/h), h] of a box (frame fractions). */
export type Measurement = [number, number, number, number];

const W_POS = 1 / 20;
const W_VEL = 1 / 160;
const STEP_S = 0.1;

/** A {@link KalmanBox} as plain numbers (exact: JSON keeps every double), for a saved tracker. */
export interface KalmanState {
  p: number[];
  v: number[];
  c00: number[];
  c01: number[];
  c11: number[];
}

/** Kalman state of one track: per coordinate position p, velocity v and the 2x2 covariance (p00, p01, p11). */
export class KalmanBox {
  readonly p = new Float64Array(4);
  readonly v = new Float64Array(4);
  private readonly c00 = new Float64Array(4);
  private readonly c01 = new Float64Array(4);
  private readonly c11 = new Float64Array(4);

  constructor(m: Measurement) {
    const h = m[3];
    for (let i = 0; i < 4; i++) {
      this.p[i] = m[i];
      this.v[i] = 0;
      const sp = i === 2 ? 1e-2 : 2 * W_POS * h;
      const sv = i === 2 ? 1e-5 : (10 * W_VEL * h) / STEP_S;
      this.c00[i] = sp * sp;
      this.c01[i] = 0;
      this.c11[i] = sv * sv;
    }
  }

  /** The filter's state (see {@link KalmanBox.fromState}). */
  state(): KalmanState {
    return {
      p: Array.from(this.p),
      v: Array.from(this.v),
      c00: Array.from(this.c00),
      c01: Array.from(this.c01),
      c11: Array.from(this.c11),
    };
  }

  /** A filter in exactly the given state (each array holds 4 finite numbers; checked by the caller). */
  static fromState(s: KalmanState): KalmanBox {
    const k = new KalmanBox([0, 0, 1, 1]);
    k.p.set(s.p);
    k.v.set(s.v);
    k.c00.set(s.c00);
    k.c01.set(s.c01);
    k.c11.set(s.c11);
    return k;
  }

  /** Advances the state by `dt` seconds. */
  predict(dt: number): void {
    if (!(dt > 0)) {
      return;
    }
    const h = Math.max(this.p[3], 1e-4);
    const k = dt / STEP_S;
    for (let i = 0; i < 4; i++) {
      const sp = i === 2 ? 1e-2 : W_POS * h;
      const sv = i === 2 ? 1e-5 : (W_VEL * h) / STEP_S;
      this.p[i] += this.v[i] * dt;
      // P = F P F' + Q with F = [[1, dt], [0, 1]].
      const c00 = this.c00[i] + 2 * dt * this.c01[i] + dt * dt * this.c11[i];
      const c01 = this.c01[i] + dt * this.c11[i];
      this.c00[i] = c00 + sp * sp * k;
      this.c01[i] = c01;
      this.c11[i] = this.c11[i] + sv * sv * k;
    }
    if (this.p[3] < 1e-4) {
      this.p[3] = 1e-4;
    }
  }

  /** Corrects the state with a measured box. */
  update(m: Measurement): void {
    const h = Math.max(this.p[3], 1e-4);
    for (let i = 0; i < 4; i++) {
      const sr = i === 2 ? 1e-1 : W_POS * h;
      const s = this.c00[i] + sr * sr;
      const k0 = this.c00[i] / s;
      const k1 = this.c01[i] / s;
      const y = m[i] - this.p[i];
      this.p[i] += k0 * y;
      this.v[i] += k1 * y;
      const c00 = (1 - k0) * this.c00[i];
      const c01 = (1 - k0) * this.c01[i];
      const c11 = this.c11[i] - k1 * this.c01[i];
      this.c00[i] = c00;
      this.c01[i] = c01;
      this.c11[i] = c11;
    }
  }

  /** The current box [x1, y1, x2, y2]. */
  box(): [number, number, number, number] {
    const h = this.p[3];
    const w = this.p[2] * h;
    return [this.p[0] - w / 2, this.p[1] - h / 2, this.p[0] + w / 2, this.p[1] + h / 2];
  }
}

/** Measurement of a box [x1, y1, x2, y2]. */
export function toMeasurement(b: readonly [number, number, number, number]): Measurement {
  const w = Math.max(b[2] - b[0], 1e-6);
  const h = Math.max(b[3] - b[1], 1e-6);
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, w / h, h];
}
