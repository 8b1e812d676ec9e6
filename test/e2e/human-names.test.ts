/**
 * A token with a human name ("Cursor MCP") end to end: the real CLI plans and applies it on the embedded
 * token service, and its file destination without `key` gets the derived variable name `CURSOR_MCP`.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-e2e-names-"));
  await writeFile(
    join(dir, "tokens.yaml"),
    `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata: { owner: e2e/names }
tokens:
  - name: Cursor MCP
    scopes: [tools:call]
    deliver:
      - file: { path: out/cursor.env }
  - name: CI/CD Pipeline
    type: agent
    scopes: ["contexts:write"]
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("human names through plan and apply", () => {
  it("plans and applies them; the file key is derived from the name", async () => {
    const plan = runCli(["plan", "tokens.yaml"], { cwd: dir });
    expect(plan.stderr).not.toMatch(/error/i);
    expect(plan.stdout).toContain("+ Cursor MCP will be created (mcp)");
    expect(plan.stdout).toContain("+ CI/CD Pipeline will be created (agent)");
    const apply = runCli(["apply", "tokens.yaml", "--auto-approve"], { cwd: dir });
    expect(apply.status, apply.stderr).toBe(0);
    const env = await readFile(join(dir, "out/cursor.env"), "utf8");
    expect(env).toMatch(/^CURSOR_MCP=mcp_sk_[A-Za-z0-9]+\n?$/);
    const again = runCli(["plan", "tokens.yaml", "--detailed-exitcode"], { cwd: dir });
    expect(again.status).toBe(0);
  });
});
