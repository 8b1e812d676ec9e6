/**
 * The reconcile engine at scale, against the real token service on loopback (SQLite in a temp dir):
 * - plan of 1,000 specs against a service holding those 1,000 tokens (target < 1 s);
 * - apply of 1,000 creations with file sinks (target < 10 s): create pending → write file → confirm each.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { TokenformClient } from "../src/api/client.js";
import { applyPlan } from "../src/apply/index.js";
import { planTokenSet } from "../src/plan/fetch.js";
import { startService } from "../src/service/index.js";
import { createSinks } from "../src/sinks/index.js";
import type { ResolvedToken, ResolvedTokenSet } from "../src/spec/resolved.js";
import { type BenchRow, type BenchSuite, peakRssMiB } from "./harness.js";

const TOKENS = 1000;

function tokenSet(outDir: string): ResolvedTokenSet {
  const tokens: ResolvedToken[] = Array.from({ length: TOKENS }, (_, i) => ({
    name: `bench-token-${String(i).padStart(4, "0")}`,
    description: `benchmark token ${i}`,
    type: "mcp",
    scopes: ["contexts:read", "tools:call"],
    readOnly: true,
    ipAllowlist: i % 3 === 0 ? ["203.0.113.0/24"] : [],
    tools: null,
    rateLimit: { perMinute: 100 },
    labels: { team: `team-${i % 10}`, environment: "ci" },
    enabled: true,
    expiry: { kind: "in", seconds: 180 * 86_400 },
    rotation: { everySeconds: 90 * 86_400, overlapSeconds: 48 * 3600 },
    deliver: [{ kind: "file", path: join(outDir, `t${i}.env`), format: "env", key: "MCP_API_KEY" }],
    onRemove: "disable-then-delete",
    removalGraceSeconds: 7 * 86_400,
  }));
  return {
    owner: "bench/reconcile",
    tokens,
    defaults: { onRemove: "disable-then-delete", removalGraceSeconds: 604_800 },
  };
}

const suite: BenchSuite = {
  name: "reconcile",
  async run(): Promise<BenchRow[]> {
    const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-"));
    const service = await startService({ dbPath: join(dir, "tokenform.db"), port: 0 });
    const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    try {
      const set = tokenSet(join(dir, "out"));
      const sinks = createSinks({ env: {} });

      let start = performance.now();
      const firstPlan = await planTokenSet(api, set);
      const planEmpty = performance.now() - start;

      start = performance.now();
      const result = await applyPlan(firstPlan, { api, sinks });
      const applyMs = performance.now() - start;
      if (!result.ok) throw new Error(`apply failed: ${result.results.find((r) => !r.ok)?.message}`);

      const plans: number[] = [];
      let changes = -1;
      for (let i = 0; i < 5; i++) {
        start = performance.now();
        const plan = await planTokenSet(api, set);
        plans.push(performance.now() - start);
        changes = plan.changes.length;
      }
      if (changes !== 0) throw new Error(`expected no changes after apply, got ${changes}`);
      const planMedian = [...plans].sort((a, b) => a - b)[2]!;
      return [
        { metric: "plan 1,000 specs vs empty service", value: planEmpty, unit: "ms" },
        {
          metric: "apply 1,000 creations (file sinks)",
          value: applyMs,
          unit: "ms",
          target: "< 10000 ms",
          ok: applyMs < 10_000,
        },
        { metric: "apply throughput", value: (TOKENS / applyMs) * 1000, unit: "tokens/s" },
        {
          metric: "plan 1,000 specs vs 1,000 tokens (median of 5)",
          value: planMedian,
          unit: "ms",
          target: "< 1000 ms",
          ok: planMedian < 1000,
        },
        { metric: "peak RSS (service + engine in one process)", value: peakRssMiB(), unit: "MiB" },
      ];
    } finally {
      await api.close();
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
