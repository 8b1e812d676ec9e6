/**
 * Redis going away under instances that share it: redis-server is killed (SIGKILL) and restarted on the
 * same port. In `closed` mode (the default) verifies that need the shared limits or the replay window are
 * answered 503 with `Retry-After` and a JSON error body; in `local` mode each instance enforces its own
 * limits (and the store's replay window) with one warning. Never a 500; the instances reconnect by
 * themselves; no verification's usage is lost.
 */
import { PassThrough, Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import type { RedisFailureMode } from "../../../src/service/redis/failure.js";
import { serve } from "../../../src/service/serve.js";
import type { RunningService } from "../../../src/service/service.js";
import { signRequest } from "../../../src/service/signing.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { useCleanups } from "../../support/cleanups.js";
import { usePostgres } from "../../support/postgres.js";
import { type RedisServer, startRedis } from "../../support/redis.js";
import { type Instances, startInstances, verifyAt, verifyCode } from "./instances.js";

const cluster = usePostgres();

const cleanup = useCleanups();

/** A logger per instance whose lines the test can read. */
function memoryLoggers(): { loggers: (i: number) => pino.Logger; lines: (i: number) => string[] } {
  const chunks = new Map<number, string[]>();
  return {
    loggers: (i) => {
      const mine: string[] = [];
      chunks.set(i, mine);
      return pino(
        { level: "info" },
        new Writable({
          write(chunk, _encoding, done) {
            mine.push(String(chunk));
            done();
          },
        }),
      );
    },
    lines: (i) => (chunks.get(i) ?? []).join("").split("\n").filter(Boolean),
  };
}

/** A Redis of its own (this file kills it) and three instances on it and a fresh database. */
async function setup(
  mode: RedisFailureMode,
): Promise<{ redis: RedisServer; cluster: Instances; lines: (i: number) => string[] }> {
  const redis = await startRedis();
  cleanup(() => redis.dispose());
  const { loggers, lines } = memoryLoggers();
  const started = await startInstances(3, await cluster().createDatabase(), redis.url(0), {
    redisFailure: mode,
    loggers,
  });
  cleanup(() => started.close());
  return { redis, cluster: started, lines };
}

/** Resolves once `probe` returns true, trying every 100 ms for at most 20 s (reconnection, not timing). */
async function eventually(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within 20 s`);
}

/** A signed-verify body for `raw` (a fresh signature for each distinct `offset`). */
function signedBody(raw: string, offset: number): unknown {
  const body = `{"jsonrpc":"2.0","id":${offset},"method":"tools/list"}`;
  const timestamp = String(Math.floor(Date.now() / 1000) - offset);
  return {
    token: raw,
    signature: {
      timestamp,
      signature: signRequest(raw, { method: "POST", path: "/mcp", timestamp, body }),
      method: "POST",
      path: "/mcp",
      body: Buffer.from(body).toString("base64"),
    },
  };
}

const SIGNED = { "tokenform.dev/require-signature": "true" };

describe("Redis down, closed mode (the default)", () => {
  it("answers verifies that need Redis 503 with Retry-After and a JSON body, and recovers by itself", async () => {
    const { redis, cluster: c, lines } = await setup("closed");
    const [a, b] = c.nodes;
    const limited = await c.admin(a!).createToken({ name: "limited", rateLimit: { perMinute: 5 } });
    const signed = (await c.admin(a!).createToken({ name: "signed", labels: SIGNED })).secret.reveal();
    const token = limited.secret.reveal();
    expect(await verifyCode(a!, { token })).toBe("VALID");

    await redis.stop();
    for (const node of [a!, b!, a!]) {
      const res = await verifyAt(node, { token });
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.body.error).toMatchObject({ code: "unavailable", type: "api_error" });
      expect(res.body.error.message).toMatch(/Redis is unreachable/);
    }
    expect((await verifyAt(b!, signedBody(signed, 1))).status).toBe(503);
    // The management API does not need the limiter: it keeps working.
    expect((await c.admin(b!).getToken(limited.token.id)).name).toBe("limited");
    // One warning per instance for the outage, not one per request.
    expect(lines(0).filter((l) => l.includes("Redis unreachable: rate limits answer 503"))).toHaveLength(1);

    await redis.start();
    const probe = (await c.admin(a!).createToken({ name: "probe" })).secret.reveal();
    for (const [i, node] of c.nodes.entries()) {
      await eventually(`instance ${i} reconnecting`, async () => {
        return (await verifyAt(node, { token: probe })).status === 200;
      });
    }
    expect(lines(0).some((l) => l.includes("Redis reachable again: rate limits are shared again"))).toBe(
      true,
    );
    // The restarted Redis lost its (unpersisted) windows; from here the key is limited across instances again.
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) codes.push(await verifyCode(c.nodes[i % 3]!, { token }));
    expect(codes.filter((code) => code === "VALID")).toHaveLength(5);
    expect(await verifyCode(a!, signedBody(signed, 1))).toBe("VALID");
    expect(await verifyCode(b!, signedBody(signed, 1))).toBe("REPLAYED");
  });
});

describe("Redis down, local mode", () => {
  it("falls back to each instance's limits and the store's replay window, with one warning", async () => {
    const { redis, cluster: c, lines } = await setup("local");
    const limited = await c.admin(c.nodes[0]!).createToken({ name: "limited", rateLimit: { perMinute: 5 } });
    const signed = (
      await c.admin(c.nodes[0]!).createToken({ name: "signed", labels: SIGNED })
    ).secret.reveal();
    const token = limited.secret.reveal();

    await redis.stop();
    for (const node of c.nodes) {
      const codes: string[] = [];
      for (let i = 0; i < 7; i++) codes.push(await verifyCode(node, { token }));
      expect(codes).toEqual([...Array(5).fill("VALID"), "RATE_LIMITED", "RATE_LIMITED"]);
    }
    // Replays are still refused across instances: the store's window is shared by the database.
    expect(await verifyCode(c.nodes[0]!, signedBody(signed, 2))).toBe("VALID");
    expect(await verifyCode(c.nodes[1]!, signedBody(signed, 2))).toBe("REPLAYED");
    for (const i of [0, 1, 2]) {
      expect(lines(i).filter((l) => l.includes("Redis unreachable: rate limits fall back"))).toHaveLength(1);
    }

    await redis.start();
    const fresh = (await c.admin(c.nodes[0]!).createToken({ name: "after", rateLimit: { perMinute: 5 } }))
      .secret;
    await eventually("every instance back on Redis", async () => {
      for (let i = 0; i < 3; i++) {
        if (!lines(i).some((l) => l.includes("Redis reachable again: rate limits"))) {
          await verifyAt(c.nodes[i]!, { token });
          return false;
        }
      }
      return true;
    });
    const codes: string[] = [];
    for (let i = 0; i < 9; i++) codes.push(await verifyCode(c.nodes[i % 3]!, { token: fresh.reveal() }));
    expect(codes.filter((code) => code === "VALID")).toHaveLength(5);
  });
});

describe.each(["closed", "local"] as const)("Redis killed and restarted under load (%s mode)", (mode) => {
  it("never answers 500, holds the mode, and loses no usage", async () => {
    const { redis, cluster: c } = await setup(mode);
    const issued = await c
      .admin(c.nodes[0]!)
      .createToken({ name: "busy", rateLimit: { perMinute: 100_000 } });
    const token = issued.secret.reveal();
    const statuses = new Map<number, number>();
    let valid = 0;
    let phase: "before" | "down" | "after" = "before";
    const during = { down: 0, after: 0 };
    let stop = false;
    const worker = async (w: number) => {
      for (let i = w; !stop; i++) {
        const res = await verifyAt(c.nodes[i % 3]!, { token });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200 && res.body.code === "VALID") valid++;
        if (res.status === 503) expect(res.headers["retry-after"]).toBe("1");
        if (phase !== "before") during[phase]++;
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    const responses = () => [...statuses.values()].reduce((x, y) => x + y, 0);
    await eventually("load before the kill", async () => responses() >= 150);
    await redis.stop();
    phase = "down";
    await eventually("load while Redis is down", async () => during.down >= 150);
    await redis.start();
    phase = "after";
    await eventually(
      "load after the restart",
      async () => during.after >= 300 && (statuses.get(200) ?? 0) > 0,
    );
    stop = true;
    await Promise.all(workers);

    expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    if (mode === "closed") expect(statuses.get(503)).toBeGreaterThan(0);
    else expect(statuses.get(503)).toBeUndefined();
    // Every admitted verification is counted once, whichever instance admitted it and when.
    await eventually("the instances to rejoin the usage set", async () => {
      return (await c.redis.scard("tokenform:usage:instances").catch(() => 0)) === 3;
    });
    const usage = await c.admin(c.nodes[1]!).usage(issued.token.id);
    expect(usage.requestCount).toBe(valid);
    expect(usage.hourly.reduce((sum, h) => sum + h.requests, 0)).toBe(valid);
  });
});

describe("tokenform serve --redis-failure", () => {
  it("is read from TOKENFORM_REDIS_FAILURE by serve: two serves share limits, then fall back locally", async () => {
    const redis = await startRedis();
    cleanup(() => redis.dispose());
    const db = await cluster().createDatabase();
    const bootstrap = generateToken("mcp_adm_");
    const runs: Array<{ service: RunningService; logs: () => string; exited: Promise<number> }> = [];
    for (const signal of ["SIGUSR2", "SIGWINCH"] as const) {
      const stdout = new PassThrough();
      let logs = "";
      stdout.on("data", (chunk: Buffer) => {
        logs += chunk.toString("utf8");
      });
      let listening: (service: RunningService) => void = () => undefined;
      const started = new Promise<RunningService>((resolve) => {
        listening = resolve;
      });
      const exited = serve({
        db,
        port: 0,
        redis: redis.url(0),
        env: { TOKENFORM_BOOTSTRAP_TOKEN: bootstrap, TOKENFORM_REDIS_FAILURE: "local" },
        stdout,
        stderr: new PassThrough(),
        signals: [signal],
        onListening: listening,
      });
      const service = await Promise.race([
        started,
        exited.then((code) => {
          throw new Error(`serve exited early with ${code}: ${logs}`);
        }),
      ]);
      runs.push({ service, logs: () => logs, exited });
      cleanup(async () => {
        process.emit(signal, signal);
        expect(await exited).toBe(0);
      });
    }
    const api = new TokenformClient({ baseUrl: runs[0]!.service.url, token: bootstrap, retries: 0 });
    cleanup(() => api.close());
    const token = (await api.createToken({ name: "served", rateLimit: { perMinute: 5 } })).secret.reveal();
    const shared: string[] = [];
    for (let i = 0; i < 6; i++) shared.push(await verifyCode(runs[i % 2]!.service, { token }));
    expect(shared.filter((c) => c === "VALID")).toHaveLength(5);

    await redis.stop();
    // Local mode: each serve counts on its own from here (the shared admissions were in Redis), five each.
    for (const run of runs) {
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) codes.push(await verifyCode(run.service, { token }));
      expect(codes.filter((c) => c === "VALID")).toHaveLength(5);
      expect(run.logs()).toMatch(/"redisFailure":"local".*"msg":"Redis unreachable: rate limits fall back/);
    }
  });
});
