/**
 * Human token names ("Cursor MCP", "CI/CD Pipeline"): the rules the spec and the API share, the one
 * derivation of identifiers from them, and the spec's duplicate check ignoring case and identifiers.
 */
import { describe, expect, it } from "vitest";
import { CreateTokenRequestSchema, UpdateTokenRequestSchema } from "../../../src/api/schemas.js";
import { envVariableOf, identifierOf, nameKey, nameProblem } from "../../../src/spec/identifiers.js";
import { loadTokenSetFromSources } from "../../../src/spec/index.js";

const HEAD = "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: acme/platform }\ntokens:\n";

describe("token names", () => {
  it.each([
    ["alice-cursor-dev", "alice-cursor-dev", "ALICE_CURSOR_DEV"],
    ["Cursor MCP", "cursor-mcp", "CURSOR_MCP"],
    ["CI/CD Pipeline", "ci-cd-pipeline", "CI_CD_PIPELINE"],
    ["Käse & Brot (prod)", "kase-brot-prod", "KASE_BROT_PROD"],
    ["1password.sync", "1password.sync", "_1PASSWORD_SYNC"],
    ["ＦＵＬＬ width", "full-width", "FULL_WIDTH"],
  ])("%s is a valid name; its identifier is %s and its variable %s", (name, id, variable) => {
    expect(nameProblem(name)).toBeUndefined();
    expect(identifierOf(name)).toBe(id);
    expect(envVariableOf(name)).toBe(variable);
  });

  it("a name without letters or digits gets a stable hashed identifier", () => {
    expect(identifierOf("日本語")).toMatch(/^token-[0-9a-f]{8}$/);
    expect(identifierOf("日本語")).toBe(identifierOf("日本語"));
    expect(identifierOf("日本語")).not.toBe(identifierOf("中文"));
  });

  it.each([
    ["", /must not be empty/],
    [" Cursor MCP", /must not start or end with spaces/],
    ["Cursor MCP ", /must not start or end with spaces/],
    ["Cursor\u202eMCP", /U\+202E/],
    ["Cursor\u2066MCP\u2069", /U\+2066/],
    ["Cursor\u200fMCP", /U\+200F/],
    ["Cursor\u200eMCP", /U\+200E/],
    ["Cursor\nMCP", /control/],
    ["Cursor\u0000MCP", /control/],
    ["Cursor\u0085MCP", /control/],
    ["a\ud800b", /valid Unicode/],
    ["x".repeat(129), /at most 128 characters/],
  ])("%j is refused: %s", (name, message) => {
    expect(nameProblem(name)).toMatch(message);
    const api = CreateTokenRequestSchema.safeParse({ name });
    expect(api.success).toBe(false);
    expect(api.error!.issues[0]!.message).toMatch(message);
    expect(UpdateTokenRequestSchema.safeParse({ name }).success).toBe(false);
  });

  it("128 characters are counted as characters, not UTF-16 units", () => {
    expect(nameProblem("😀".repeat(128))).toBeUndefined();
    expect(CreateTokenRequestSchema.safeParse({ name: "😀".repeat(128) }).success).toBe(true);
  });

  it("names compare ignoring case and compatibility forms", () => {
    expect(nameKey("Cursor MCP")).toBe(nameKey("cursor mcp"));
    expect(nameKey("ＣＵＲＳＯＲ")).toBe(nameKey("cursor"));
  });
});

describe("the spec and human names", () => {
  it("accepts them, resolves file keys through envVariableOf", () => {
    const text = `${HEAD}  - name: Cursor MCP\n    deliver:\n      - file: { path: out/cursor.env }\n  - name: CI/CD Pipeline\n    renamedFrom: ci-cd\n`;
    const result = loadTokenSetFromSources([{ file: "t.yaml", text, baseDir: "/w" }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.set!.tokens.map((t) => t.name)).toEqual(["Cursor MCP", "CI/CD Pipeline"]);
    expect(result.set!.tokens[0]!.deliver[0]).toMatchObject({ kind: "file", key: "CURSOR_MCP" });
  });

  it("refuses a name used twice ignoring case, and two names with one identifier", () => {
    const text = `${HEAD}  - name: Cursor MCP\n  - name: cursor mcp\n  - name: CI/CD\n  - name: CI CD\n`;
    const found = loadTokenSetFromSources([{ file: "t.yaml", text }]).diagnostics;
    expect(found.map((d) => [d.code, d.line])).toEqual([
      ["duplicate_name", 6],
      ["duplicate_name", 8],
    ]);
    expect(found[0]!.message).toContain('already used at t.yaml:5:11 (as "Cursor MCP"); names are unique');
    expect(found[1]!.message).toContain("both become ci-cd in Terraform addresses and variable names");
  });

  it("refuses a bidi override in a name with invalid_name at its line", () => {
    const text = `${HEAD}  - name: "pay\\u202Eroll"\n`;
    const found = loadTokenSetFromSources([{ file: "t.yaml", text }]).diagnostics;
    expect(found.map((d) => [d.code, d.line])).toEqual([["invalid_name", 5]]);
    expect(found[0]!.message).toContain("U+202E");
  });
});
