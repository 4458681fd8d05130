import { onnx } from 'onnx-proto';

/** A node attribute value: numbers are INT when integral unless given with {@link float}. */
export type AttrValue = number | string | number[] | FloatAttr | FloatsAttr;

/** Marks a number as a FLOAT attribute even when it is integral (e.g. `alpha: float(1)`). */
export interface FloatAttr {
  readonly kind: 'float';
  readonly value: number;
}

/** Marks a list as FLOATS. */
export interface FloatsAttr {
  readonly kind: 'floats';
  readonly value: number[];
}

/** Forces a FLOAT attribute. */
export function float(value: number): FloatAttr {
  return { kind: 'float', value };
}

/** Forces a FLOATS attribute. */
export function floats(value: number[]): FloatsAttr {
  return { kind: 'floats', value };
}

const T = onnx.AttributeProto.AttributeType;

/**
 * Turns one `name: value` pair into an AttributeProto. Integral numbers become INT, others FLOAT; number arrays
 * become INTS (use {@link floats} for FLOATS); strings become STRING.
 */
export function toAttribute(name: string, value: AttrValue): onnx.IAttributeProto {
  if (typeof value === 'string') {
    return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if (Array.isArray(value)) {
    if (!value.every(Number.isInteger)) {
      throw new TypeError(`attribute ${name}: INTS must be integers (use floats() for FLOATS)`);
    }
    return { name, type: T.INTS, ints: value };
  }
  if (value.kind === 'float') {
    return { name, type: T.FLOAT, f: value.value };
  }
  return { name, type: T.FLOATS, floats: value.value };
}
