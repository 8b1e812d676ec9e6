/** Runs the real `tokenform` CLI from source (tsx) in a working directory and captures everything it prints. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/index.ts");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
  for (const key of ["TOKENFORM_API_URL", "TOKENFORM_API_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN"]) {
    if (!options.env || !(key in options.env)) delete env[key];
  }
  const run = spawnSync(TSX, [CLI, ...args], {
    cwd: options.cwd,
    env,
    encoding: "utf8",
    input: options.input ?? "",
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
