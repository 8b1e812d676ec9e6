/**
 * Revocation lag across instances (issue 14): three `startService` instances, each in its own child
 * process, on one throwaway PostgreSQL (and one throwaway Redis for the pub/sub run). Per trial a new key
 * is verified on B and C (so both cache it), deleted through A, and B and C are then asked without pause
 * until each refuses it. The lag of a trial is from the DELETE response to the refusal on the slower of
 * B and C ("every other instance"); 200 trials per channel: Redis pub/sub, then PostgreSQL
 * LISTEN/NOTIFY. Target: p99 < 250 ms, max ≤ 1 s.
 */
import { fileURLToPath } from "node:url";
import {
  type BenchChild,
  type BenchRow,
  type BenchSuite,
  percentile,
  reportReady,
  startBenchChild,
  stopBenchChild,
} from "./harness.js";

const ROLE_ENV = "TOKENFORM_REVOCATION_BENCH_ROLE";
const here = fileURLToPath(import.meta.url);
const TRIALS = 200;
/** A refusal not seen after this long counts as a failure of the trial (the cache TTL is 60 s). */
const GIVE_UP_MS = 5_000;

/** Child role: one service instance on the database (and Redis) in the environment. */
async function runInstance(): Promise<void> {
  const { startService } = await import("../src/service/index.js");
  const { PostgresStore } = await import("../src/service/store/postgres.js");
  const { openRedis } = await import("../src/service/redis/connection.js");
  const { silentLogger } = await import("../src/service/logger.js");
  const redisUrl = process.env.TOKENFORM_BENCH_REDIS;
  const redis = redisUrl ? await openRedis(redisUrl, { logger: silentLogger() }) : undefined;
  const service = await startService({
    store: new PostgresStore({ connectionString: process.env.TOKENFORM_BENCH_DB! }),
    bootstrapToken: process.env.TOKENFORM_BENCH_ADMIN!,
    redis,
    sweepIntervalMs: 0,
    rateLimits: { keyPerMinute: 1_000_000_000, accountPerHour: null },
  });
  process.once("SIGTERM", () => {
    void service
      .close()
      .then(() => redis?.quit())
      .then(() => process.exit(0));
  });
  reportReady({ url: service.url });
}

/** 200 trials against three running instances; the per-trial lags in ms (Infinity: never refused). */
async function trials(urls: string[], admin: string): Promise<number[]> {
  const { TokenformClient } = await import("../src/api/client.js");
  const [a, ...others] = urls.map((baseUrl) => new TokenformClient({ baseUrl, token: admin, retries: 0 }));
  const lags: number[] = [];
  try {
    for (let i = 0; i < TRIALS; i++) {
      const issued = await a!.createToken({ name: `lag-${i}` });
      const raw = issued.secret.reveal();
      for (const api of others) {
        const verdict = await api.verify({ token: raw });
        if (!verdict.valid) throw new Error(`trial ${i}: the new key was refused (${verdict.code})`);
      }
      await a!.deleteToken(issued.token.id);
      const deleted = performance.now();
      const seen = await Promise.all(
        others.map(async (api) => {
          while (performance.now() - deleted < GIVE_UP_MS) {
            if (!(await api.verify({ token: raw })).valid) return performance.now() - deleted;
          }
          return Number.POSITIVE_INFINITY;
        }),
      );
      lags.push(Math.max(...seen));
    }
  } finally {
    for (const api of [a!, ...others]) await api.close();
  }
  return lags;
}

/** Runs the trials over one channel and returns its rows. */
async function measure(label: string, db: string, redisUrl: string | undefined): Promise<BenchRow[]> {
  const { generateToken } = await import("../src/spec/token-format.js");
  const admin = generateToken("mcp_adm_");
  const env: Record<string, string> = { TOKENFORM_BENCH_DB: db, TOKENFORM_BENCH_ADMIN: admin };
  if (redisUrl) env.TOKENFORM_BENCH_REDIS = redisUrl;
  const children: BenchChild<{ url: string }>[] = [];
  try {
    for (let i = 0; i < 3; i++) children.push(await startBenchChild(here, ROLE_ENV, "instance", env));
    const lags = await trials(
      children.map((c) => c.ready.url),
      admin,
    );
    const p99 = percentile(lags, 99);
    const max = Math.max(...lags);
    return [
      { metric: `revocation lag p50, ${label} (3 instances)`, value: percentile(lags, 50), unit: "ms" },
      {
        metric: `revocation lag p99, ${label} (${TRIALS} trials)`,
        value: p99,
        unit: "ms",
        target: "< 250 ms",
        ok: p99 < 250,
      },
      {
        metric: `revocation lag max, ${label}`,
        value: max,
        unit: "ms",
        target: "≤ 1000 ms",
        ok: max <= 1000,
      },
    ];
  } finally {
    for (const child of children) await stopBenchChild(child);
  }
}

const suite: BenchSuite = {
  name: "revocation",
  async run() {
    const { startPostgres } = await import("../test/support/postgres.js");
    const { startRedis } = await import("../test/support/redis.js");
    const pg = await startPostgres();
    try {
      const redis = await startRedis();
      try {
        return [
          ...(await measure("Redis pub/sub", await pg.createDatabase(), redis.url(0))),
          ...(await measure("PostgreSQL LISTEN/NOTIFY", await pg.createDatabase(), undefined)),
        ];
      } finally {
        await redis.dispose();
      }
    } finally {
      await pg.stop();
    }
  },
};

export default suite;

const role = process.env[ROLE_ENV];
if (role === "instance") await runInstance();
