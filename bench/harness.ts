/** Shared shape of benchmark suites: each `bench/*.bench.ts` default-exports a `BenchSuite`. */

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
