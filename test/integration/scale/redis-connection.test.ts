/**
 * The Redis connection of `tokenform serve --redis`: a real redis-server started by the test, URL errors
 * and an unreachable server as one line without credentials, and a client that reconnects by itself.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/service/logger.js";
import { describeRedis, openRedis, parseRedisUrl } from "../../../src/service/redis/connection.js";
import { runCli } from "../../support/cli.js";
import { type RedisServer, startRedis } from "../../support/redis.js";

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), "tokenform-redis-cli-"));
});
afterAll(async () => {
  await redis?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("Redis URLs", () => {
  it("accepts redis:// and rediss:// with a numeric database", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379/2").port).toBe("6379");
    expect(parseRedisUrl("rediss://cache.internal:6380").protocol).toBe("rediss:");
  });

  it("refuses other schemes and databases that are not numbers, as usage errors", () => {
    expect(() => parseRedisUrl("http://cache:6379")).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl("redis://cache:6379/main")).toThrow(/must be a number/);
    const error = (() => {
      try {
        parseRedisUrl("not a url");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it("describes a URL without its credentials", () => {
    expect(describeRedis("redis://user:hunter2@cache.internal:6379/1")).toBe("redis://cache.internal:6379/1");
  });
});

describe("openRedis", () => {
  it("connects to a running server and answers commands", async () => {
    const client = await openRedis(redis.url(1), { logger: silentLogger() });
    try {
      await client.set("tokenform:test", "1");
      expect(await client.get("tokenform:test")).toBe("1");
    } finally {
      await client.quit();
    }
  });

  it("names an unreachable server in one line without the password", async () => {
    const url = "redis://app:s3cret-pass@127.0.0.1:1/0";
    const error = await openRedis(url, { logger: silentLogger() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0: /);
    expect((error as Error).message).not.toContain("s3cret-pass");
  });

  it("reconnects by itself after the server restarts", async () => {
    const client = await openRedis(redis.url(2), { logger: silentLogger() });
    try {
      await redis.stop();
      await expect(client.ping()).rejects.toThrow();
      await redis.start();
      let answer: string | undefined;
      for (let attempt = 0; attempt < 100 && answer === undefined; attempt++) {
        answer = await client.ping().catch(() => undefined);
        if (answer === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toBe("PONG");
    } finally {
      client.disconnect();
    }
  });
});

describe("tokenform serve --redis", () => {
  it("refuses a bad URL in one line and exit 2", () => {
    const run = runCli(["serve", "--port", "0", "--db", join(dir, "a.db"), "--redis", "http://x"], {
      cwd: dir,
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/redis:\/\/ or rediss:\/\//);
  });

  it("refuses an unreachable Redis from TOKENFORM_REDIS_URL in one line and exit 1, password masked", () => {
    const run = runCli(["serve", "--port", "0", "--db", join(dir, "b.db")], {
      cwd: dir,
      env: { TOKENFORM_REDIS_URL: "redis://app:s3cret-pass@127.0.0.1:1/0" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0/);
    expect(`${run.stdout}${run.stderr}`).not.toContain("s3cret-pass");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
