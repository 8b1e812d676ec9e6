/**
 * Scale-out benchmark (loopback only, bounded): `POST /v1/verify` throughput of one instance with the
 * in-memory rate limiter against one with the Redis limiter (`--redis`: one Lua round trip per verify),
 * in the same run, loaded in turn round after round with autocannon (50 connections) so a change in the
 * machine's load affects both alike. Target: the Redis limiter keeps at least 50% of the in-memory
 * throughput. Each server runs in its own child process; redis-server is started for the run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import {
  type BenchChild,
  type BenchRow,
  type BenchSuite,
  reportReady,
  startBenchChild,
  stopBenchChild,
} from "./harness.js";

const ROLE_ENV = "TOKENFORM_SCALE_BENCH_ROLE";
const here = fileURLToPath(import.meta.url);
const ROUNDS = 3;
const ROUND_SECONDS = 2;
const CONNECTIONS = 50;
/** A realistic per-key limit that the load never reaches within a window (so verifies are admitted). */
const LIMITS = { keyPerMinute: 1_000_000, accountPerHour: null };

/** Child roles: `memory` (in-memory limiter) and `redis` (Redis limiter on TOKENFORM_BENCH_REDIS). */
async function runRole(role: string): Promise<void> {
  const { startService } = await import("../src/service/index.js");
  const { openRedis } = await import("../src/service/redis/connection.js");
  const { silentLogger } = await import("../src/service/logger.js");
  const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-"));
  const redis =
    role === "redis"
      ? await openRedis(process.env.TOKENFORM_BENCH_REDIS!, { logger: silentLogger() })
      : undefined;
  const service = await startService({ dbPath: join(dir, "db.sqlite"), rateLimits: LIMITS, redis });
  const { TokenformClient } = await import("../src/api/client.js");
  const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  const issued = await api.createToken({ name: "bench", scopes: ["tools:call"] });
  await api.close();
  process.once("SIGTERM", () => {
    void service
      .close()
      .then(() => redis?.quit())
      .then(() => rm(dir, { recursive: true, force: true }))
      .then(() => process.exit(0));
  });
  reportReady({ url: service.url, token: issued.secret.reveal() });
}

type Ready = { url: string; token: string };

async function verifyThroughput(): Promise<BenchRow[]> {
  const { startRedis } = await import("../test/support/redis.js");
  const redis = await startRedis();
  const children: Array<BenchChild<Ready>> = [];
  const results = new Map<string, autocannon.Result[]>();
  try {
    const memory = await startBenchChild<Ready>(here, ROLE_ENV, "memory");
    children.push(memory);
    const shared = await startBenchChild<Ready>(here, ROLE_ENV, "redis", {
      TOKENFORM_BENCH_REDIS: redis.url(0),
    });
    children.push(shared);
    const targets: Array<[string, autocannon.Options]> = [memory, shared].map((child, i) => [
      i === 0 ? "in-memory limiter" : "Redis limiter",
      {
        url: `${child.ready.url}/v1/verify`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: child.ready.token, scopes: ["tools:call"] }),
        connections: CONNECTIONS,
      },
    ]);
    for (const [, options] of targets) await autocannon({ ...options, duration: 1 });
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, options] of targets) {
        const result = await autocannon({ ...options, duration: ROUND_SECONDS });
        results.set(name, [...(results.get(name) ?? []), result]);
      }
    }
  } finally {
    await Promise.all(children.map((c) => stopBenchChild(c)));
    await redis.dispose();
  }
  const measure = (name: string) => {
    const runs = results.get(name)!;
    return {
      rps: runs.reduce((n, r) => n + r.requests.average, 0) / runs.length,
      p99: Math.max(...runs.map((r) => r.latency.p99)),
      bad: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
    };
  };
  const memory = measure("in-memory limiter");
  const shared = measure("Redis limiter");
  const share = shared.rps / memory.rps;
  const flag = (bad: number) => (bad > 0 ? ` (${bad} non-2xx/errors!)` : "");
  return [
    { metric: `POST /v1/verify, in-memory limiter${flag(memory.bad)}`, value: memory.rps, unit: "req/s" },
    { metric: "POST /v1/verify, in-memory limiter p99", value: memory.p99, unit: "ms" },
    { metric: `POST /v1/verify, Redis limiter${flag(shared.bad)}`, value: shared.rps, unit: "req/s" },
    { metric: "POST /v1/verify, Redis limiter p99", value: shared.p99, unit: "ms" },
    {
      metric: "Redis limiter: share of in-memory throughput",
      value: share * 100,
      unit: "%",
      target: "≥ 50%",
      ok: share >= 0.5 && memory.bad === 0 && shared.bad === 0,
    },
  ];
}

const suite: BenchSuite = {
  name: "scale",
  run: verifyThroughput,
};
export default suite;

const role = process.env[ROLE_ENV];
if (role) await runRole(role);
