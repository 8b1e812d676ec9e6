/**
 * Attack: a spec nested thousands of levels deep (flow and block) once threw a RangeError stack trace
 * from the fast YAML reader. `tokenform validate` must answer with one diagnostic at file:line and exit 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "tokenform-security-deep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: acme/platform }\n";

describe("deeply nested specs", () => {
  it.each([
    ["flow", `${HEAD}tokens: ${"[".repeat(2800)}${"]".repeat(2800)}\n`, "deep.yaml:4:108"],
    [
      "block",
      `${HEAD}tokens:\n${[...Array(3000).keys()].map((i) => `${" ".repeat(i + 1)}k:`).join("\n")}\n`,
      "deep.yaml:104:101",
    ],
  ])("%s nesting is a yaml_too_deep diagnostic at file:line, exit 1, no stack trace", (_kind, text, at) => {
    writeFileSync(join(dir, "deep.yaml"), text);
    const run = runCli(["validate", "deep.yaml"], { cwd: dir });
    const output = run.stdout + run.stderr;
    expect(run.status).toBe(1);
    expect(output).toContain(`${at}: error[yaml_too_deep] collections are nested more than 100 levels deep`);
    expect(output).not.toMatch(/RangeError|Maximum call stack|this is a bug|\n\s+at /);
  });
});
