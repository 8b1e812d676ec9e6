/**
 * Three `startService` instances on one PostgreSQL database and one Redis, driven over HTTP: a key's rate
 * limit holds across the instances (not once per instance), a signed request is admitted once whichever
 * instance sees it, and a usage read on any instance counts every instance's verifications.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../../src/service/index.js";
import { usePostgres } from "../../support/postgres.js";
import { type RedisServer, startRedis } from "../../support/redis.js";
import { type Instances, startInstances, verifyCode } from "./instances.js";

const cluster = usePostgres();
let redisServer: RedisServer;
let database = 0;
beforeAll(async () => {
  redisServer = await startRedis();
});
afterAll(async () => {
  await redisServer?.dispose();
});

const running: Instances[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/** Three instances on one fresh PostgreSQL database, sharing one Redis database (its own per test). */
async function instances(): Promise<Instances> {
  const started = await startInstances(3, await cluster().createDatabase(), redisServer.url(++database % 16));
  running.push(started);
  return started;
}

describe("three instances on one PostgreSQL and one Redis", () => {
  it("admit a 5/min key exactly 5 times across instances, even 50 requests at once", async () => {
    const { nodes, redis, admin } = await instances();
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
    const { nodes, redis, admin } = await instances();
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
    const { nodes, admin } = await instances();
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
