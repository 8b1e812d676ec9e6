/**
 * End to end: the real `tokenform` CLI (src/cli/index.ts run by Node with the tsx loader) on the example
 * and on broken fixtures, in every output format, plus `--help` and `--version`.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "src/cli/index.ts");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const BROKEN = join(ROOT, "test/fixtures/specs/broken");
const temp: string[] = [];

function tokenform(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, ["--import", TSX, CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tokenform-e2e-validate-"));
  temp.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

describe("tokenform", () => {
  it("--help lists validate; --version prints the package version", () => {
    const help = tokenform(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: tokenform/);
    expect(help.stdout).toMatch(/validate \[options\] \[paths\.\.\.\]/);
    const version = tokenform(["--version"]);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe("tokenform validate", () => {
  it("accepts the example: exit 0 and a summary", () => {
    const run = tokenform(["validate", "examples/tokens.yaml"]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("✓ 9 tokens valid in 1 file\n");
    expect(run.code).toBe(0);
  });

  it("accepts the examples directory and the quickstart's as they are: each is one set", () => {
    // examples/ holds one TokenSet (plus the CDKTF and MCP code); workflows live under docs/workflows/.
    expect(tokenform(["validate", "examples/"])).toMatchObject({
      code: 0,
      stdout: "✓ 9 tokens valid in 1 file\n",
    });
    expect(tokenform(["validate", "quickstart/"])).toMatchObject({
      code: 0,
      stdout: "✓ 3 tokens valid in 1 file\n",
    });
  });

  it("prints every problem with a code frame and exits 1, without a stack trace", () => {
    const run = tokenform(["validate", join(BROKEN, "unknown-key.yaml"), join(BROKEN, "bad-cidr.yaml")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'unknown-key.yaml:7:5: error[unknown_key] unknown key "expireIn"; did you mean "expiresIn"?',
    );
    expect(run.stdout).toContain("> 7 |     expireIn: 90d\n    |     ^^^^^^^^");
    expect(run.stdout.match(/error\[invalid_cidr\]/g)).toHaveLength(4);
    expect(run.stdout).toMatch(/✗ 5 errors in 2 files \(2 tokens declared\)\n$/);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
  });

  it("--format json reports the diagnostics as data", () => {
    const run = tokenform(["validate", "--format", "json", join(BROKEN, "duplicate-name-across-files")]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      valid: boolean;
      tokens: number;
      files: string[];
      diagnostics: Array<{ code: string; line: number; column: number; related: Array<{ line: number }> }>;
    };
    expect(report).toMatchObject({ valid: false, tokens: 3, errors: 1, warnings: 0 });
    expect(report.files).toHaveLength(2);
    expect(report.diagnostics).toMatchObject([
      { code: "duplicate_name", line: 7, column: 11, related: [{ line: 6 }] },
    ]);
  });

  it("--format github prints workflow annotations", () => {
    const run = tokenform(["validate", "--format", "github", join(BROKEN, "overlap-not-shorter.yaml")]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split("\n");
    expect(lines.slice(0, 2).map((l) => l.replace(/file=[^,]*/, "file=F"))).toEqual([
      "::error file=F,line=7,endLine=7,col=38,endColumn=41,title=tokenform overlap_not_shorter::overlap 48h must be shorter than every: 24h (the old secret must stop working before the next roll)",
      "::error file=F,line=9,endLine=9,col=24,endColumn=26,title=tokenform overlap_not_shorter::the overlap defaults to 48h, which is not shorter than every: 1d; set a shorter overlap (the old secret must stop working before the next roll)",
    ]);
    expect(lines[2]).toBe("✗ 2 errors in 1 file (2 tokens declared)");
  });

  it("never prints a pasted secret, whatever the format", () => {
    const file = join(BROKEN, "raw-tokenform-token.yaml");
    const secret = /mcp_sk_\w{36}/.exec(readFileSync(file, "utf8"))![0];
    for (const format of ["text", "json", "github"]) {
      const run = tokenform(["validate", "--format", format, file]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("raw_secret");
      expect(run.stdout + run.stderr).not.toContain(secret.slice(11));
    }
  });

  it("reads tokens/ by default, and says what to do when there is none", () => {
    const project = tempDir();
    cpSync(join(ROOT, "test/fixtures/specs/valid/split-set"), join(project, "tokens"), { recursive: true });
    const run = tokenform(["validate"], project);
    expect(run.stdout).toBe("✓ 3 tokens valid in 2 files\n");
    expect(run.code).toBe(0);

    const empty = tokenform(["validate"], tempDir());
    expect(empty.code).toBe(1);
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toBe(
      "Error: no spec paths given and there is no tokens/ directory here\n" +
        "Hint: pass spec files or directories, e.g. `tokenform validate examples/tokens.yaml`\n",
    );
  });

  it("refuses an unknown format", () => {
    const run = tokenform(["validate", "--format", "xml", "examples/tokens.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Allowed choices are text, json, github/);
  });
});
