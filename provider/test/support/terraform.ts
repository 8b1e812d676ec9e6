/**
 * A Terraform working directory for end-to-end tests: the real `terraform` binary, the provider installed
 * into a filesystem mirror by the provider executable's own `install` (what `tokenform provider install`
 * runs), a CLI configuration of our own (TF_CLI_CONFIG_FILE in this environment points nowhere), and
 * every byte Terraform printed kept for the secret scan.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Fails (never skips) when terraform is missing: these tests are the provider's proof. */
export function requireTerraform(): string {
  const probe = spawnSync("terraform", ["version", "-json"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "terraform is not on PATH: the provider's end-to-end tests run the real Terraform binary. " +
        "Install Terraform 1.5 or later (https://developer.hashicorp.com/terraform/install) and run the tests again.",
    );
  }
  return (JSON.parse(probe.stdout) as { terraform_version: string }).terraform_version;
}

/** The `terraform` and `provider "tokenform"` blocks every test configuration starts with. */
export function providerHeader(owner: string): string {
  return `
terraform {
  required_providers {
    tokenform = { source = "registry.terraform.io/tokenform/tokenform" }
  }
}

provider "tokenform" {
  owner = "${owner}"
}
`;
}

/** The outcome of one terraform command. */
export interface TfRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class TerraformWorkspace {
  readonly dir: string;
  readonly mirror: string;
  readonly cliConfig: string;
  /** Everything every command printed, for the secret scan. */
  readonly transcript: string[] = [];

  constructor(
    readonly bundle: string,
    /** Extra environment for terraform (and the provider it starts): TOKENFORM_API_URL, …. */
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "tokenform-tf-"));
    this.mirror = join(this.dir, ".mirror");
    this.cliConfig = join(this.dir, ".terraformrc");
  }

  /** Installs the provider into the mirror and writes the CLI configuration `install` printed. */
  install(): string {
    const out = spawnSync(process.execPath, [this.bundle, "install", "--dir", this.mirror], {
      encoding: "utf8",
    });
    if (out.status !== 0) throw new Error(`provider install failed: ${out.stderr}`);
    const config = out.stdout.slice(out.stdout.indexOf("provider_installation {"));
    writeFileSync(this.cliConfig, config.slice(0, config.indexOf("\n}\n") + 3));
    return out.stdout;
  }

  /** Writes main.tf (and removes other .tf files so each step's configuration is exactly this). */
  write(hcl: string, file = "main.tf"): void {
    writeFileSync(join(this.dir, file), hcl);
  }

  /** Runs terraform with `args`; resolves with the exit code and output. `onSpawn` sees the process. */
  /** The environment terraform runs with here: this workspace's CLI configuration, no checkpoint, no input. */
  terraformEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...this.env,
      TF_CLI_CONFIG_FILE: this.cliConfig,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
    };
  }

  run(args: string[], onSpawn?: (child: ReturnType<typeof spawn>) => void): Promise<TfRun> {
    return new Promise((resolve, reject) => {
      const child = spawn("terraform", args, {
        cwd: this.dir,
        env: this.terraformEnv(),
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
      child.on("error", reject);
      child.on("close", (code) => {
        this.transcript.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
      onSpawn?.(child);
    });
  }

  /** Runs terraform and fails with its output unless it exits with one of `codes` (default 0). */
  async ok(args: string[], codes: number[] = [0]): Promise<TfRun> {
    const r = await this.run(args);
    if (r.code === null || !codes.includes(r.code)) {
      throw new Error(`terraform ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    }
    return r;
  }

  /** The state file's text ("" when there is none). */
  stateText(): string {
    try {
      return readFileSync(join(this.dir, "terraform.tfstate"), "utf8");
    } catch {
      return "";
    }
  }

  /** Resources in state, by address. */
  stateResources(): Record<string, Record<string, unknown>> {
    const text = this.stateText();
    if (!text) return {};
    const state = JSON.parse(text) as {
      resources: Array<{
        mode: string;
        type: string;
        name: string;
        instances: Array<{ attributes: Record<string, unknown> }>;
      }>;
    };
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of state.resources) {
      if (r.mode !== "managed") continue;
      out[`${r.type}.${r.name}`] = r.instances[0]!.attributes;
    }
    return out;
  }

  /** A scratch directory inside the workspace (e.g. for file-sink destinations). */
  subdir(name: string): string {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
