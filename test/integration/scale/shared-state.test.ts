/**
 * Three `startService` instances on one PostgreSQL database and one Redis, driven over HTTP: a key's rate
 * limit holds across the instances (not once per instance), a signed request is admitted once whichever
 * instance sees it, and a usage read on any instance counts every instance's verifications.
 */
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { signRequest } from "../../../src/service/index.js";
import { silentLogger } from "../../../src/service/logger.js";
import { openRedis } from "../../../src/service/redis/connection.js";
import { type RunningService, type ServiceOptions, startService } from "../../../src/service/service.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { usePostgres } from "../../support/postgres.js";
import { type RedisServer, startRedis } from "../../support/redis.js";
import { rawRequest } from "../service/harness.js";

const cluster = usePostgres();
let redisServer: RedisServer;
let database = 0;
beforeAll(async () => {
  redisServer = await startRedis();
});
afterAll(async () => {
  await redisServer?.dispose();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `count` instances on one fresh PostgreSQL database, sharing one Redis database (its own per test). */
async function instances(
  count: number,
  options: Partial<ServiceOptions> = {},
): Promise<{ nodes: RunningService[]; redis: Redis }> {
  const url = await cluster().createDatabase();
  const redis = await openRedis(redisServer.url(++database % 16), { logger: silentLogger() });
  await redis.flushdb();
  cleanups.push(async () => redis.disconnect());
  const started: RunningService[] = [];
  for (let i = 0; i < count; i++) {
    const service = await startService({
      store: new PostgresStore({ connectionString: url }),
      redis,
      port: 0,
      sweepIntervalMs: 0,
      // Nothing is written by the timer: what a read shows comes from the instances, not from luck.
      usageFlushMs: 3_600_000,
      rateLimits: { keyPerMinute: 1000, accountPerHour: null },
      ...options,
    });
    cleanups.push(() => service.close());
    started.push(service);
  }
  return { nodes: started, redis };
}

function admin(service: RunningService): TokenformClient {
  const client = new TokenformClient({ baseUrl: service.url, token: service.adminToken, retries: 0 });
  cleanups.push(() => client.close());
  return client;
}

async function verifyCode(service: RunningService, body: unknown): Promise<string> {
  const res = await rawRequest(service.url, "POST", "/v1/verify", { body });
  if (res.status !== 200) throw new Error(`verify answered ${res.status}: ${res.text}`);
  return res.body.code as string;
}

describe("three instances on one PostgreSQL and one Redis", () => {
  it("admit a 5/min key exactly 5 times across instances, even 50 requests at once", async () => {
    const { nodes, redis } = await instances(3);
    const issued = await admin(nodes[0]!).createToken({ name: "limited", rateLimit: { perMinute: 5 } });
    const token = issued.secret.reveal();
    // Ten in turn over two instances: five valid, then refusals.
    const inTurn: string[] = [];
    for (let i = 0; i < 10; i++) inTurn.push(await verifyCode(nodes[i % 2]!, { token }));
    expect(inTurn.filter((c) => c === "VALID")).toHaveLength(5);
    expect(inTurn.slice(5)).toEqual(Array(5).fill("RATE_LIMITED"));

    const second = await admin(nodes[1]!).createToken({ name: "burst", rateLimit: { perMinute: 5 } });
    const fresh = second.secret;
    const burst = await Promise.all(
      Array.from({ length: 50 }, (_, i) => verifyCode(nodes[i % 3]!, { token: fresh.reveal() })),
    );
    expect(burst.filter((c) => c === "VALID")).toHaveLength(5);
    expect(burst.filter((c) => c === "RATE_LIMITED")).toHaveLength(45);
    // The buckets are in Redis, namespaced, and expire by themselves (one minute after the last admission).
    const buckets = await redis.keys("tokenform:rl:*");
    expect(buckets.sort()).toEqual(
      [`tokenform:rl:k:${issued.token.id}:m`, `tokenform:rl:k:${second.token.id}:m`].sort(),
    );
    for (const key of buckets) {
      expect(await redis.zcard(key)).toBe(5);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it("refuse a signed request replayed to another instance", async () => {
    const { nodes, redis } = await instances(3);
    const raw = (
      await admin(nodes[0]!).createToken({
        name: "signed",
        labels: { "tokenform.dev/require-signature": "true" },
      })
    ).secret.reveal();
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = {
      timestamp,
      signature: signRequest(raw, { method: "POST", path: "/mcp", timestamp, body }),
      method: "POST",
      path: "/mcp",
      body: Buffer.from(body).toString("base64"),
    };
    expect(await verifyCode(nodes[0]!, { token: raw, signature })).toBe("VALID");
    expect(await verifyCode(nodes[1]!, { token: raw, signature })).toBe("REPLAYED");
    expect(await verifyCode(nodes[2]!, { token: raw, signature })).toBe("REPLAYED");
    // Sent to all three at once: one admission.
    const again = String(Number(timestamp) - 1);
    const other = {
      ...signature,
      timestamp: again,
      signature: signRequest(raw, { method: "POST", path: "/mcp", timestamp: again, body }),
    };
    const codes = await Promise.all(nodes.map((n) => verifyCode(n, { token: raw, signature: other })));
    expect(codes.sort()).toEqual(["REPLAYED", "REPLAYED", "VALID"]);
    // The window is Redis's (the store's stays the fallback): two signatures, each kept for its window.
    const remembered = await redis.keys("tokenform:replay:*");
    expect(remembered).toHaveLength(2);
    for (const key of remembered) expect(await redis.pttl(key)).toBeGreaterThan(300_000);
  });

  it("count every instance's verifications in a usage read on any of them", async () => {
    const { nodes } = await instances(3);
    const issued = await admin(nodes[0]!).createToken({ name: "counted" });
    const token = issued.secret.reveal();
    const spread = [4, 3, 2];
    for (const [i, n] of spread.entries()) {
      for (let k = 0; k < n; k++) expect(await verifyCode(nodes[i]!, { token })).toBe("VALID");
    }
    for (const node of nodes) {
      const usage = await admin(node).usage(issued.token.id);
      expect(usage.requestCount).toBe(9);
      expect(usage.hourly.reduce((sum, h) => sum + h.requests, 0)).toBe(9);
    }
  });
});
