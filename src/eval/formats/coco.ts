/**
 * COCO JSON readers: a ground-truth file (images, categories, annotations with bbox [x, y, w, h], area, iscrowd,
 * category_id) and detections (a COCO results list `[{image_id, category_id, bbox, score}]`, or a COCO-style
 * object whose `annotations` carry scores). Every problem is reported with the path of the offending field.
 *
 * Frames: each image stands for one video frame. With frameFrom 'auto' (default) the whole file uses the first
 * rule that every image satisfies: a numeric `frame` or `frame_id` field (CVAT and Label Studio exports can carry
 * one), else the last run of digits in `file_name` (`frame_000042.jpg` -> 42), else the image id. Two images
 * on one frame is an error.
 *
 * Detections follow pycocotools' loadRes for boxes: ids are 1..n in file order and the area is w x h.
 * Ground-truth annotations without an id get 1..n in file order; without an area, w x h.
 */
import { readFile } from 'node:fs/promises';
import type { CocoCategory, CocoDtBox, CocoGroundTruth, CocoGtBox, CocoImage, XywhBox } from '../metrics/types';

export type CocoFrameSource = 'auto' | 'field' | 'file_name' | 'id';

export interface CocoReadOptions {
  frameFrom?: CocoFrameSource;
  /** Name of the input in error messages (a file path). */
  source?: string;
}

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function fail(source: string, path: string, what: string): never {
  throw new Error(`${source}: ${path} ${what}`);
}

function num(source: string, o: Obj, field: string, path: string, opts: { integer?: boolean; optional?: boolean } = {}): number | undefined {
  const v = o[field];
  if (v === undefined && opts.optional) {
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    fail(source, `${path}.${field}`, v === undefined ? 'is missing' : `is ${JSON.stringify(v)}, not a number`);
  }
  if (opts.integer && !Number.isInteger(v)) {
    fail(source, `${path}.${field}`, `is ${v}, not an integer`);
  }
  return v;
}

function bbox(source: string, o: Obj, path: string): XywhBox {
  const b = o.bbox;
  if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(source, `${path}.bbox`, `is ${JSON.stringify(b)}, not [x, y, width, height] numbers`);
  }
  if (b[2] < 0 || b[3] < 0) {
    fail(source, `${path}.bbox`, `has a negative width or height (${b[2]} x ${b[3]})`);
  }
  return [b[0], b[1], b[2], b[3]];
}

function list(source: string, o: Obj, field: string): Obj[] {
  const v = o[field];
  if (!Array.isArray(v)) {
    fail(source, field, v === undefined ? 'is missing' : 'is not a list');
  }
  v.forEach((x, i) => {
    if (!isObj(x)) {
      fail(source, `${field}[${i}]`, 'is not an object');
    }
  });
  return v as Obj[];
}

function frameRule(images: Obj[], wanted: CocoFrameSource): Exclude<CocoFrameSource, 'auto'> {
  const hasField = (im: Obj): boolean => typeof im.frame === 'number' || typeof im.frame_id === 'number';
  const hasDigits = (im: Obj): boolean => typeof im.file_name === 'string' && /\d+/.test(im.file_name);
  if (wanted !== 'auto') {
    return wanted;
  }
  if (images.length > 0 && images.every(hasField)) {
    return 'field';
  }
  if (images.length > 0 && images.every(hasDigits)) {
    return 'file_name';
  }
  return 'id';
}

function frameOf(source: string, im: Obj, i: number, rule: Exclude<CocoFrameSource, 'auto'>, id: number): number {
  const path = `images[${i}]`;
  let frame: number;
  if (rule === 'field') {
    const v = typeof im.frame === 'number' ? im.frame : im.frame_id;
    if (typeof v !== 'number') {
      fail(source, path, 'has no numeric frame or frame_id field');
    }
    frame = v;
  } else if (rule === 'file_name') {
    const runs = typeof im.file_name === 'string' ? im.file_name.match(/\d+/g) : null;
    if (!runs) {
      fail(source, `${path}.file_name`, `(${JSON.stringify(im.file_name)}) has no frame number in it`);
    }
    frame = Number(runs[runs.length - 1]);
  } else {
    frame = id;
  }
  if (!Number.isInteger(frame) || frame < 0) {
    fail(source, path, `maps to frame ${frame}, not a frame number`);
  }
  return frame;
}

/** Validates a parsed COCO ground-truth JSON. Throws an Error naming the first thing that is wrong. */
export function parseCocoGroundTruth(json: unknown, opts: CocoReadOptions = {}): CocoGroundTruth {
  const source = opts.source ?? 'COCO ground truth';
  if (!isObj(json)) {
    fail(source, 'the file', 'is not a JSON object with images, annotations and categories');
  }
  const rawImages = list(source, json, 'images');
  const rule = frameRule(rawImages, opts.frameFrom ?? 'auto');
  const images: CocoImage[] = [];
  const byId = new Set<number>();
  const byFrame = new Map<number, number>();
  rawImages.forEach((im, i) => {
    const id = num(source, im, 'id', `images[${i}]`, { integer: true }) as number;
    if (byId.has(id)) {
      fail(source, `images[${i}].id`, `${id} appears twice`);
    }
    byId.add(id);
    const frame = frameOf(source, im, i, rule, id);
    const other = byFrame.get(frame);
    if (other !== undefined) {
      fail(source, `images[${i}]`, `is on frame ${frame} like image ${other} (frames taken from ${rule === 'field' ? 'the frame field' : rule})`);
    }
    byFrame.set(frame, id);
    images.push({
      id,
      frame,
      ...(typeof im.file_name === 'string' ? { fileName: im.file_name } : {}),
      ...(typeof im.width === 'number' ? { width: im.width } : {}),
      ...(typeof im.height === 'number' ? { height: im.height } : {}),
    });
  });
  const categories: CocoCategory[] = list(source, json, 'categories').map((c, i) => {
    const id = num(source, c, 'id', `categories[${i}]`, { integer: true }) as number;
    return { id, name: typeof c.name === 'string' ? c.name : String(id) };
  });
  const catIds = new Set(categories.map((c) => c.id));
  if (catIds.size !== categories.length) {
    fail(source, 'categories', 'repeat an id');
  }
  const seenAnn = new Set<number>();
  const annotations: CocoGtBox[] = list(source, json, 'annotations').map((a, i) => {
    const path = `annotations[${i}]`;
    const imageId = num(source, a, 'image_id', path, { integer: true }) as number;
    if (!byId.has(imageId)) {
      fail(source, `${path}.image_id`, `${imageId} is not in images`);
    }
    const categoryId = num(source, a, 'category_id', path, { integer: true }) as number;
    if (!catIds.has(categoryId)) {
      fail(source, `${path}.category_id`, `${categoryId} is not in categories`);
    }
    const box = bbox(source, a, path);
    const id = num(source, a, 'id', path, { optional: true }) ?? i + 1;
    if (seenAnn.has(id)) {
      fail(source, `${path}.id`, `${id} appears twice`);
    }
    seenAnn.add(id);
    const area = num(source, a, 'area', path, { optional: true }) ?? box[2] * box[3];
    const crowd = a.iscrowd ?? 0;
    if (crowd !== 0 && crowd !== 1 && crowd !== true && crowd !== false) {
      fail(source, `${path}.iscrowd`, `is ${JSON.stringify(crowd)}, not 0 or 1`);
    }
    return { id, imageId, categoryId, bbox: box, area, iscrowd: crowd === 1 || crowd === true };
  });
  return { images, categories, annotations };
}

/** Validates parsed COCO detections: a results list, or an object whose `annotations` carry scores. */
export function parseCocoDetections(json: unknown, opts: { source?: string } = {}): CocoDtBox[] {
  const source = opts.source ?? 'COCO detections';
  let entries: Obj[];
  let prefix: string;
  if (Array.isArray(json)) {
    entries = list(source, { results: json }, 'results');
    prefix = '';
  } else if (isObj(json)) {
    entries = list(source, json, 'annotations');
    prefix = 'annotations';
  } else {
    fail(source, 'the file', 'is neither a results list nor an object with annotations');
  }
  return entries.map((d, i) => {
    const path = `${prefix}[${i}]`;
    const box = bbox(source, d, path);
    return {
      id: i + 1,
      imageId: num(source, d, 'image_id', path, { integer: true }) as number,
      categoryId: num(source, d, 'category_id', path, { integer: true }) as number,
      bbox: box,
      score: num(source, d, 'score', path) as number,
      area: box[2] * box[3],
    };
  });
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** Reads and validates a COCO ground-truth file. */
export async function readCocoGroundTruth(path: string, opts: CocoReadOptions = {}): Promise<CocoGroundTruth> {
  return parseCocoGroundTruth(await readJson(path), { ...opts, source: opts.source ?? path });
}

/** Reads and validates a COCO detections file. */
export async function readCocoDetections(path: string): Promise<CocoDtBox[]> {
  return parseCocoDetections(await readJson(path), { source: path });
}
