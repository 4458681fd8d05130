/**
 * The interface every detector family implements: check a model's inputs and outputs, say how to build its
 * input tensor and decode its outputs into candidate boxes. Families are pure: no onnxruntime, no I/O.
 */
import { ModelError } from '../../core/errors';
import type { Candidate } from '../nms';
import { COCO_LABELS } from '../labels';
import type { PreprocessSpec } from '../preprocess';

/** A dimension as a model declares it: a number, or a symbolic name / null for a free dimension. */
export type Dim = number | string | null;

/** Name and declared shape of one model input or output. */
export interface TensorInfo {
  name: string;
  shape: readonly Dim[];
}

/** A model's declared inputs and outputs (from the ONNX session's metadata). */
export interface ModelIO {
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
}

/** One output tensor as returned by inference. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Options that change how a family reads a model. */
export interface FamilyOptions {
  /** Input size [width, height] for models whose input size is free. */
  inputSize?: readonly [number, number];
}

/** What a family decided about one model file: how to feed it and how to read its answer. */
export interface FamilyPlan {
  family: string;
  inputName: string;
  preprocess: PreprocessSpec;
  /** Most frames one inference can take: 1 for a fixed batch of 1, larger when the batch dimension is free. */
  maxBatch: number;
  outputNames: readonly string[];
  /** Label names when the config gives none. */
  defaultLabels: readonly string[];
  /** Number of classes the model outputs. */
  numClasses: number;
  /**
   * Decodes image `b` of a batch into candidates in network input pixels, keeping those scoring at least
   * `minScore`.
   */
  decode(outputs: Readonly<Record<string, OutputTensor>>, b: number, minScore: number): Candidate[];
}

/** A detector family: validates a model's I/O and returns its plan, or throws a ModelError. */
export interface DetectorFamily {
  readonly name: string;
  resolve(io: ModelIO, file: string, options?: FamilyOptions): FamilyPlan;
}

/** Throws a ModelError naming the file, the family and what is wrong. */
export function bad(file: string, family: string, what: string): never {
  throw new ModelError(`model ${file}: not a ${family} model: ${what}`);
}

/** Formats a shape for error messages: [1,3,416,416] or [batch,3,?,?]. */
export function fmtShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : typeof d === 'number' && d < 0 ? '?' : String(d))).join(',')}]`;
}

/** A declared dimension as a positive number, or undefined when it is free. */
export function fixedDim(d: Dim | undefined): number | undefined {
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/** A model's one image input: its name, size in pixels and batch limit. */
export interface ImageInput {
  name: string;
  width: number;
  height: number;
  maxBatch: number;
}

/** How a family turns pixels into its input tensor: a {@link PreprocessSpec} without the size (the input's). */
export type PixelSpec = Omit<PreprocessSpec, 'width' | 'height'>;

/** What a family read from a model's outputs. */
export interface OutputSpec {
  names: readonly string[];
  numClasses: number;
  /** @defaultValue the COCO labels for 80 classes, else none */
  defaultLabels?: readonly string[];
}

/** The plan of a model with one image input: the size and batch limit come from `inp`. */
export function imagePlan(
  family: string,
  inp: ImageInput,
  pixels: PixelSpec,
  out: OutputSpec,
  decode: FamilyPlan['decode'],
): FamilyPlan {
  return {
    family,
    inputName: inp.name,
    preprocess: { width: inp.width, height: inp.height, ...pixels },
    maxBatch: inp.maxBatch,
    outputNames: out.names,
    defaultLabels: out.defaultLabels ?? (out.numClasses === 80 ? COCO_LABELS : []),
    numClasses: out.numClasses,
    decode,
  };
}

/**
 * Checks a single NCHW image input with 3 channels and returns its name, size (declared, or from
 * `options.inputSize` when free) and batch limit.
 */
export function imageInput(
  io: ModelIO,
  file: string,
  family: string,
  options: FamilyOptions | undefined,
  defaultSize?: readonly [number, number],
): ImageInput {
  if (io.inputs.length !== 1) {
    bad(file, family, `expected 1 input (an NCHW image), found ${io.inputs.length}`);
  }
  const inp = io.inputs[0];
  if (inp.shape.length !== 4) {
    bad(file, family, `input "${inp.name}" has shape ${fmtShape(inp.shape)}, expected [batch,3,height,width]`);
  }
  const c = fixedDim(inp.shape[1]);
  if (c !== undefined && c !== 3) {
    bad(file, family, `input "${inp.name}" has ${c} channels, expected 3 (shape ${fmtShape(inp.shape)})`);
  }
  const h = fixedDim(inp.shape[2]) ?? options?.inputSize?.[1] ?? defaultSize?.[1];
  const w = fixedDim(inp.shape[3]) ?? options?.inputSize?.[0] ?? defaultSize?.[0];
  if (h === undefined || w === undefined) {
    bad(file, family, `input "${inp.name}" has a free size ${fmtShape(inp.shape)}: set models.detector.inputSize`);
  }
  const b = fixedDim(inp.shape[0]);
  return { name: inp.name, width: w, height: h, maxBatch: b ?? 64 };
}
