/**
 * A lost invalidation channel: while an instance cannot hear the others' invalidations (redis-server
 * killed, its LISTEN session terminated), its cached keys live at most a second, so a delete made
 * meanwhile is still refused promptly; once the channel is back (by itself) the cache is cleared — ids
 * sent during the loss were missed — and keys are cached for the full TTL again. Each loss and each
 * restore is logged once.
 */
import { PassThrough } from "node:stream";
import { Client } from "pg";
import { describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { DISCONNECTED_TTL_MS } from "../../../src/service/cache.js";
import { ManualClock } from "../../../src/service/clock.js";
import {
  createLogger,
  LocalInvalidation,
  type RunningService,
  type ServiceOptions,
  startService,
} from "../../../src/service/index.js";
import { silentLogger } from "../../../src/service/logger.js";
import { openRedis } from "../../../src/service/redis/connection.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { LISTENER_APPLICATION_NAME } from "../../../src/service/store/postgres-invalidation.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { useCleanups } from "../../support/cleanups.js";
import { usePostgres } from "../../support/postgres.js";
import { useRedis } from "../../support/redis.js";
import { startTcpProxy } from "../../support/tcp-proxy.js";

const cluster = usePostgres();
const redisServer = useRedis();

const cleanup = useCleanups();

/** Bound of every wait for a state change (reconnection takes well under a second here). */
const WAIT_MS = 15_000;

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A logger whose lines are collected. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const sink = new PassThrough();
  let text = "";
  sink.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return {
    logger: createLogger({ level: "info", destination: sink }),
    lines: () => text.split("\n").filter((line) => line !== ""),
  };
}

function count(lines: string[], message: string): number {
  return lines.filter((line) => line.includes(message)).length;
}

async function instance(url: string, options: Partial<ServiceOptions>): Promise<RunningService> {
  const service = await startService({
    store: new PostgresStore({ connectionString: url }),
    sweepIntervalMs: 0,
    cacheTtlMs: 60_000,
    rateLimits: { keyPerMinute: 100_000, accountPerHour: null },
    ...options,
  });
  cleanup(() => service.close());
  return service;
}

function client(service: RunningService): TokenformClient {
  const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken, retries: 0 });
  cleanup(() => api.close());
  return api;
}

async function redisClient() {
  const connection = await openRedis(redisServer().url(4), { logger: silentLogger() });
  cleanup(async () => {
    await connection.quit().catch(() => connection.disconnect());
  });
  return connection;
}

/** Whether the instance's channel says it hears the others. */
function connected(service: RunningService): boolean {
  return (service.invalidation as { connected?: boolean }).connected === true;
}

describe("a lost invalidation channel", () => {
  it("Redis killed: B keeps keys at most a second, so a delete through A is refused promptly; after a restart B resubscribes by itself and caches for the full TTL again", async () => {
    const url = await cluster().createDatabase();
    const bootstrap = generateToken("mcp_adm_");
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const log = capturedLogger();
    const a = await instance(url, { bootstrapToken: bootstrap, clock, redis: await redisClient() });
    const b = await instance(url, {
      bootstrapToken: bootstrap,
      clock,
      redis: await redisClient(),
      logger: log.logger,
    });
    // Writes through C reach no other instance: they show what B's cache holds.
    const c = await instance(url, {
      bootstrapToken: bootstrap,
      clock,
      invalidation: new LocalInvalidation(),
    });
    const [apiA, apiB, apiC] = [client(a), client(b), client(c)];
    expect(connected(b)).toBe(true);

    const doomed = await apiA.createToken({ name: "doomed" });
    const raw = doomed.secret.reveal();
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");

    await redisServer().stop();
    await until("B notices the loss", () => !connected(b));
    await apiA.deleteToken(doomed.token.id); // its broadcast fails: Redis is down
    clock.advance(DISCONNECTED_TTL_MS + 1);
    expect((await apiB.verify({ token: raw })).code).toBe("NOT_FOUND");

    await redisServer().start();
    await until("B resubscribes", () => connected(b));
    // Caching at the full TTL again: a key deleted where nobody is told stays valid on B past a second.
    const cached = await apiA.createToken({ name: "cached" });
    const cachedRaw = cached.secret.reveal();
    expect((await apiB.verify({ token: cachedRaw })).code).toBe("VALID");
    await apiC.deleteToken(cached.token.id);
    clock.advance(DISCONNECTED_TTL_MS * 5);
    expect((await apiB.verify({ token: cachedRaw })).code).toBe("VALID");
    // And invalidations arrive again.
    const later = await apiA.createToken({ name: "later" });
    const laterRaw = later.secret.reveal();
    expect((await apiB.verify({ token: laterRaw })).code).toBe("VALID");
    await apiA.deleteToken(later.token.id);
    await until(
      "B refuses the key deleted through A",
      async () => !(await apiB.verify({ token: laterRaw })).valid,
    );

    expect(count(log.lines(), "lost the cache invalidation channel")).toBe(1);
    expect(count(log.lines(), "cache invalidation channel restored")).toBe(1);
  });

  it("Redis gone silent (no close, no reset): the heartbeat notices, B counts the channel lost, reconnects and resubscribes", async () => {
    const url = await cluster().createDatabase();
    const log = capturedLogger();
    await using proxy = await startTcpProxy(redisServer().port);
    const viaProxy = await openRedis(`redis://127.0.0.1:${proxy.port}/4`, { logger: silentLogger() });
    cleanup(async () => viaProxy.disconnect());
    const bootstrap = generateToken("mcp_adm_");
    const a = await instance(url, { bootstrapToken: bootstrap, redis: await redisClient() });
    const b = await instance(url, { bootstrapToken: bootstrap, redis: viaProxy, logger: log.logger });
    expect(connected(b)).toBe(true);

    const [apiA, apiB] = [client(a), client(b)];
    const written = await apiB.createToken({ name: "written-while-silent" });

    proxy.freeze();
    // A write through B does not wait on its silent connection: the broadcast gives up and says so.
    await apiB.updateToken(written.token.id, { enabled: false });
    expect(count(log.lines(), "could not broadcast a cache invalidation")).toBe(1);
    await until(
      "B notices the silence",
      () => count(log.lines(), "lost the cache invalidation channel") === 1,
    );
    await until("B resubscribes", () => count(log.lines(), "cache invalidation channel restored") === 1);
    const issued = await apiA.createToken({ name: "after-silence" });
    const raw = issued.secret.reveal();
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");
    await apiA.deleteToken(issued.token.id);
    await until(
      "B refuses the key deleted through A",
      async () => !(await apiB.verify({ token: raw })).valid,
    );
  });

  it("LISTEN session terminated: B listens again by itself and drops what it cached, since notifications sent meanwhile were missed; no log line names the password", async () => {
    const plain = await cluster().createDatabase();
    // The test cluster trusts local connections and ignores the password: it is there to be looked for.
    const url = plain.replace("postgres@", "postgres:hunter2-in-url@");
    const bootstrap = generateToken("mcp_adm_");
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const log = capturedLogger();
    const a = await instance(url, { bootstrapToken: bootstrap, clock });
    const b = await instance(url, { bootstrapToken: bootstrap, clock, logger: log.logger });
    const c = await instance(url, {
      bootstrapToken: bootstrap,
      clock,
      invalidation: new LocalInvalidation(),
    });
    const [apiA, apiB, apiC] = [client(a), client(b), client(c)];
    expect(connected(b)).toBe(true);

    const missed = await apiA.createToken({ name: "missed" });
    const raw = missed.secret.reveal();
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");
    await apiC.deleteToken(missed.token.id); // as if its notification were lost
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");

    const admin = new Client({ connectionString: url });
    await admin.connect();
    cleanup(() => admin.end());
    const { rowCount } = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
      [LISTENER_APPLICATION_NAME],
    );
    expect(rowCount).toBe(2); // A's and B's listening sessions (C has none)
    await until(
      "B has listened again",
      () => count(log.lines(), "cache invalidation channel restored") === 1,
    );
    expect(connected(b)).toBe(true);
    expect(count(log.lines(), "lost the cache invalidation channel")).toBe(1);
    // The restore cleared B's cache: the key deleted meanwhile is refused although its TTL has not passed.
    expect((await apiB.verify({ token: raw })).code).toBe("NOT_FOUND");

    const later = await apiA.createToken({ name: "later" });
    const laterRaw = later.secret.reveal();
    expect((await apiB.verify({ token: laterRaw })).code).toBe("VALID");
    await apiA.deleteToken(later.token.id);
    await until(
      "B refuses the key deleted through A",
      async () => !(await apiB.verify({ token: laterRaw })).valid,
    );
    expect(log.lines().join("\n")).not.toContain("hunter2-in-url");
    expect(log.lines().some((line) => line.includes("LISTEN tokenform_invalidations on postgres://"))).toBe(
      true,
    );
  });
});
