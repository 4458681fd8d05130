import { onnx } from 'onnx-proto';
import { toAttribute, type AttrValue } from './attributes';
import { ElemType, floatTensor, int64Tensor } from './tensor';

/** A dimension of a graph input or output: a fixed size or a named free dimension (e.g. `'N'`). */
export type Dim = number | string;

/** Options of a {@link GraphBuilder}. */
export interface GraphBuilderOptions {
  /** Graph name. */
  name: string;
  /** Default ONNX opset of the `ai.onnx` domain. @defaultValue 13 */
  opset?: number;
  /** `producer_name` written into the model. @defaultValue 'vigil' */
  producer?: string;
  /** Free-text description stored as the model's doc string. */
  doc?: string;
}

/**
 * Collects the nodes, initializers, inputs and outputs of one ONNX graph and turns them into a ModelProto.
 * Value names are unique: {@link GraphBuilder.fresh} makes new ones from a prefix. The builder does no shape
 * inference; the ops helpers in `ops.ts` compute what they need from the weights they are given.
 */
export class GraphBuilder {
  readonly opset: number;
  private readonly name: string;
  private readonly producer: string;
  private readonly doc: string | undefined;
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();
  private paramCount = 0;

  constructor(options: GraphBuilderOptions) {
    if (!options.name) {
      throw new TypeError('GraphBuilder: name is required');
    }
    this.name = options.name;
    this.opset = options.opset ?? 13;
    if (this.opset < 13) {
      throw new RangeError('GraphBuilder: opset 13 or later is required');
    }
    this.producer = options.producer ?? 'vigil';
    this.doc = options.doc;
  }

  /** A new unique value name built from `prefix` (`prefix`, then `prefix_1`, `prefix_2`, ...). */
  fresh(prefix: string): string {
    if (!this.used.has(prefix)) {
      this.used.add(prefix);
      return prefix;
    }
    let n = this.counters.get(prefix) ?? 0;
    let name: string;
    do {
      n++;
      name = `${prefix}_${n}`;
    } while (this.used.has(name));
    this.counters.set(prefix, n);
    this.used.add(name);
    return name;
  }

  /** Declares a float32 graph input and returns its name. */
  input(name: string, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares an existing value as a float32 graph output. */
  output(name: string, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /**
   * Adds a float32 initializer and returns its name. Its elements count as parameters when `isParameter`
   * (weights and biases), not when it is a constant of the graph's plumbing.
   */
  weight(prefix: string, dims: readonly number[], values: Float32Array, isParameter = true): string {
    const name = this.fresh(prefix);
    this.initializers.push(floatTensor(name, dims, values));
    if (isParameter) {
      this.paramCount += values.length;
    }
    return name;
  }

  /** Adds a float32 constant (not counted as a parameter). */
  constant(prefix: string, dims: readonly number[], values: Float32Array | readonly number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.weight(prefix, dims, data, false);
  }

  /** Adds an int64 constant (shapes, pads, axes) and returns its name. */
  int64(prefix: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh(prefix);
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }

  /**
   * Adds one node. `outputs` are exact names (or a count, for fresh names derived from `name`).
   * Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue | undefined> = {},
    options: { name?: string; outputs?: readonly string[] | number } = {},
  ): string[] {
    const base = options.name ?? opType;
    const nodeName = this.freshNodeName(base);
    let outs: string[];
    if (Array.isArray(options.outputs)) {
      outs = options.outputs.map((o) => {
        this.claim(o);
        return o;
      });
    } else {
      const count = typeof options.outputs === 'number' ? options.outputs : 1;
      outs = Array.from({ length: count }, (_, i) => this.fresh(count === 1 ? base : `${base}:${i}`));
    }
    const attribute = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => toAttribute(k, v));
    this.nodes.push({ name: nodeName, opType, input: [...inputs], output: outs, attribute });
    return outs;
  }

  /** Number of float parameters added with {@link GraphBuilder.weight}. */
  get parameters(): number {
    return this.paramCount;
  }

  /** Number of nodes so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The finished model (IR version 8). */
  toModel(): onnx.IModelProto {
    if (this.inputs.length === 0 || this.outputs.length === 0) {
      throw new Error(`graph ${this.name}: needs at least one input and one output`);
    }
    return {
      irVersion: 8,
      producerName: this.producer,
      producerVersion: '1',
      docString: this.doc,
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  /** The model as protobuf bytes. */
  encode(): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModel())).finish();
  }

  private claim(name: string): void {
    if (this.used.has(name)) {
      throw new Error(`graph ${this.name}: value name ${name} is already used`);
    }
    this.used.add(name);
  }

  private readonly nodeNames = new Set<string>();
  private freshNodeName(base: string): string {
    let name = base;
    for (let n = 1; this.nodeNames.has(name); n++) {
      name = `${base}_${n}`;
    }
    this.nodeNames.add(name);
    return name;
  }
}

function valueInfo(name: string, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ElemType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
