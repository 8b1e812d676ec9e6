/**
 * A CDKTF project for end-to-end runs: a copy of examples/cdktf in a temporary directory (its import of
 * the construct library pointed at this checkout, node_modules linked), the provider installed into a
 * filesystem mirror by `tokenform provider install --dir`, a Terraform CLI configuration of our own
 * (TF_CLI_CONFIG_FILE in this environment points nowhere), and the real cdktf CLI. Every byte any command
 * printed is kept for the secret scan.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
/** The example app this project copies. */
export const EXAMPLE = join(REPO, "examples", "cdktf");
/** The real cdktf CLI of this checkout. */
export const CDKTF_CLI = join(REPO, "node_modules", ".bin", "cdktf");
/** The stack the example declares. */
export const STACK = "mcp-tokens";
/** Upper bound for one cdktf command (synth + terraform init/plan/apply on two cores). */
const COMMAND_TIMEOUT_MS = 240_000;

/** Fails (never skips) when terraform is missing: the end-to-end proof needs the real binary. */
export function requireTerraform(): string {
  const probe = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "terraform is not on PATH: the CDKTF end-to-end tests run the real Terraform binary through the cdktf CLI. " +
        "Install Terraform 1.5 or later and run the tests again.",
    );
  }
  return (JSON.parse(probe.stdout) as { terraform_version: string }).terraform_version;
}

/** The outcome of one command. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class CdktfProject {
  readonly dir: string;
  readonly mirror: string;
  readonly cliConfig: string;
  /** Everything every command printed, for the secret scan. */
  readonly transcript: string[] = [];

  constructor(readonly env: NodeJS.ProcessEnv) {
    this.dir = mkdtempSync(join(tmpdir(), "tokenform-cdktf-"));
    this.mirror = join(this.dir, ".mirror");
    this.cliConfig = join(this.dir, ".terraformrc");
    for (const file of ["cdktf.json", "main.ts"]) cpSync(join(EXAMPLE, file), join(this.dir, file));
    this.editMain((text) =>
      text.replace(
        'from "../../src/cdktf/index.js"',
        `from ${JSON.stringify(join(REPO, "src/cdktf/index.js"))}`,
      ),
    );
    symlinkSync(join(REPO, "node_modules"), join(this.dir, "node_modules"), "dir");
  }

  /** Rewrites the app's main.ts; fails when the edit changes nothing (the example moved on). */
  editMain(edit: (text: string) => string): void {
    const path = join(this.dir, "main.ts");
    const before = readFileSync(path, "utf8");
    const after = edit(before);
    if (after === before)
      throw new Error("the edit of main.ts changed nothing: update the test to the example");
    writeFileSync(path, after);
  }

  /**
   * Installs the provider with `tokenform provider install --rebuild --dir <mirror>` (the CLI from this
   * checkout; rebuilt so the bundle is this checkout's provider) and writes the CLI configuration it
   * printed.
   */
  installProvider(): string {
    const out = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(REPO, "src/cli/index.ts"),
        "provider",
        "install",
        "--rebuild",
        "--dir",
        this.mirror,
      ],
      { cwd: REPO, encoding: "utf8", timeout: COMMAND_TIMEOUT_MS },
    );
    this.transcript.push(out.stdout ?? "", out.stderr ?? "");
    if (out.status !== 0) throw new Error(`tokenform provider install failed (${out.status}): ${out.stderr}`);
    const start = out.stdout.indexOf("provider_installation {");
    if (start < 0) throw new Error(`tokenform provider install printed no CLI configuration:\n${out.stdout}`);
    const config = out.stdout.slice(start);
    writeFileSync(this.cliConfig, config.slice(0, config.indexOf("\n}\n") + 3));
    return out.stdout;
  }

  /** Runs the cdktf CLI with `args` in the project; resolves with its exit code and output. */
  cdktf(args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(CDKTF_CLI, args, {
        cwd: this.dir,
        env: {
          ...process.env,
          ...this.env,
          TF_CLI_CONFIG_FILE: this.cliConfig,
          CHECKPOINT_DISABLE: "1",
          DISABLE_VERSION_CHECK: "true",
          CDKTF_DISABLE_PLUGIN_CACHE_ENV: "1",
          TF_IN_AUTOMATION: "1",
          TF_INPUT: "0",
          CI: "1",
          FORCE_COLOR: "0",
          NO_COLOR: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        this.transcript.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Text of a file in the project (state, synthesized config). */
  read(path: string): string {
    return readFileSync(join(this.dir, path), "utf8");
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
