/**
 * The README's main job: `tokenform quickstart` (what `npm start` runs) on a fresh working directory
 * creates, delivers and proves the keys with a real MCP exchange; a second run prints "No changes".
 * The secrets land in the working directory's git-ignored `.tokenform/quickstart/`, never a fixed shared
 * temporary path, and the output says where. Secrets never reach the output.
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { runCli } from "../support/cli.js";

it("applies the quickstart once, then finds no changes", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "tokenform-qs-"));
  // The default: beside the embedded database, so a second run (and only this checkout) finds them.
  const outDir = join(cwd, ".tokenform", "quickstart");
  const spec = join(import.meta.dirname, "../../quickstart/quickstart.yaml");
  try {
    const first = runCli(["quickstart", "--spec", spec], { cwd });
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`secrets:  files under ${outDir} (mode 0600)`);
    expect(first.stdout).toContain("Plan: 3 to create.");
    expect(first.stdout).toContain("Apply complete: 3 changes applied, 3 secrets delivered.");
    // The proof is a real MCP exchange: initialize, tools/list, a read-only call, a refused destructive one.
    expect(first.stdout).toMatch(/with alice-cursor-dev's delivered key \(mcp_sk_\w{4}…, read from .*\)/);
    for (const line of [
      "✓ initialize: connected",
      "✓ tools/list: get_status (restart_service is hidden from a read-only key)",
      '✓ tools/call get_status: "all systems nominal (asked by alice-cursor-dev)"',
      "✓ tools/call restart_service: refused before the tool ran (403 this mcp key is read-only and cannot call restart_service",
      "✓ a well-formed key that was never issued: 401 the API key is invalid or has been revoked",
    ]) {
      expect(first.stdout).toContain(line);
    }
    expect(first.stdout).not.toContain("✗");

    const files = await readdir(outDir);
    expect(files.sort()).toEqual(["alice-cursor-dev.env", "backend-ci.env", "ops-agent.token"]);
    const secrets: string[] = [];
    for (const file of files) {
      expect((await stat(join(outDir, file))).mode & 0o777).toBe(0o600);
      const text = await readFile(join(outDir, file), "utf8");
      secrets.push(text.includes("=") ? text.trim().split("=")[1]! : text.trim());
    }

    const second = runCli(["quickstart", "--spec", spec], { cwd });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("No changes. The tokens of quickstart/demo match the spec.");
    for (const secret of secrets) {
      expect(secret).toMatch(/^mcp_(sk|ag)_[A-Za-z0-9]{36}$/);
      for (const text of [first.stdout, first.stderr, second.stdout, second.stderr])
        expect(text).not.toContain(secret);
    }
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
