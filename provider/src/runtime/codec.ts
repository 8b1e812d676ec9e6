/**
 * The msgpack value codec: Terraform's wire encoding of values (cty's msgpack form) to and from `TfValue`,
 * guided by the schema's type. Encoding is schema-aware: an object carries every attribute of its type
 * (nulls included, as Terraform requires), numbers keep their precision (64-bit integers as BigInt,
 * decimals beyond float64 as strings) and unknowns go back as extension 0 — or extension 12 with the
 * refinements Terraform sent. A value that does not fit its type is a system fault (`CodecError`).
 */
import { Decoder, Encoder, ExtensionCodec } from "@msgpack/msgpack";
import { BigDecimal, isObject, type TfObject, type TfType, type TfValue, Unknown } from "./values.js";

/** msgpack extension type of a plain unknown value. */
const EXT_UNKNOWN = 0;
/** msgpack extension type of a refined unknown (payload: a msgpack map of refinements). */
const EXT_REFINED_UNKNOWN = 12;

/** A value that does not match the type it is decoded or encoded with. */
export class CodecError extends Error {
  override readonly name = "CodecError";
  constructor(
    message: string,
    /** Where in the value, e.g. `rate_limit.per_minute`. */
    readonly at: string,
  ) {
    super(at ? `${message} at ${at}` : message);
  }
}

const extensions = new ExtensionCodec();
extensions.register({
  type: EXT_UNKNOWN,
  encode: (input) => (input instanceof Unknown && !input.refinements ? new Uint8Array([0]) : null),
  decode: () => new Unknown(),
});
extensions.register({
  type: EXT_REFINED_UNKNOWN,
  encode: (input) => (input instanceof Unknown && input.refinements ? input.refinements : null),
  decode: (data) => new Unknown(data.slice()),
});

// One encoder/decoder pair per process: both are reusable and not re-entrant, and calls never overlap
// (encode/decode are synchronous).
const encoder = new Encoder({ extensionCodec: extensions, useBigInt64: true, sortKeys: true });
const decoder = new Decoder({ extensionCodec: extensions, useBigInt64: true });

/**
 * A mismatch found while walking a value. The walk does not build the path of every value it visits (it
 * runs for each attribute of every RPC): each level adds its step while the error passes through it, and
 * the entry points turn the steps into `CodecError`'s `at`.
 */
class WireError {
  /** Steps from the mismatch outwards: the innermost first. */
  readonly steps: Array<string | number> = [];
  constructor(readonly message: string) {}
}

/** Adds `step` to a `WireError` passing through (anything else passes unchanged). */
function through(err: unknown, step: string | number): unknown {
  if (err instanceof WireError) err.steps.push(step);
  return err;
}

function join(at: string, step: string | number): string {
  return typeof step === "number" ? `${at}[${step}]` : at ? `${at}.${step}` : step;
}

/** Runs a walk from the top, reporting a mismatch as a `CodecError` with its path. */
function walk<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    let at = "";
    for (let i = err.steps.length - 1; i >= 0; i--) at = join(at, err.steps[i]!);
    throw new CodecError(err.message, at);
  }
}

/** Decodes a msgpack DynamicValue as a value of `type`. Empty input is null (Terraform's "no value"). */
export function decodeValue(bytes: Uint8Array, type: TfType): TfValue {
  if (bytes.length === 0) return null;
  const raw: unknown = decoder.decode(bytes);
  return walk(() => fromWire(raw, type));
}

/** Encodes `value` as a msgpack DynamicValue of `type`. */
export function encodeValue(value: TfValue | undefined, type: TfType): Uint8Array {
  return encoder.encode(walk(() => toWire(value ?? null, type)));
}

/** Decodes a JSON DynamicValue (as in raw state) into a value of `type`. */
export function decodeJsonValue(bytes: Uint8Array, type: TfType): TfValue {
  if (bytes.length === 0) return null;
  const raw: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
  return walk(() => fromWire(raw, type));
}

function describe(raw: unknown): string {
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "an array";
  if (raw instanceof Uint8Array) return "bytes";
  return typeof raw === "object" ? "a map" : `a ${typeof raw}`;
}

function numberFromText(text: string): number | bigint | BigDecimal {
  const trimmed = text.trim();
  if (!/^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed)) {
    throw new WireError(`expected a number, got the string ${JSON.stringify(text)}`);
  }
  if (/^-?\d+$/.test(trimmed)) {
    const big = BigInt(trimmed);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big;
  }
  const n = Number(trimmed);
  return Number.isFinite(n) && String(n) === trimmed ? n : new BigDecimal(trimmed);
}

function fromWire(raw: unknown, type: TfType): TfValue {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Unknown) return raw;
  if (type === "dynamic") {
    throw new WireError("dynamic values are not used by this provider's schema");
  }
  if (type === "string") {
    if (typeof raw !== "string") throw new WireError(`expected a string, got ${describe(raw)}`);
    return raw;
  }
  if (type === "bool") {
    if (typeof raw !== "boolean") throw new WireError(`expected a bool, got ${describe(raw)}`);
    return raw;
  }
  if (type === "number") {
    if (typeof raw === "number") return raw;
    if (typeof raw === "bigint") {
      return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(raw)
        : raw;
    }
    if (typeof raw === "string") return numberFromText(raw);
    throw new WireError(`expected a number, got ${describe(raw)}`);
  }
  const kind = type[0];
  if (type[0] === "list" || type[0] === "set") {
    const element = type[1];
    if (!Array.isArray(raw)) throw new WireError(`expected a ${kind}, got ${describe(raw)}`);
    const list: TfValue[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      try {
        list[i] = fromWire(raw[i], element);
      } catch (err) {
        throw through(err, i);
      }
    }
    return list;
  }
  if (typeof raw !== "object" || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new WireError(`expected ${kind === "map" ? "a map" : "an object"}, got ${describe(raw)}`);
  }
  const entries = raw as Record<string, unknown>;
  const out: TfObject = {};
  if (type[0] === "map") {
    const element = type[1];
    for (const k in entries) {
      try {
        out[k] = fromWire(entries[k], element);
      } catch (err) {
        throw through(err, k);
      }
    }
    return out;
  }
  const attrs = type[1];
  for (const name in attrs) {
    try {
      out[name] = fromWire(entries[name], attrs[name]!);
    } catch (err) {
      throw through(err, name);
    }
  }
  for (const name in entries) {
    if (!(name in attrs)) throw new WireError(`unsupported attribute ${JSON.stringify(name)}`);
  }
  return out;
}

/** Plain data the msgpack encoder writes (Unknown goes through the extension codec). */
type Wire = null | Unknown | string | number | bigint | boolean | Wire[] | { [k: string]: Wire };

function toWire(value: TfValue, type: TfType): Wire {
  if (value === null || value instanceof Unknown) return value;
  if (type === "dynamic") throw new WireError("dynamic values are not used by this provider's schema");
  if (type === "string") {
    if (typeof value !== "string") throw new WireError(`cannot encode ${describe(value)} as a string`);
    return value;
  }
  if (type === "bool") {
    if (typeof value !== "boolean") throw new WireError(`cannot encode ${describe(value)} as a bool`);
    return value;
  }
  if (type === "number") {
    if (value instanceof BigDecimal) return value.text;
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    throw new WireError(`cannot encode ${describe(value)} as a number`);
  }
  const kind = type[0];
  if (type[0] === "list" || type[0] === "set") {
    const element = type[1];
    if (!Array.isArray(value)) throw new WireError(`cannot encode ${describe(value)} as a ${kind}`);
    const list: Wire[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      try {
        list[i] = toWire(value[i]!, element);
      } catch (err) {
        throw through(err, i);
      }
    }
    return list;
  }
  if (!isObject(value)) throw new WireError(`cannot encode ${describe(value)} as a ${kind}`);
  const out: { [k: string]: Wire } = {};
  if (type[0] === "map") {
    const element = type[1];
    for (const k in value) {
      try {
        out[k] = toWire(value[k]!, element);
      } catch (err) {
        throw through(err, k);
      }
    }
    return out;
  }
  const attrs = type[1];
  for (const name in value) {
    if (!(name in attrs)) throw new WireError(`attribute ${JSON.stringify(name)} is not in the schema`);
  }
  // Every attribute of the object type, nulls included: Terraform rejects an object with missing attributes.
  for (const name in attrs) {
    try {
      out[name] = toWire(value[name] ?? null, attrs[name]!);
    } catch (err) {
      throw through(err, name);
    }
  }
  return out;
}
