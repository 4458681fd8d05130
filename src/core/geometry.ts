import type { Box, Point } from './types';

/**
 * Pure plane geometry in frame fractions (0..1, origin top-left). Where distances matter the frame's aspect ratio
 * is applied through a {@link Scale}: x and y are multiplied by width/longSide and height/longSide, so distances
 * come out in fractions of the frame's longer side and a circle is a circle on screen.
 */

/** Per-axis factors turning frame fractions into isotropic units (fractions of the longer side). */
export interface Scale {
  sx: number;
  sy: number;
}

/** The isotropic scale of a `width` x `height` frame. */
export function frameScale(width: number, height: number): Scale {
  const long = Math.max(width, height, 1);
  return { sx: width / long, sy: height / long };
}

/** Square frames (and tests): no correction. */
export const UNIT_SCALE: Scale = { sx: 1, sy: 1 };

/** An object's position: the bottom centre of its box (its feet). */
export function feet(box: Box): Point {
  return [(box[0] + box[2]) / 2, box[3]];
}

/** Centre of a box. */
export function centre(box: Box): Point {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

/** Box area in frame fractions (fraction of the frame). */
export function area(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

/**
 * Intersection over union of two `[x1, y1, x2, y2]` boxes in any one unit (frame fractions, pixels): 0 when they
 * do not overlap or either has no area. The one IoU of the tracker, detect's NMS and the face detectors.
 */
export function iou(a: readonly number[], b: readonly number[]): number {
  return iouOf(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
}

/** {@link iou} of two boxes given by their corners (boxes held as fields or in flat arrays: no array built). */
export function iouOf(ax1: number, ay1: number, ax2: number, ay2: number, bx1: number, by1: number, bx2: number, by2: number): number {
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) {
    return 0;
  }
  const inter = iw * ih;
  const u = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return u > 0 ? inter / u : 0;
}

/** Distance between two points, in fractions of the frame's longer side. */
export function distance(a: Point, b: Point, s: Scale = UNIT_SCALE): number {
  return Math.hypot((a[0] - b[0]) * s.sx, (a[1] - b[1]) * s.sy);
}

/** Whether `p` is inside the polygon (ray casting; points exactly on an edge may go either way). */
export function pointInPolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

/** Distance from `p` to segment a-b (isotropic units). */
export function distanceToSegment(p: Point, a: Point, b: Point, s: Scale = UNIT_SCALE): number {
  const ax = a[0] * s.sx;
  const ay = a[1] * s.sy;
  const dx = b[0] * s.sx - ax;
  const dy = b[1] * s.sy - ay;
  const px = p[0] * s.sx - ax;
  const py = p[1] * s.sy - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
  return Math.hypot(px - t * dx, py - t * dy);
}

/** Distance from `p` to the polygon's boundary (isotropic units). */
export function distanceToPolygonEdge(p: Point, poly: readonly Point[], s: Scale = UNIT_SCALE): number {
  let d = Infinity;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    d = Math.min(d, distanceToSegment(p, poly[j], poly[i], s));
  }
  return d;
}

/**
 * Signed distance of `p` from the infinite line through a-b (isotropic units). Negative on the left of a→b as seen
 * on screen (y down), positive on its right, zero exactly on the line. For a line drawn left to right, "left" is
 * above it. A crossing from negative to positive is `a_to_b`, the other way `b_to_a`.
 */
export function signedDistance(p: Point, a: Point, b: Point, s: Scale = UNIT_SCALE): number {
  const dx = (b[0] - a[0]) * s.sx;
  const dy = (b[1] - a[1]) * s.sy;
  const len = Math.hypot(dx, dy);
  if (len === 0) {
    return 0;
  }
  return (dx * (p[1] - a[1]) * s.sy - dy * (p[0] - a[0]) * s.sx) / len;
}

/** Projection parameter of `p` on a-b: 0 at a, 1 at b. */
export function projectOnSegment(p: Point, a: Point, b: Point, s: Scale = UNIT_SCALE): number {
  const dx = (b[0] - a[0]) * s.sx;
  const dy = (b[1] - a[1]) * s.sy;
  const len2 = dx * dx + dy * dy;
  return len2 > 0 ? (((p[0] - a[0]) * s.sx) * dx + ((p[1] - a[1]) * s.sy) * dy) / len2 : 0;
}

/** Whether segments p1-p2 and q1-q2 properly intersect or touch. */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const o = (a: Point, b: Point, c: Point) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  const on = (a: Point, b: Point, c: Point) =>
    Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
  const d1 = o(q1, q2, p1);
  const d2 = o(q1, q2, p2);
  const d3 = o(p1, p2, q1);
  const d4 = o(p1, p2, q2);
  if (d1 !== d2 && d3 !== d4) {
    return true;
  }
  return (d1 === 0 && on(q1, q2, p1)) || (d2 === 0 && on(q1, q2, p2)) || (d3 === 0 && on(p1, p2, q1)) || (d4 === 0 && on(p1, p2, q2));
}
