/**
 * Test harness for the Action: the environment a runner gives a step (event name and payload, summary and
 * output files, inputs as `INPUT_*`), restored after each test; stdout captured the way the runner reads
 * workflow commands; and parsers for what the runner would make of it (annotations, outputs).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("../../fixtures/github-events/", import.meta.url));

/** Path of a webhook payload fixture, e.g. `pull_request.opened`. */
export function eventPath(name: string): string {
  return `${FIXTURES}${name}.json`;
}

/** Variables a runner sets that a test must control: removed before each run, restored after. */
const CONTROLLED = /^(INPUT_|GITHUB_|RUNNER_)/;

/**
 * Replaces every `INPUT_*`, `GITHUB_*` and `RUNNER_*` variable with `vars` (others stay); returns a function
 * that puts the environment back exactly as it was.
 */
export function withEnv(vars: Record<string, string>): () => void {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (CONTROLLED.test(key)) delete process.env[key];
  Object.assign(process.env, vars);
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}

/** Captures everything written to stdout until `stop()` (the runner parses workflow commands from it). */
export function captureStdout(): { text(): string; stop(): void } {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    text: () => chunks.join(""),
    stop: () => {
      process.stdout.write = original;
    },
  };
}

/** One annotation as the runner would show it. */
export interface Annotation {
  level: "error" | "warning" | "notice";
  properties: Record<string, string>;
  message: string;
}

function unescapeCommand(text: string): string {
  return text
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%3A/g, ":")
    .replace(/%2C/g, ",")
    .replace(/%25/g, "%");
}

/** The `::error …::`, `::warning …::` and `::notice …::` commands in captured stdout. */
export function annotations(stdout: string): Annotation[] {
  const out: Annotation[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const at = pair.indexOf("=");
      properties[pair.slice(0, at)] = unescapeCommand(pair.slice(at + 1));
    }
    out.push({ level: m[1] as Annotation["level"], properties, message: unescapeCommand(m[3] ?? "") });
  }
  return out;
}

/** Parses a `GITHUB_OUTPUT` file (`name<<delimiter` … `delimiter` blocks, as @actions/core writes them). */
export function parseOutputs(path: string): Record<string, string> {
  const text = readFileSync(path, "utf8");
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    outputs[m[1]!] = value.join("\n");
  }
  return outputs;
}

/** What one run of the Action left behind, as the runner would see it. */
export interface ActionRun {
  /** Everything written to stdout (workflow commands included). */
  stdout: string;
  annotations: Annotation[];
  /** The job summary file's contents. */
  summary: string;
  /** Outputs written to `GITHUB_OUTPUT`. */
  outputs: Record<string, string>;
  /** Whether the step failed (`core.setFailed` sets the exit code). */
  failed: boolean;
}

/** How to run the Action once. */
export interface RunOptions {
  /** `GITHUB_EVENT_NAME`. */
  event: string;
  /** Fixture name under test/fixtures/github-events (without `.json`). */
  fixture: string;
  /** The checked-out repository (becomes `GITHUB_WORKSPACE` and the working directory). */
  workspace: string;
  /** Inputs by their action.yml names (`api-url`), set as `INPUT_<NAME>`. */
  inputs: Record<string, string>;
  /** `GITHUB_API_URL` (default https://api.github.com, intercepted by nock). */
  apiUrl?: string;
  /** `GITHUB_REF` (default refs/heads/main). */
  ref?: string;
}

/** The runner's variables for a step, with fresh summary and output files under `dir`. */
export function runnerEnv(options: RunOptions, dir: string): Record<string, string> {
  const env: Record<string, string> = {
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: eventPath(options.fixture),
    GITHUB_STEP_SUMMARY: `${dir}/step-summary.md`,
    GITHUB_OUTPUT: `${dir}/output.txt`,
    GITHUB_REPOSITORY: "acme/platform-infra",
    GITHUB_REPOSITORY_OWNER: "acme",
    GITHUB_REF: options.ref ?? "refs/heads/main",
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_RUN_ID: "9876543210",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: options.apiUrl ?? "https://api.github.com",
    RUNNER_TEMP: dir,
  };
  for (const [name, value] of Object.entries(options.inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  return env;
}
