/**
 * Terraform values as the provider's domain code sees them: plain JavaScript with two wrappers — `Unknown`
 * for values not known until apply, and `BigDecimal` for numbers no JavaScript number can hold exactly.
 * The types are Terraform's own type constraints in their JSON form (`"string"`, `["list","string"]`),
 * which is also what the schema sends on the wire, so one description serves both.
 */

/** A Terraform type constraint in its JSON wire form. */
export type TfType =
  | "string"
  | "number"
  | "bool"
  | "dynamic"
  | readonly ["list", TfType]
  | readonly ["set", TfType]
  | readonly ["map", TfType]
  | readonly ["object", Readonly<Record<string, TfType>>];

/**
 * A value that is not known yet (msgpack extension 0), or known only partially (extension 12, "refined
 * unknown": Terraform knows e.g. that it is not null or its prefix). The refinement payload is kept so an
 * unknown the provider echoes back keeps what Terraform knew.
 */
export class Unknown {
  constructor(
    /** Raw msgpack payload of a refined unknown (extension 12); absent for a plain unknown. */
    readonly refinements?: Uint8Array,
  ) {}
}

/** The plain unknown value. */
export const UNKNOWN = new Unknown();

/**
 * A number outside what a JavaScript number holds exactly (a decimal with more precision than float64, or
 * beyond its range). Terraform sends these as decimal strings; they go back the same way, unchanged.
 */
export class BigDecimal {
  constructor(
    /** The number as decimal text, e.g. `"1e400"` or `"0.1000000000000000000000001"`. */
    readonly text: string,
  ) {}
}

/** Any Terraform value: null, unknown, a primitive, a list/set (array), or a map/object (record). */
export type TfValue = null | Unknown | string | number | bigint | boolean | BigDecimal | TfValue[] | TfObject;

/** An object or map value. Objects carry every attribute of their type; absent attributes mean null. */
export interface TfObject {
  [name: string]: TfValue;
}

/** True for map/object values (not null, arrays, unknowns or big decimals). */
export function isObject(v: TfValue | undefined): v is TfObject {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Unknown) &&
    !(v instanceof BigDecimal)
  );
}

/** Deep equality of two values (unknowns equal each other; sets compared in order, as callers sort them). */
export function valuesEqual(a: TfValue | undefined, b: TfValue | undefined): boolean {
  const x = a ?? null;
  const y = b ?? null;
  if (x instanceof Unknown || y instanceof Unknown) return x instanceof Unknown && y instanceof Unknown;
  if (x instanceof BigDecimal || y instanceof BigDecimal) {
    return x instanceof BigDecimal && y instanceof BigDecimal && x.text === y.text;
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    return (
      Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((e, i) => valuesEqual(e, y[i]))
    );
  }
  if (isObject(x) || isObject(y)) {
    if (!isObject(x) || !isObject(y)) return false;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of keys) if (!valuesEqual(x[k], y[k])) return false;
    return true;
  }
  if (typeof x === "bigint" && typeof y === "number") return Number.isInteger(y) && BigInt(y) === x;
  if (typeof x === "number" && typeof y === "bigint") return Number.isInteger(x) && BigInt(x) === y;
  return x === y;
}
