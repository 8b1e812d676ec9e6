/**
 * The Redis limiter against a real redis-server: the same decisions as the in-memory sliding window log for
 * the same sequence of checks and releases (so it is exact to the millisecond at window edges), several
 * rules in one atomic check, and a `--redis-failure` value that is not a mode refused in one line.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/service/logger.js";
import { type RateDecision, RateLimiter, type RateRule } from "../../../src/service/ratelimit.js";
import { openRedis } from "../../../src/service/redis/connection.js";
import { parseRedisFailure } from "../../../src/service/redis/failure.js";
import { RedisLimiter } from "../../../src/service/redis/limiter.js";
import { runCli } from "../../support/cli.js";
import { type RedisServer, startRedis } from "../../support/redis.js";

let server: RedisServer;
let dir: string;
beforeAll(async () => {
  server = await startRedis();
  dir = await mkdtemp(join(tmpdir(), "tokenform-redis-failure-"));
});
afterAll(async () => {
  await server?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function limiter(db: number): Promise<{ limiter: RedisLimiter; close: () => void }> {
  const redis = await openRedis(server.url(db), { logger: silentLogger() });
  await redis.flushdb();
  return { limiter: new RedisLimiter(redis), close: () => redis.disconnect() };
}

const T0 = Date.UTC(2031, 0, 1);

describe("RedisLimiter", () => {
  it("admits exactly up to the limit in any window and frees a slot the millisecond the oldest leaves", async () => {
    const { limiter: redis, close } = await limiter(1);
    try {
      const rules: RateRule[] = [{ key: "k:edge:m", limit: 3, periodMs: 60_000 }];
      expect((await redis.check(rules, T0)).allowed).toBe(true);
      expect((await redis.check(rules, T0 + 10)).allowed).toBe(true);
      expect(await redis.check(rules, T0 + 20)).toEqual({ allowed: true, limit: 3, remaining: 0, reset: 60 });
      expect(await redis.check(rules, T0 + 59_999)).toEqual({
        allowed: false,
        limit: 3,
        remaining: 0,
        reset: 1,
        retryAfter: 1,
      });
      // The first admission leaves the window at T0 + 60 000 exactly.
      expect((await redis.check(rules, T0 + 60_000)).allowed).toBe(true);
      expect((await redis.check(rules, T0 + 60_001)).allowed).toBe(false);
      expect((await redis.check(rules, T0 + 60_010)).allowed).toBe(true);
    } finally {
      close();
    }
  });

  it("decides as the in-memory limiter does for the same checks and releases", async () => {
    const { limiter: redis, close } = await limiter(2);
    try {
      const memory = new RateLimiter();
      const rules: RateRule[] = [
        { key: "k:same:m", limit: 4, periodMs: 1_000 },
        { key: "k:same:h", limit: 9, periodMs: 5_000 },
        { key: "a:acct:h", limit: 12, periodMs: 7_000 },
      ];
      // A fixed pseudo-random walk (no Math.random: a failure must be reproducible).
      let seed = 42;
      const next = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed;
      };
      let now = T0;
      const seen: Array<[RateDecision, RateDecision]> = [];
      for (let i = 0; i < 300; i++) {
        now += next() % 400;
        const used = rules.slice(0, 1 + (next() % 3));
        const fromMemory = memory.check(used, now);
        const fromRedis = await redis.check(used, now);
        seen.push([fromRedis, fromMemory]);
        if (fromMemory.allowed && next() % 5 === 0) {
          memory.release(used, now);
          await redis.release(used, now);
        }
      }
      for (const [fromRedis, fromMemory] of seen) expect(fromRedis).toEqual(fromMemory);
      expect(seen.filter(([d]) => d.allowed).length).toBeGreaterThan(50);
      expect(seen.filter(([d]) => !d.allowed).length).toBeGreaterThan(50);
    } finally {
      close();
    }
  });

  it("counts a refused request against no rule", async () => {
    const { limiter: redis, close } = await limiter(3);
    try {
      const minute = { key: "k:r:m", limit: 10, periodMs: 60_000 };
      const account = { key: "a:r:h", limit: 2, periodMs: 3_600_000 };
      expect((await redis.check([minute, account], T0)).allowed).toBe(true);
      expect((await redis.check([minute, account], T0 + 1)).allowed).toBe(true);
      const refused = await redis.check([minute, account], T0 + 2);
      expect(refused).toMatchObject({ allowed: false, limit: 2, retryAfter: 3600 });
      // The per-minute bucket still holds two admissions: eight left after this one.
      expect(await redis.check([minute], T0 + 3)).toMatchObject({ allowed: true, remaining: 7 });
    } finally {
      close();
    }
  });
});

describe("--redis-failure", () => {
  it("accepts closed and local", () => {
    expect(parseRedisFailure("closed")).toBe("closed");
    expect(parseRedisFailure("local")).toBe("local");
  });

  it("refuses anything else in one line with exit 2, from the flag or TOKENFORM_REDIS_FAILURE", () => {
    const flag = runCli(["serve", "--port", "0", "--redis", server.url(4), "--redis-failure", "open"], {
      cwd: dir,
    });
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim().split("\n")).toHaveLength(1);
    expect(flag.stderr).toMatch(/--redis-failure must be "closed" .* or "local" .*, not "open"/);
    const env = runCli(["serve", "--port", "0", "--redis", server.url(4)], {
      cwd: dir,
      env: { TOKENFORM_REDIS_FAILURE: "fallback" },
    });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/TOKENFORM_REDIS_FAILURE must be/);
  });
});
