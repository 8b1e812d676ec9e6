/**
 * Revocation across instances: several `startService` instances on one PostgreSQL database (and, for the
 * Redis runs, one Redis). A key verified — and so cached — on one instance and deleted through another is
 * refused by the first right after, well before its cache TTL (60 s here), because the writer broadcasts
 * an invalidation: Redis pub/sub when the deployment has Redis, PostgreSQL LISTEN/NOTIFY otherwise.
 */
import { describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { type RunningService, type ServiceOptions, startService } from "../../../src/service/index.js";
import { silentLogger } from "../../../src/service/logger.js";
import { openRedis } from "../../../src/service/redis/connection.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { useCleanups } from "../../support/cleanups.js";
import { usePostgres } from "../../support/postgres.js";
import { useRedis } from "../../support/redis.js";

const cluster = usePostgres();
const redisServer = useRedis();

const cleanup = useCleanups();

/** How long a test waits for a refusal at most: far under the 60 s cache TTL, far over the target lag. */
const WAIT_MS = 5_000;

async function instance(url: string, options: Partial<ServiceOptions> = {}): Promise<RunningService> {
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

/** What a verification asks besides the key. */
type Ask = Omit<Parameters<TokenformClient["verify"]>[0], "token">;

/** Verifies `raw` on `api` until it is refused (bounded by WAIT_MS); returns the refusal's code. */
async function firstRefusal(api: TokenformClient, raw: string, ask: Ask = {}): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const verdict = await api.verify({ token: raw, ...ask });
    if (!verdict.valid || Date.now() > deadline) return verdict.code;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Three instances on one fresh database, with Redis when `withRedis`. */
async function deployment(withRedis: boolean): Promise<RunningService[]> {
  const url = await cluster().createDatabase();
  const bootstrap = generateToken("mcp_adm_");
  const instances: RunningService[] = [];
  for (let i = 0; i < 3; i++) {
    const options: Partial<ServiceOptions> = { bootstrapToken: bootstrap };
    if (withRedis) {
      const client = await openRedis(redisServer().url(3), { logger: silentLogger() });
      cleanup(async () => {
        await client.quit().catch(() => client.disconnect());
      });
      options.redis = client;
    }
    instances.push(await instance(url, options));
  }
  return instances;
}

describe.each([
  ["PostgreSQL LISTEN/NOTIFY", false],
  ["Redis pub/sub", true],
])("revocation across instances over %s", (_channel, withRedis) => {
  it("a key cached on B and C and deleted through A is refused by B and C right after, not a cache TTL later", async () => {
    const [a, b, c] = await deployment(withRedis);
    const apiA = client(a!);
    const others = [client(b!), client(c!)];
    const issued = await apiA.createToken({ name: "shared", scopes: ["tools:call"] });
    const raw = issued.secret.reveal();
    for (const api of others) expect((await api.verify({ token: raw })).code).toBe("VALID");

    await apiA.deleteToken(issued.token.id);
    for (const api of others) expect(await firstRefusal(api, raw)).toBe("NOT_FOUND");
  });

  it("each write that narrows a key is refused by the other instances right after", async () => {
    const [a, b, c] = await deployment(withRedis);
    const apiA = client(a!);
    const others = [client(b!), client(c!)];
    const ask: Ask = { scopes: ["tools:call"], tools: ["search"], ip: "198.51.100.7", write: true };
    const cases: [string, (id: string) => Promise<unknown>, string][] = [
      ["disable", (id) => apiA.updateToken(id, { enabled: false }), "DISABLED"],
      ["emergency roll", (id) => apiA.rollToken(id, { overlap: "0s" }), "NOT_FOUND"],
      ["scope change", (id) => apiA.updateToken(id, { scopes: ["contexts:read"] }), "INSUFFICIENT_SCOPE"],
      ["allowlist change", (id) => apiA.updateToken(id, { ipAllowlist: ["192.0.2.0/24"] }), "IP_NOT_ALLOWED"],
      ["tool allowlist change", (id) => apiA.updateToken(id, { tools: ["fetch"] }), "TOOL_NOT_ALLOWED"],
      ["read-only change", (id) => apiA.updateToken(id, { readOnly: true }), "READ_ONLY"],
    ];
    for (const [kind, write, code] of cases) {
      const issued = await apiA.createToken({
        name: kind.replaceAll(" ", "-"),
        scopes: ["tools:call", "contexts:read"],
        tools: ["search", "fetch"],
        readOnly: false,
      });
      const raw = issued.secret.reveal();
      for (const api of others) expect((await api.verify({ token: raw, ...ask })).code, kind).toBe("VALID");
      await write(issued.token.id);
      for (const api of others) expect(await firstRefusal(api, raw, ask), kind).toBe(code);
    }
  });
});
