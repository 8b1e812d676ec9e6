/**
 * Runs the real `tokenform` CLI from source (tsx): a command in a working directory with everything it
 * prints captured, or a long-running one (`serve`, `gateway`) as a child process.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = join(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "src/cli/index.ts");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without credentials the test did not give, and without colour. */
function cliEnv(given: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...given };
  for (const key of ["TOKENFORM_API_URL", "TOKENFORM_API_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN"]) {
    if (!given || !(key in given)) delete env[key];
  }
  return env;
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): CliRun {
  const env = cliEnv(options.env);
  const run = spawnSync(TSX, [CLI, ...args], {
    cwd: options.cwd,
    env,
    encoding: "utf8",
    input: options.input ?? "",
    timeout: 120_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A long-running CLI command (`serve`, `gateway`) started as a child process. */
export interface CliChild {
  child: ChildProcess;
  /** What it is ready at (from its ready log line). */
  url: string;
  /** Its stdout lines (JSON log lines) and stderr lines, as they came. */
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** Every CLI child started; a suite's afterAll kills those still running. */
export const cliChildren: ChildProcess[] = [];

/**
 * Starts `tokenform <args>` from source as a child process and resolves once a JSON log line on stdout
 * passes `ready` (which returns the URL it is ready at). Rejects if the process exits first.
 */
export async function spawnCli(
  args: string[],
  options: { env?: Record<string, string>; ready: (entry: Record<string, unknown>) => string | undefined },
): Promise<CliChild> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cliChildren.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      stdout.push(line);
      const found = options.ready(JSON.parse(line) as Record<string, unknown>);
      if (found !== undefined) resolve(found);
    });
    void exited.then((code) =>
      reject(new Error(`tokenform ${args[0]} exited early (${code}): ${stderr.join("\n")}`)),
    );
  });
  return { child, url, stdout, stderr, exited };
}

/**
 * `runCli` without blocking this process: for commands that talk to a service the test itself runs
 * (a synchronous spawn would stop that service from answering).
 */
export function runCliAsync(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): Promise<CliRun> {
  return startCliRun(args, options).done;
}

/** A CLI command running as a child process: what it printed so far, and its end. */
export interface RunningCli {
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first match of `pattern` in stderr (polled; rejects if the command ends first). */
  stderrMatch(pattern: RegExp): Promise<RegExpMatchArray>;
  done: Promise<CliRun>;
}

/** Starts `tokenform <args>` from source without waiting for it (killed after 120 s at most). */
export function startCliRun(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): RunningCli {
  const env = cliEnv(options.env);
  const child = spawn(TSX, [CLI, ...args], {
    cwd: options.cwd,
    env,
    stdio: ["pipe", "pipe", "pipe"],
    timeout: 120_000,
  });
  // Empty input reads as end of file, as /dev/null would.
  child.stdin.end(options.input ?? "");
  let stdout = "";
  let stderr = "";
  let ended = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const done = new Promise<CliRun>((resolve) =>
    child.once("close", (status) => {
      ended = true;
      resolve({ status, stdout, stderr });
    }),
  );
  return {
    output: () => ({ stdout, stderr }),
    async stderrMatch(pattern) {
      for (;;) {
        const match = pattern.exec(stderr);
        if (match) return match;
        if (ended) throw new Error(`the command ended without printing ${pattern}: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    done,
  };
}
