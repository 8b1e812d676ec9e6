/**
 * Fuzz: thousands of random and mutated inputs (fixed seed) never crash the loader: every input gives a
 * structured result — diagnostics, or a resolved set — and never throws.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, loadTokenSetFromSources, type SpecResult } from "../../../src/spec/index.js";
import { MAX_NESTING_DEPTH } from "../../../src/spec/yaml-fast.js";
import { mutate, nested, prng } from "./mutate.js";

const examples = ["examples/tokens.yaml", "quickstart/quickstart.yaml"].map((f) => readFileSync(f, "utf8"));
const codes = new Set<string>(DIAGNOSTIC_CODES);

/** What is wrong with a result's structure (plain checks: thousands of results, one assertion each). */
function problems(result: SpecResult): string[] {
  const out: string[] = [];
  if (!Array.isArray(result.diagnostics)) return ["diagnostics is not a list"];
  for (const d of result.diagnostics) {
    if (!codes.has(d.code)) out.push(`unknown code ${d.code}`);
    if (d.severity !== "error" && d.severity !== "warning") out.push(`bad severity ${d.severity}`);
    if (typeof d.message !== "string" || d.message.length === 0) out.push("empty message");
    if (d.line !== undefined && !(d.line >= 1 && (d.column ?? 0) >= 1))
      out.push(`bad position ${d.line}:${d.column}`);
  }
  const errors = result.diagnostics.some((d) => d.severity === "error");
  if ((result.set === undefined) !== errors) out.push("a set must be present exactly when there is no error");
  return out;
}

function expectStructured(result: SpecResult, text: string): void {
  const found = problems(result);
  if (found.length > 0) expect(found, JSON.stringify(text)).toEqual([]);
}

describe("the loader never crashes", () => {
  it("on 1,600 mutations of the examples (truncation, flips, insertions, random bytes)", () => {
    const random = prng(7);
    let valid = 0;
    for (let i = 0; i < 1600; i++) {
      let text = examples[i % examples.length]!;
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) text = mutate(text, random);
      const result = loadTokenSetFromSources([{ file: "fuzz.yaml", text, baseDir: "/tmp" }], {
        homeDir: "/home/u",
      });
      expectStructured(result, text);
      if (result.set) valid++;
    }
    // Some mutations leave the spec valid (a changed description), most do not: both paths ran.
    expect(valid).toBeGreaterThan(50);
    expect(valid).toBeLessThan(1500);
  });

  it("on 1,000 random byte strings and YAML-ish noise", () => {
    const random = prng(99);
    const alphabet = "abc:-[]{},#&*!|>'\"\n  \t0123456789%@?~.\\/";
    for (let i = 0; i < 1000; i++) {
      let text = "";
      const length = Math.floor(random() * 300);
      const bytes = i % 2 === 0;
      for (let j = 0; j < length; j++) {
        text += bytes
          ? String.fromCharCode(Math.floor(random() * 256))
          : alphabet[Math.floor(random() * alphabet.length)];
      }
      expectStructured(loadTokenSetFromSources([{ file: "noise.yaml", text }]), text);
    }
  });

  it("on hostile YAML: alias bombs, deep nesting, huge numbers, odd documents", () => {
    const inputs = [
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`,
      `${"[".repeat(2000)}${"]".repeat(2000)}`,
      "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: a/b }\ntokens:\n  - name: x\n    expiresIn: 99999999999999999999999d\n    rateLimit: { perMinute: 1e400 }\n",
      "---\n---\n...\n",
      "%YAML 1.2\n---\n!!binary aGVsbG8=\n",
      "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: a/b }\ntokens:\n  - &t { name: x }\n  - *t\n",
      "? [a, b]\n: c\n",
      "\uFEFFapiVersion: tokenform.dev/v1\r\nkind: TokenSet\r\n",
      "__proto__: { polluted: true }\nconstructor: x\n",
    ];
    for (const text of inputs)
      expectStructured(loadTokenSetFromSources([{ file: "hostile.yaml", text }]), text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("on deep nesting, flow and block: past the limit a yaml_too_deep diagnostic at a line, never a throw", () => {
    const random = prng(404);
    for (let i = 0; i < 150; i++) {
      const depth = 1 + Math.floor(random() * 3 * MAX_NESTING_DEPTH);
      const text = nested(depth, random);
      const result = loadTokenSetFromSources([{ file: "deep.yaml", text }]);
      expectStructured(result, text);
      const deep = result.diagnostics.filter((d) => d.code === "yaml_too_deep");
      expect(deep.length, text).toBe(depth > MAX_NESTING_DEPTH ? 1 : 0);
      if (deep[0]) expect(deep[0].line).toBeGreaterThanOrEqual(1);
    }
    for (const text of [`${"[".repeat(2800)}${"]".repeat(2800)}`, `tokens: ${"{a: [".repeat(5000)}`]) {
      const result = loadTokenSetFromSources([{ file: "deep.yaml", text }]);
      expect(result.diagnostics.map((d) => d.code)).toContain("yaml_too_deep");
    }
  });
});
