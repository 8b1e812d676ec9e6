/**
 * The fast YAML reader must agree with the `yaml` package on everything it accepts (values and node
 * positions) and give up on everything else. Checked on hand-written cases and on thousands of mutations
 * of the examples (fixed seed).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SourceNode } from "../../../src/spec/source.js";
import { MAX_NESTING_DEPTH, parseYamlFast } from "../../../src/spec/yaml-fast.js";
import { parseWithYaml } from "../../../src/spec/yaml-source.js";
import { mutate, nested, prng } from "./mutate.js";

const examples = [
  ...readdirSync("examples")
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => `examples/${f}`),
  "quickstart/quickstart.yaml",
].map((f) => readFileSync(f, "utf8"));

/** Asserts that the fast reader's result for `text` equals yaml's, when the fast reader accepts it. */
function expectAgreement(text: string): boolean {
  const fast = parseYamlFast(text);
  if (!fast) return false;
  const reference = parseWithYaml(text, "t.yaml");
  expect(
    reference.diagnostics.filter((d) => d.code !== "empty_document"),
    text,
  ).toEqual([]);
  expect(fast.map((d) => d.value)).toEqual(reference.documents.map((d) => d.value));
  for (const [i, doc] of fast.entries()) expectSameTree(doc.root, reference.documents[i]!.root, text);
  return true;
}

function expectSameTree(a: SourceNode, b: SourceNode, text: string): void {
  expect(a.kind, text).toBe(b.kind);
  if (a.kind === "scalar" && b.kind === "scalar") {
    expect(a.value).toEqual(b.value);
    if (a.value !== null) expect([a.start, a.end], text).toEqual([b.start, b.end]);
    return;
  }
  expect(a.start, text).toBe(b.start);
  if (a.kind === "map" && b.kind === "map") {
    expect(a.entries.map((e) => [e.key, e.keyStart, e.keyEnd])).toEqual(
      b.entries.map((e) => [e.key, e.keyStart, e.keyEnd]),
    );
    for (const [i, e] of a.entries.entries()) expectSameTree(e.value, b.entries[i]!.value, text);
  }
  if (a.kind === "seq" && b.kind === "seq") {
    expect(a.items.length).toBe(b.items.length);
    for (const [i, item] of a.items.entries()) expectSameTree(item, b.items[i]!, text);
  }
}

describe("fast YAML reader", () => {
  it("reads every example itself (so large sets stay fast) and agrees with yaml", () => {
    for (const text of examples) expect(expectAgreement(text)).toBe(true);
  });

  it.each([
    ["block mapping and nested sequence", "a: 1\nb:\n  - x\n  - y: 2\n    z: [1, two, 'three']\n"],
    ["compact sequence under a key", "list:\n- a\n- b\nnext: c\n"],
    ["empty values", "a:\nb: ~\nc: null\nd:\n- \n-\n"],
    ["comments everywhere", "# head\na: 1 # one\n  # indented comment\nb: 'x # not a comment' # c\n"],
    [
      "scalars of the core schema",
      'i: -12\nt: True\nf: FALSE\ns: 90d\nip: 203.0.113.0/24\nv6: 2001:db8::/32\nq: "007"\nn: 007\n',
    ],
    ["flow collections", 'm: { a: 1, b: [x, y], c: {}, d: [] }\ns: [ {k: v}, [1, 2], "q" ]\n'],
    ["quoted keys", "\"quoted key\": 1\n'single': 2\n- not: here\n".split("- not")[0]!],
    ["single quotes with escapes", "a: 'it''s'\n"],
    ["several documents", "a: 1\n---\nb: 2\n--- # trailing comment\nc: 3\n"],
    ["plain scalars with colons and hashes", "url: http://x.test/a#b\nscope: tools:call\n"],
    ["key with spaces before the colon", "a   : 1\n"],
    ["deeper indentation", "a:\n    b:\n        - c\n"],
  ])("agrees with yaml: %s", (_name, text) => {
    expect(expectAgreement(text)).toBe(true);
  });

  it.each([
    ["anchors and aliases", "a: &x 1\nb: *x\n"],
    ["tags", "a: !!str 1\n"],
    ["block scalars", "a: |\n  text\n"],
    ["multi-line flow", "a: [1,\n  2]\n"],
    ["multi-line plain scalar", "a: one\n  two\n"],
    ["double-quoted escapes", 'a: "\\n"\n'],
    ["tabs", "a:\t1\n"],
    ["CRLF", "a: 1\r\n"],
    ["duplicate keys", "a: 1\na: 2\n"],
    ["non-string keys", "1: a\n"],
    ["floats", "a: 1.5\n"],
    ["hex", "a: 0x1F\n"],
    ["directives", "%YAML 1.2\n---\na: 1\n"],
    ["document end marker", "a: 1\n...\n"],
    ["nested compact sequence", "- - a\n"],
    ["mapping in a plain value", "a: b: c\n"],
    ["alias-looking scope", "scopes: [*]\n"],
    ["odd indentation", "a:\n  b: 1\n c: 2\n"],
    ["__proto__ key", "__proto__: 1\n"],
  ])("gives up on %s", (_name, text) => {
    expect(parseYamlFast(text)).toBeUndefined();
  });

  it("agrees with yaml on 3,000 mutations of the examples", () => {
    const random = prng(20240611);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      let text = examples[i % examples.length]!;
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) text = mutate(text, random);
      if (expectAgreement(text)) accepted++;
    }
    // Most mutations keep the text in the subset, so the comparison above really ran.
    expect(accepted).toBeGreaterThan(600);
  });

  it("shares one nesting limit with yaml: up to it both agree, past it yaml reports it at a line", () => {
    const random = prng(2800);
    let flowAndBlock = 0;
    for (let i = 0; i < 300; i++) {
      const depth = MAX_NESTING_DEPTH - 3 + (i % 7);
      const text = nested(depth, random);
      if (text.includes("[") && /^ +k/m.test(text)) flowAndBlock++;
      if (depth <= MAX_NESTING_DEPTH) {
        expect(expectAgreement(text), text).toBe(true);
        continue;
      }
      expect(parseYamlFast(text), text).toBeUndefined();
      const reference = parseWithYaml(text, "deep.yaml");
      expect(reference.documents).toEqual([]);
      expect(reference.diagnostics.map((d) => d.code)).toEqual(["yaml_too_deep"]);
      expect(reference.diagnostics[0]!.line).toBeGreaterThanOrEqual(1);
    }
    expect(flowAndBlock).toBeGreaterThan(50);
  });

  it.each([
    ["flow, 2,800 levels (a RangeError before)", `a: ${"[".repeat(2800)}${"]".repeat(2800)}\n`, 1, 103],
    ["flow, 20,000 levels", `${"{a: ".repeat(20_000)}b${"}".repeat(20_000)}\n`, 1, 401],
    [
      "block mappings, 3,000 levels",
      [...Array(3000).keys()].map((i) => `${" ".repeat(i)}k:`).join("\n"),
      101,
      101,
    ],
    [
      "block sequences, 1,000 levels",
      [...Array(1000).keys()].map((i) => `${" ".repeat(2 * i)}-`).join("\n"),
      101,
      201,
    ],
  ])("refuses deep nesting without throwing: %s", (_name, text, line, column) => {
    expect(parseYamlFast(text)).toBeUndefined();
    const parsed = parseWithYaml(text, "deep.yaml");
    expect(parsed.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ["yaml_too_deep", line, column],
    ]);
  });
});
