/**
 * Shared shape of benchmark suites (each `bench/*.bench.ts` default-exports a `BenchSuite`) and the helpers
 * suites share: percentiles, peak RSS, and servers in child processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** One printed row: what was measured, the figure, and the target it is held to (if any). */
export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  /** Human target such as `< 1000 ms`; absent for figures that are only reported. */
  target?: string;
  /** Whether the figure meets the target; absent when there is no target. */
  ok?: boolean;
}

export interface BenchSuite {
  name: string;
  run(): Promise<BenchRow[]>;
}

/** Peak resident set size of this process so far, in MiB (Linux `ru_maxrss` is in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** A server a suite runs in a child process (the suite's own file, started with a role). */
export interface BenchChild<Ready> {
  process: ChildProcess;
  /** What the child printed once ready (its first stdout line, JSON). */
  ready: Ready;
}

/** Prints the one JSON line a child role sends its parent once ready. */
export function reportReady(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * Starts `file` again as a child with `roleEnv=role`, so the load generator never shares an event loop
 * with the server it measures, and waits for its ready line.
 */
export async function startBenchChild<Ready>(
  file: string,
  roleEnv: string,
  role: string,
  env: Record<string, string> = {},
): Promise<BenchChild<Ready>> {
  const child = spawn(process.execPath, [...process.execArgv, file], {
    env: { ...process.env, [roleEnv]: role, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line) as Ready));
    child.once("exit", (code) => reject(new Error(`bench child ${role} exited with ${code}`)));
  });
  return { process: child, ready };
}

/** Stops a child (SIGTERM lets it clean up; SIGKILL when the parent owns what it made) and waits. */
export async function stopBenchChild(
  child: BenchChild<unknown>,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise((r) => child.process.once("exit", r));
  child.process.kill(signal);
  await exited;
}
