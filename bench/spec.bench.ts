/**
 * Spec loading at scale: 10,000 tokens across 100 files in a temp directory, timed from paths to a
 * resolved set (read + parse + validate + resolve), median of several runs, and peak RSS.
 * Targets: < 1000 ms and < 200 MiB.
 *
 * Each run starts from a collected heap (a full GC between runs, outside the timing), so the peak RSS
 * is that of loading one set, not of five runs' garbage waiting for V8's next major collection.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadTokenSet } from "../src/spec/index.js";
import { type BenchRow, type BenchSuite, peakRssMiB, percentile } from "./harness.js";

const FILES = 100;
const TOKENS_PER_FILE = 100;
const RUNS = 5;

/** A full garbage collection (V8's `gc`, exposed at run time for this benchmark process only). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/**
 * One realistic file: defaults, then tokens with scopes, labels, limits, an allowlist and deliveries.
 * Every CIDR is distinct, and each run reads its own copy of the set with other CIDRs, so no run is
 * helped by what an earlier run cached (the CIDR checker keeps the ranges it has seen).
 */
function specFile(run: number, file: number): string {
  let text = `# yaml-language-server: $schema=../schema/tokenset.schema.json
apiVersion: tokenform.dev/v1
kind: TokenSet
metadata:
  owner: acme/platform-infra
defaults:
  expiresIn: 180d
  rotation: { every: 90d, overlap: 48h }
  labels: { managed-by: platform-team }
tokens:
`;
  for (let i = 0; i < TOKENS_PER_FILE; i++) {
    const name = `svc-${file}-${i}-ci`;
    const agent = i % 10 === 0;
    text += `  - name: ${name}
    description: CI pipeline key for service ${file}-${i}
    type: ${agent ? "agent" : "mcp"}
    scopes: [contexts:read, tools:call${agent ? ", contexts:write" : ""}]
    ipAllowlist: [${10 + run}.${file}.${i}.0/24, 2001:db${run}:${file.toString(16)}:${i.toString(16)}::/64]
    rateLimit: { perMinute: 100, perHour: 1000 }
    labels: { team: team-${i % 7}, environment: ci }
    deliver:
      - github: { repository: acme/service-${file}-${i}, secret: MCP_API_KEY, environment: production }
      - gitlab:
          project: acme/service-${file}-${i}
          variable: MCP_API_KEY
          protected: true
`;
  }
  return text;
}

const suite: BenchSuite = {
  name: "spec",
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(join(tmpdir(), "tokenform-spec-bench-"));
    try {
      let bytes = 0;
      for (let run = 0; run < RUNS; run++) {
        mkdirSync(join(dir, `run-${run}`));
        for (let f = 0; f < FILES; f++) {
          const text = specFile(run, f);
          if (run === 0) bytes += text.length;
          writeFileSync(join(dir, `run-${run}`, `tokens-${String(f).padStart(3, "0")}.yaml`), text);
        }
      }
      const times: number[] = [];
      const cpu: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        collectGarbage();
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        const result = await loadTokenSet(join(dir, `run-${run}`));
        times.push(performance.now() - started);
        const used = process.cpuUsage(cpuStarted);
        cpu.push((used.user + used.system) / 1000);
        if (!result.set || result.set.tokens.length !== FILES * TOKENS_PER_FILE) {
          throw new Error(`bench spec did not resolve: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
        }
      }
      const median = percentile(times, 50);
      const rss = peakRssMiB();
      return [
        { metric: "spec size", value: bytes / 1024 / 1024, unit: "MiB" },
        {
          metric: `load+validate+resolve ${FILES * TOKENS_PER_FILE} tokens / ${FILES} files (median of ${RUNS})`,
          value: median,
          unit: "ms",
          target: "< 1000 ms",
          ok: median < 1000,
        },
        { metric: "fastest run", value: Math.min(...times), unit: "ms" },
        // CPU time of the process (all its threads) during a run: the cost on an idle machine.
        { metric: "CPU time per run (median)", value: percentile(cpu, 50), unit: "ms" },
        { metric: "peak RSS", value: rss, unit: "MiB", target: "< 200 MiB", ok: rss < 200 },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
