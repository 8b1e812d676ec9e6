/**
 * The token service on PostgreSQL, end to end: `startService` with a `PostgresStore` on a throwaway cluster
 * (one per file, a fresh database per test), driven over HTTP through `TokenformClient`. Several instances
 * on one database share tokens, audit and usage; each keeps its own key cache and rate limiter. A key
 * deleted or disabled on one instance is refused by the others right after through LISTEN/NOTIFY
 * (test/integration/scale/revocation.test.ts); without a shared invalidation channel, once their cached
 * copy ages out — at most `cacheTtlMs` later, the fallback bound — while the instance that made the change
 * refuses it at once. `tokenform serve` picks PostgreSQL from `--db postgres://…` or `TOKENFORM_DATABASE_URL`.
 */
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { ManualClock } from "../../../src/service/clock.js";
import {
  LocalInvalidation,
  type RunningService,
  type ServiceOptions,
  startService,
} from "../../../src/service/index.js";
import { serve } from "../../../src/service/serve.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { usePostgres } from "../../support/postgres.js";

const cluster = usePostgres();

const services: RunningService[] = [];
const clients: TokenformClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of services.splice(0)) await s.close();
});

/** Starts a service instance on the PostgreSQL database at `url`. */
async function instance(url: string, options: Partial<ServiceOptions> = {}): Promise<RunningService> {
  const service = await startService({
    store: new PostgresStore({ connectionString: url }),
    port: 0,
    host: "127.0.0.1",
    sweepIntervalMs: 0,
    rateLimits: { keyPerMinute: 1000, accountPerHour: null },
    ...options,
  });
  services.push(service);
  return service;
}

function client(service: RunningService, token = service.adminToken): TokenformClient {
  const c = new TokenformClient({ baseUrl: service.url, token, retries: 0 });
  clients.push(c);
  return c;
}

/** Every row of the store's tables as text (to look for secrets at rest). */
async function dumpTables(url: string): Promise<string> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    let text = "";
    for (const table of ["accounts", "tokens", "token_labels", "secrets", "usage_hourly", "audit"]) {
      const { rows } = await pg.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
      text += rows.map((r) => r.row).join("\n");
    }
    return text;
  } finally {
    await pg.end();
  }
}

describe("token service on PostgreSQL", () => {
  it("creates a token over HTTP and verifies it VALID; the database holds no raw secret; a restart keeps it", async () => {
    const url = await cluster().createDatabase();
    const bootstrap = generateToken("mcp_adm_");
    const service = await instance(url, { bootstrapToken: bootstrap });
    expect(service.adminTokenSource).toBe("provided");
    const api = client(service);

    const issued = await api.createToken({
      name: "gateway",
      scopes: ["tools:call"],
      labels: { team: "platform" },
    });
    const raw = issued.secret.reveal();
    const verdict = await api.verify({ token: raw, scopes: ["tools:call"] });
    expect(verdict).toMatchObject({
      valid: true,
      code: "VALID",
      token: { id: issued.token.id, name: "gateway", account: "default", labels: { team: "platform" } },
    });
    expect((await api.verify({ token: raw, scopes: ["tokens:write"] })).code).toBe("INSUFFICIENT_SCOPE");
    expect((await api.listAllTokens({ selector: "team=platform" })).map((t) => t.name)).toEqual(["gateway"]);
    await service.flushUsage();
    expect((await api.getToken(issued.token.id)).requestCount).toBe(1);

    const rolled = (await api.rollToken(issued.token.id, { overlap: "1h" })).secret.reveal();
    const rows = await dumpTables(url);
    expect(rows).toContain("gateway");
    for (const secret of [raw, rolled, bootstrap]) {
      expect(rows.includes(secret.slice(secret.lastIndexOf("_") + 1))).toBe(false);
    }

    await service.close();
    const again = await instance(url, { bootstrapToken: bootstrap });
    const after = await client(again).verify({ token: rolled });
    expect(after).toMatchObject({ valid: true, token: { id: issued.token.id } });
    expect((await client(again).audit()).items.map((e) => e.action)).toEqual(
      expect.arrayContaining(["token.create", "token.roll"]),
    );
  });

  it("runs two instances on one database: a key created on one verifies on the other; without a shared invalidation channel a deleted key is refused by the other within the cache TTL", async () => {
    const url = await cluster().createDatabase();
    const bootstrap = generateToken("mcp_adm_");
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const cacheTtlMs = 1000;
    // Each instance on an in-process channel of its own: the other never hears of the delete.
    const a = await instance(url, {
      bootstrapToken: bootstrap,
      clock,
      cacheTtlMs,
      invalidation: new LocalInvalidation(),
    });
    const b = await instance(url, {
      bootstrapToken: bootstrap,
      clock,
      cacheTtlMs,
      invalidation: new LocalInvalidation(),
    });
    expect(a.adminTokenSource).toBe("provided");
    expect(b.adminTokenSource).toBe("provided");
    const apiA = client(a);
    const apiB = client(b);

    const issued = await apiA.createToken({ name: "shared", scopes: ["tools:call"] });
    const raw = issued.secret.reveal();
    // Created on A, known to B at once (B has never seen it, so it asks the database).
    expect(await apiB.verify({ token: raw })).toMatchObject({ valid: true, token: { id: issued.token.id } });
    expect((await apiB.getToken(issued.token.id)).name).toBe("shared");

    await apiA.deleteToken(issued.token.id);
    // A invalidated its own cache on the write: refused at once.
    expect((await apiA.verify({ token: raw })).code).toBe("NOT_FOUND");
    // B still holds the key it verified a moment ago: this is the documented staleness, bounded by the TTL.
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");
    clock.advance(cacheTtlMs + 1);
    expect((await apiB.verify({ token: raw })).code).toBe("NOT_FOUND");
    // The management API reads the database, never the cache: B already reports it gone.
    await expect(apiB.getToken(issued.token.id)).rejects.toMatchObject({ code: "not_found" });
    expect((await apiB.audit({ targetId: issued.token.id })).items.map((e) => e.action)).toEqual([
      "token.delete",
      "token.create",
    ]);
  });

  it("with a real clock, a small cacheTtlMs and no shared invalidation channel, a key disabled on one instance is refused by the other soon after", async () => {
    const url = await cluster().createDatabase();
    const bootstrap = generateToken("mcp_adm_");
    const cacheTtlMs = 200;
    const a = await instance(url, {
      bootstrapToken: bootstrap,
      cacheTtlMs,
      invalidation: new LocalInvalidation(),
    });
    const b = await instance(url, {
      bootstrapToken: bootstrap,
      cacheTtlMs,
      invalidation: new LocalInvalidation(),
    });
    const apiA = client(a);
    const apiB = client(b);
    const issued = await apiA.createToken({ name: "to-disable" });
    const raw = issued.secret.reveal();
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");

    await apiA.updateToken(issued.token.id, { enabled: false });
    expect((await apiA.verify({ token: raw })).code).toBe("DISABLED");
    // Poll B (bounded: 100 × 50 ms is 25 times the TTL) until its cached copy has aged out.
    let code = "VALID";
    for (let i = 0; i < 100 && code === "VALID"; i++) {
      await sleep(50);
      code = (await apiB.verify({ token: raw })).code;
    }
    expect(code).toBe("DISABLED");
  });

  it("adds up usage from every instance; rate limits are per instance", async () => {
    const url = await cluster().createDatabase();
    const bootstrap = generateToken("mcp_adm_");
    const a = await instance(url, { bootstrapToken: bootstrap });
    const b = await instance(url, { bootstrapToken: bootstrap });
    const apiA = client(a);
    const apiB = client(b);
    const issued = await apiA.createToken({ name: "limited", rateLimit: { perMinute: 2 } });
    const raw = issued.secret.reveal();

    const codesA = [];
    for (let i = 0; i < 3; i++) codesA.push((await apiA.verify({ token: raw })).code);
    expect(codesA).toEqual(["VALID", "VALID", "RATE_LIMITED"]);
    // B counts its own requests: the per-minute limit applies per instance (a shared limit needs Redis).
    expect((await apiB.verify({ token: raw })).code).toBe("VALID");

    await Promise.all([a.flushUsage(), b.flushUsage()]);
    expect(await apiB.getToken(issued.token.id)).toMatchObject({ requestCount: 3, failedAttempts: 1 });
    expect((await apiA.usage(issued.token.id)).hourly.reduce((n, h) => n + h.requests, 0)).toBe(3);
  });

  it("tokenform serve uses PostgreSQL for --db postgres://… and for TOKENFORM_DATABASE_URL, never logging the password", async () => {
    const database = (await cluster().createDatabase()).split("/").pop()!;
    // Trust auth ignores the password; it is there to prove it never reaches a log line.
    const password = "pg-password-never-logged";
    const url = `postgres://postgres:${password}@127.0.0.1:${cluster().port}/${database}`;
    const bootstrap = generateToken("mcp_adm_");

    async function run(options: { db?: string; env: NodeJS.ProcessEnv }) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let logs = "";
      stdout.on("data", (chunk: Buffer) => {
        logs += chunk.toString("utf8");
      });
      stderr.on("data", (chunk: Buffer) => {
        logs += chunk.toString("utf8");
      });
      let listening: (service: RunningService) => void = () => undefined;
      const started = new Promise<RunningService>((resolve) => {
        listening = resolve;
      });
      const exited = serve({
        db: options.db,
        port: 0,
        env: { TOKENFORM_BOOTSTRAP_TOKEN: bootstrap, ...options.env },
        stdout,
        stderr,
        signals: ["SIGUSR2"],
        onListening: listening,
      });
      const service = await Promise.race([
        started,
        exited.then((code) => {
          throw new Error(`serve exited early with ${code}: ${logs}`);
        }),
      ]);
      return {
        service,
        async stop() {
          process.emit("SIGUSR2", "SIGUSR2");
          expect(await exited).toBe(0);
          return logs;
        },
      };
    }

    const first = await run({ db: url, env: { TOKENFORM_DB: "/nonexistent/ignored.db" } });
    const api = new TokenformClient({ baseUrl: first.service.url, token: bootstrap, retries: 0 });
    const issued = await api.createToken({ name: "served" });
    expect((await api.verify({ token: issued.secret.reveal() })).valid).toBe(true);
    await api.close();
    const firstLogs = await first.stop();

    // The environment variable alone, on the same database: the token is there.
    const second = await run({ env: { TOKENFORM_DATABASE_URL: url } });
    const api2 = new TokenformClient({ baseUrl: second.service.url, token: bootstrap, retries: 0 });
    expect((await api2.verify({ token: issued.secret.reveal() })).token?.name).toBe("served");
    await api2.close();
    const secondLogs = await second.stop();

    for (const logs of [firstLogs, secondLogs]) {
      expect(logs).toContain(`"db":"postgres://127.0.0.1:${cluster().port}/${database}"`);
      expect(logs).not.toContain(password);
      expect(logs).not.toContain(issued.secret.reveal());
    }
  });
});
