/**
 * `npm run bench [-- name…]`: runs every `bench/*.bench.ts` suite (or those whose file name contains one
 * of the arguments), each in its own child process so peak-memory figures are its own, and prints one
 * table. Suites talk to loopback only and stop by themselves.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchRow, BenchSuite } from "./harness.js";

const here = fileURLToPath(new URL(".", import.meta.url));

async function runOne(file: string): Promise<void> {
  const mod = (await import(pathToFileURL(`${here}${file}`).href)) as { default: BenchSuite };
  const rows = await mod.default.run();
  process.stdout.write(`${JSON.stringify({ suite: mod.default.name, rows })}\n`);
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

async function main(): Promise<void> {
  const child = process.env.TOKENFORM_BENCH_CHILD;
  if (child) return runOne(child);
  const filters = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  const table: Array<{ suite: string; row: BenchRow }> = [];
  let failed = false;
  for (const file of files) {
    process.stderr.write(`running ${file}…\n`);
    const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, TOKENFORM_BENCH_CHILD: file },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = result.stdout.trim().split("\n").pop() ?? "";
    if (result.status !== 0 || !line.startsWith("{")) {
      failed = true;
      table.push({ suite: file, row: { metric: "suite failed", value: Number.NaN, unit: "", ok: false } });
      continue;
    }
    const parsed = JSON.parse(line) as { suite: string; rows: BenchRow[] };
    for (const row of parsed.rows) table.push({ suite: parsed.suite, row });
  }
  const header = ["suite", "metric", "value", "unit", "target", "ok"];
  const body = table.map(({ suite, row }) => [
    suite,
    row.metric,
    format(row.value),
    row.unit,
    row.target ?? "",
    row.ok === undefined ? "" : row.ok ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of body) console.log(line(r));
  if (failed) process.exitCode = 1;
}

await main();
