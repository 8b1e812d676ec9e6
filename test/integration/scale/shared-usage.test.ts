/**
 * `SharedUsage` against a real redis-server: a usage read makes every live instance write its counts
 * first, an instance whose heartbeat lapsed (crashed) is forgotten, and one that stays registered but never
 * answers (hung) holds a read up for `waitMs` at most, with a warning.
 */
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PendingUsage } from "../../../src/service/lifecycle.js";
import { silentLogger } from "../../../src/service/logger.js";
import { openRedis } from "../../../src/service/redis/connection.js";
import { ACK_PREFIX, INSTANCES_KEY, SharedUsage } from "../../../src/service/redis/usage.js";
import type { UsageSink } from "../../../src/service/usage-sink.js";
import { type RedisServer, startRedis } from "../../support/redis.js";

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = await openRedis(server.url(0), { logger: silentLogger() });
});
afterAll(async () => {
  redis?.disconnect();
  await server?.dispose();
});

/** A local sink that records its flushes. */
function recordingSink(name: string, flushed: string[]): UsageSink {
  return {
    success() {},
    failure() {},
    peek: (): PendingUsage | undefined => undefined,
    start() {},
    stop() {},
    flush: async () => {
      flushed.push(name);
    },
  };
}

describe("SharedUsage", () => {
  it("makes every live instance flush before a read, forgets crashed ones, and waits for hung ones only so long", async () => {
    await redis.flushdb();
    const flushed: string[] = [];
    const warnings: string[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({
        write(chunk, _encoding, done) {
          warnings.push(String(chunk));
          done();
        },
      }),
    );
    const a = new SharedUsage({ local: recordingSink("a", flushed), redis, logger, waitMs: 300 });
    const b = new SharedUsage({ local: recordingSink("b", flushed), redis, logger: silentLogger() });
    a.start();
    b.start();
    try {
      // Both have joined once their first poll has run.
      for (let i = 0; i < 100 && (await redis.scard(INSTANCES_KEY)) < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await redis.scard(INSTANCES_KEY)).toBe(2);
      // A crashed instance: still in the set, its heartbeat gone.
      await redis.sadd(INSTANCES_KEY, "crashed");
      await a.flush();
      expect(flushed.sort()).toEqual(["a", "b"]);
      expect(await redis.sismember(INSTANCES_KEY, "crashed")).toBe(0);
      expect(warnings).toEqual([]);

      // A hung instance: registered with a live heartbeat that never acknowledges.
      await redis.sadd(INSTANCES_KEY, "hung");
      await redis.set(`${ACK_PREFIX}hung`, "0", "PX", 60_000);
      flushed.length = 0;
      await a.flush();
      expect(flushed.sort()).toEqual(["a", "b"]);
      expect(warnings.join("")).toMatch(/"instances":1.*did not write their counts in time/);
    } finally {
      a.stop();
      b.stop();
    }
    // Stopping leaves the set (the hung one is the test's own).
    await redis.srem(INSTANCES_KEY, "hung");
    for (let i = 0; i < 100 && (await redis.scard(INSTANCES_KEY)) > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await redis.smembers(INSTANCES_KEY)).toEqual([]);
  });
});
