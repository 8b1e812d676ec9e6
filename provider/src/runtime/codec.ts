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

/** Decodes a msgpack DynamicValue as a value of `type`. Empty input is null (Terraform's "no value"). */
export function decodeValue(bytes: Uint8Array, type: TfType): TfValue {
  if (bytes.length === 0) return null;
  return fromWire(decoder.decode(bytes), type, "");
}

/** Encodes `value` as a msgpack DynamicValue of `type`. */
export function encodeValue(value: TfValue | undefined, type: TfType): Uint8Array {
  return encoder.encode(toWire(value ?? null, type, ""));
}

/** Decodes a JSON DynamicValue (as in raw state) into a value of `type`. */
export function decodeJsonValue(bytes: Uint8Array, type: TfType): TfValue {
  if (bytes.length === 0) return null;
  return fromWire(JSON.parse(Buffer.from(bytes).toString("utf8")), type, "");
}

function join(at: string, step: string | number): string {
  return typeof step === "number" ? `${at}[${step}]` : at ? `${at}.${step}` : step;
}

function describe(raw: unknown): string {
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "an array";
  if (raw instanceof Uint8Array) return "bytes";
  return typeof raw === "object" ? "a map" : `a ${typeof raw}`;
}

function numberFromText(text: string, at: string): number | bigint | BigDecimal {
  const trimmed = text.trim();
  if (!/^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed)) {
    throw new CodecError(`expected a number, got the string ${JSON.stringify(text)}`, at);
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

function fromWire(raw: unknown, type: TfType, at: string): TfValue {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Unknown) return raw;
  if (type === "dynamic") {
    throw new CodecError("dynamic values are not used by this provider's schema", at);
  }
  if (type === "string") {
    if (typeof raw !== "string") throw new CodecError(`expected a string, got ${describe(raw)}`, at);
    return raw;
  }
  if (type === "bool") {
    if (typeof raw !== "boolean") throw new CodecError(`expected a bool, got ${describe(raw)}`, at);
    return raw;
  }
  if (type === "number") {
    if (typeof raw === "number") return raw;
    if (typeof raw === "bigint") {
      return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(raw)
        : raw;
    }
    if (typeof raw === "string") return numberFromText(raw, at);
    throw new CodecError(`expected a number, got ${describe(raw)}`, at);
  }
  const kind = type[0];
  if (type[0] === "list" || type[0] === "set") {
    const element = type[1];
    if (!Array.isArray(raw)) throw new CodecError(`expected a ${kind}, got ${describe(raw)}`, at);
    return raw.map((e, i) => fromWire(e, element, join(at, i)));
  }
  if (typeof raw !== "object" || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new CodecError(`expected ${kind === "map" ? "a map" : "an object"}, got ${describe(raw)}`, at);
  }
  const entries = raw as Record<string, unknown>;
  const out: TfObject = {};
  if (type[0] === "map") {
    const element = type[1];
    for (const [k, v] of Object.entries(entries)) out[k] = fromWire(v, element, join(at, k));
    return out;
  }
  const attrs = type[1];
  for (const [name, attrType] of Object.entries(attrs))
    out[name] = fromWire(entries[name], attrType, join(at, name));
  for (const name of Object.keys(entries)) {
    if (!(name in attrs)) throw new CodecError(`unsupported attribute ${JSON.stringify(name)}`, at);
  }
  return out;
}

/** Plain data the msgpack encoder writes (Unknown goes through the extension codec). */
type Wire = null | Unknown | string | number | bigint | boolean | Wire[] | { [k: string]: Wire };

function toWire(value: TfValue, type: TfType, at: string): Wire {
  if (value === null || value instanceof Unknown) return value;
  if (type === "dynamic") throw new CodecError("dynamic values are not used by this provider's schema", at);
  if (type === "string") {
    if (typeof value !== "string") throw new CodecError(`cannot encode ${describe(value)} as a string`, at);
    return value;
  }
  if (type === "bool") {
    if (typeof value !== "boolean") throw new CodecError(`cannot encode ${describe(value)} as a bool`, at);
    return value;
  }
  if (type === "number") {
    if (value instanceof BigDecimal) return value.text;
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    throw new CodecError(`cannot encode ${describe(value)} as a number`, at);
  }
  const kind = type[0];
  if (type[0] === "list" || type[0] === "set") {
    const element = type[1];
    if (!Array.isArray(value)) throw new CodecError(`cannot encode ${describe(value)} as a ${kind}`, at);
    return value.map((e, i) => toWire(e, element, join(at, i)));
  }
  if (!isObject(value)) throw new CodecError(`cannot encode ${describe(value)} as a ${kind}`, at);
  const out: { [k: string]: Wire } = {};
  if (type[0] === "map") {
    const element = type[1];
    for (const [k, v] of Object.entries(value)) out[k] = toWire(v, element, join(at, k));
    return out;
  }
  const attrs = type[1];
  for (const name of Object.keys(value)) {
    if (!(name in attrs)) throw new CodecError(`attribute ${JSON.stringify(name)} is not in the schema`, at);
  }
  // Every attribute of the object type, nulls included: Terraform rejects an object with missing attributes.
  for (const [name, attrType] of Object.entries(attrs))
    out[name] = toWire(value[name] ?? null, attrType, join(at, name));
  return out;
}
