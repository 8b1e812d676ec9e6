/**
 * The bounds on the spec side: a spec file over the size limit is refused unread with a diagnostic, and a
 * token's labels, scopes, allowlist entries and tool patterns are counted against the same limits the API
 * enforces (src/spec/limits.ts). The README's Limits table lists every one of them as the module sets it.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LIMITS, MAX_LABELS, MAX_SCOPES, MAX_SPEC_FILE_BYTES } from "../../src/spec/limits.js";
import { loadTokenSet, loadTokenSetFromSources } from "../../src/spec/load.js";

const spec = (token: string) =>
  `apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata:\n  name: limits\ntokens:\n${token}`;

describe("spec limits", () => {
  it("a spec file over the size limit is a spec_too_large diagnostic, on disk and in memory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tokenform-limits-"));
    try {
      const big = spec("  - name: a\n") + `# ${"x".repeat(MAX_SPEC_FILE_BYTES)}\n`;
      await writeFile(join(dir, "big.yaml"), big);
      for (const result of [
        await loadTokenSet("big.yaml", { cwd: dir }),
        await loadTokenSet(".", { cwd: dir }),
        loadTokenSetFromSources([{ file: "big.yaml", text: big }]),
      ]) {
        expect(result.set).toBeUndefined();
        expect(result.diagnostics.map((d) => d.code)).toEqual(["spec_too_large"]);
        expect(result.diagnostics[0]!.message).toContain(`at most ${MAX_SPEC_FILE_BYTES}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("labels and scopes beyond the limits are diagnostics", () => {
    const labels = Array.from({ length: MAX_LABELS + 1 }, (_, i) => `      k${i}: v`).join("\n");
    const scopes = Array.from({ length: MAX_SCOPES + 1 }, (_, i) => `      - s${i}:read`).join("\n");
    const result = loadTokenSetFromSources([
      { file: "t.yaml", text: spec(`  - name: a\n    labels:\n${labels}\n    scopes:\n${scopes}\n`) },
    ]);
    const messages = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
    expect(messages.some((m) => m.includes(`at most ${MAX_LABELS} labels`))).toBe(true);
    expect(result.diagnostics.some((d) => d.code === "out_of_range" && d.path.includes("scopes"))).toBe(true);
    expect(result.set).toBeUndefined();
  });
});

describe("the README's Limits table", () => {
  it("lists every limit as src/spec/limits.ts sets it", async () => {
    const readme = await readFile(join(import.meta.dirname, "../../README.md"), "utf8");
    for (const { what, limit } of LIMITS) expect(readme).toContain(`| ${what} | ${limit}`);
  });
});
