import { decode as plainDecode, encode as plainEncode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { CodecError, decodeValue, encodeValue } from "../../src/runtime/codec.js";
import { impliedType } from "../../src/runtime/schema.js";
import { BigDecimal, type TfType, UNKNOWN, Unknown } from "../../src/runtime/values.js";
import { tokenResourceSchema } from "../../src/schema.js";

const OBJ: TfType = [
  "object",
  { a: "string", n: "number", b: "bool", l: ["list", "string"], m: ["map", "number"] },
];

describe("msgpack value codec", () => {
  it("encodes every attribute of an object, nulls included", () => {
    const bytes = encodeValue({ a: "x" }, OBJ);
    expect(plainDecode(bytes)).toEqual({ a: "x", b: null, l: null, m: null, n: null });
  });

  it("encodes the token resource's implied type with every attribute and nested block", () => {
    const type = impliedType(tokenResourceSchema.block);
    const decoded = plainDecode(encodeValue({ name: "x", file: [{ path: "/tmp/x" }] }, type)) as Record<
      string,
      unknown
    >;
    const names = [
      ...tokenResourceSchema.block.attributes.map((a) => a.name),
      ...tokenResourceSchema.block.blocks.map((b) => b.typeName),
    ];
    expect(Object.keys(decoded).sort()).toEqual(names.sort());
    expect(decoded.file).toEqual([{ path: "/tmp/x", format: null, key: null }]);
  });

  it("round-trips plain unknowns as extension 0 and keeps refined unknowns (extension 12) byte for byte", () => {
    const encoded = encodeValue({ a: UNKNOWN }, OBJ);
    // fixext1 (0xd4), type 0, one data byte.
    expect(Buffer.from(encoded).includes(Buffer.from([0xd4, 0x00, 0x00]))).toBe(true);
    const decoded = decodeValue(encoded, OBJ) as Record<string, unknown>;
    expect(decoded.a).toBeInstanceOf(Unknown);

    const refinement = plainEncode({ 1: false, 2: "mcp_" }); // "not null", string prefix
    const raw = Buffer.concat([Buffer.from([0xc7, refinement.length, 12]), Buffer.from(refinement)]);
    const objectWithRefined = Buffer.concat([Buffer.from([0x81, 0xa1, 0x61]), raw]); // {"a": <ext 12>}
    const value = decodeValue(objectWithRefined, OBJ) as Record<string, Unknown>;
    expect(value.a).toBeInstanceOf(Unknown);
    expect(Buffer.from(value.a!.refinements!)).toEqual(Buffer.from(refinement));
    expect(Buffer.from(encodeValue(value, OBJ)).includes(raw)).toBe(true);
  });

  it("keeps numbers exact: 64-bit integers as BigInt, decimals beyond float64 as text", () => {
    const big = 2n ** 64n - 1n;
    const neg = -(2n ** 63n);
    const bytes = plainEncode({ n: big }, { useBigInt64: true });
    expect(decodeValue(bytes, OBJ)).toMatchObject({ n: big });
    expect(decodeValue(encodeValue({ n: neg }, OBJ), OBJ)).toMatchObject({ n: neg });
    expect(decodeValue(encodeValue({ n: 1.5 }, OBJ), OBJ)).toMatchObject({ n: 1.5 });
    expect(decodeValue(encodeValue({ n: 42 }, OBJ), OBJ)).toMatchObject({ n: 42 });

    const decimal = decodeValue(plainEncode({ n: "1e400" }), OBJ) as Record<string, unknown>;
    expect(decimal.n).toEqual(new BigDecimal("1e400"));
    expect(plainDecode(encodeValue(decimal, OBJ))).toMatchObject({ n: "1e400" });
    const precise = decodeValue(plainEncode({ n: "0.1000000000000000000000001" }), OBJ) as Record<
      string,
      unknown
    >;
    expect(precise.n).toEqual(new BigDecimal("0.1000000000000000000000001"));
    expect(decodeValue(plainEncode({ n: "12345678901234567890" }), OBJ)).toMatchObject({
      n: 12345678901234567890n,
    });
    expect(decodeValue(plainEncode({ n: "7" }), OBJ)).toMatchObject({ n: 7 });
  });

  it("decodes maps, lists and nulls, and an empty value as null", () => {
    expect(decodeValue(new Uint8Array(0), OBJ)).toBeNull();
    expect(decodeValue(plainEncode(null), OBJ)).toBeNull();
    expect(decodeValue(plainEncode({ l: ["x", null], m: { k: 1 } }), OBJ)).toEqual({
      a: null,
      n: null,
      b: null,
      l: ["x", null],
      m: { k: 1 },
    });
  });

  it("reports a value that does not fit its type with where it is", () => {
    expect(() => decodeValue(plainEncode({ l: ["x", 3] }), OBJ)).toThrowError(CodecError);
    expect(() => decodeValue(plainEncode({ l: ["x", 3] }), OBJ)).toThrowError(
      /expected a string, got a number at l\[1\]/,
    );
    expect(() => decodeValue(plainEncode({ zz: 1 }), OBJ)).toThrowError(/unsupported attribute "zz"/);
    expect(() => encodeValue({ a: 3 }, OBJ)).toThrowError(/cannot encode a number as a string at a/);
    expect(() => encodeValue({ n: Number.NaN }, OBJ)).toThrowError(/as a number at n/);
  });
});
