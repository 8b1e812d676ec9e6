/**
 * Subscribers beyond the instances: `GET /v1/invalidations` streams a service's invalidations (the
 * caller's account only) as Server-Sent Events, and remote-mode middleware with `cacheTtlMs` keeps
 * positive verdicts while following it — so a key deleted through another instance is refused by the
 * middleware right after, though its cached verdict had a minute to live.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { type TokenformAuthOptions, tokenformAuth } from "../../../src/middleware/index.js";
import {
  createLogger,
  type RunningService,
  type ServiceOptions,
  startService,
} from "../../../src/service/index.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { useCleanups } from "../../support/cleanups.js";
import { usePostgres } from "../../support/postgres.js";
import { rawRequest } from "../service/harness.js";

const cluster = usePostgres();
const cleanup = useCleanups();

const WAIT_MS = 5_000;

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function instance(url: string, options: Partial<ServiceOptions> = {}): Promise<RunningService> {
  const service = await startService({
    store: new PostgresStore({ connectionString: url }),
    sweepIntervalMs: 0,
    usageFlushMs: 60_000,
    rateLimits: { keyPerMinute: 100_000, accountPerHour: null },
    anonymousLoopbackVerify: false,
    ...options,
  });
  cleanup(() => service.close());
  return service;
}

function client(service: RunningService, token = service.adminToken): TokenformClient {
  const api = new TokenformClient({ baseUrl: service.url, token, retries: 0 });
  cleanup(() => api.close());
  return api;
}

/** Two instances on one fresh database. */
async function pair(): Promise<[RunningService, RunningService]> {
  const url = await cluster().createDatabase();
  const bootstrap = generateToken("mcp_adm_");
  return [
    await instance(url, { bootstrapToken: bootstrap }),
    await instance(url, { bootstrapToken: bootstrap }),
  ];
}

/** An open `GET /v1/invalidations` stream, its events collected. */
async function subscribe(service: RunningService, token: string) {
  const res = await request(`${service.url}/v1/invalidations`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const events: { event: string; data: unknown }[] = [];
  let ended = false;
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString();
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      ended = true;
    });
  cleanup(async () => {
    res.body.destroy();
    await reading;
  });
  return { res, events, ended: () => ended };
}

/** A plain HTTP API behind remote-mode middleware. */
async function guarded(options: TokenformAuthOptions) {
  const auth = tokenformAuth({ protocol: "http", ...options });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void auth(req, res, () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup(async () => {
    await auth.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return (key: string) => rawRequest(url, "GET", "/", { token: key });
}

describe("GET /v1/invalidations", () => {
  it("streams the status, then the ids of the caller's account's tokens written on any instance, and ends when the service closes", async () => {
    const [a, b] = await pair();
    const apiA = client(a);
    const verifier = await apiA.createToken({ name: "gateway", type: "admin", scopes: ["tokens:verify"] });
    const other = await a.createAccount("other");
    const apiOther = client(a, other.adminToken);

    const stream = await subscribe(b, verifier.secret.reveal());
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers["content-type"]).toContain("text/event-stream");
    await until("the status event", () => stream.events.length > 0);
    expect(stream.events[0]).toEqual({ event: "status", data: { connected: true } });

    const foreign = await apiOther.createToken({ name: "foreign" });
    await apiOther.deleteToken(foreign.token.id);
    const own = await apiA.createToken({ name: "own" });
    await apiA.updateToken(own.token.id, { enabled: false });
    await until("the invalidation", () => stream.events.length > 1);
    // Only the own account's write: the other account's delete (made first) never arrived.
    expect(stream.events.slice(1)).toEqual([{ event: "invalidate", data: { tokenId: own.token.id } }]);

    await b.close();
    await until("the stream ends", () => stream.ended());
  });
});

describe("remote-mode middleware with cacheTtlMs", () => {
  it("keeps a positive verdict without asking the service again, and refuses the key right after it is deleted through another instance", async () => {
    const [a, b] = await pair();
    const apiA = client(a);
    const verifier = await apiA.createToken({ name: "gateway", type: "admin", scopes: ["tokens:verify"] });
    const sink = new PassThrough();
    let log = "";
    sink.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const logger = createLogger({ level: "info", destination: sink });
    const call = await guarded({ url: b.url, token: verifier.secret.reveal(), cacheTtlMs: 60_000, logger });
    const issued = await apiA.createToken({ name: "caller" });
    const key = issued.secret.reveal();

    // Until the middleware follows B's invalidations its verdicts live 1 s at most: wait for that, so the
    // refusal below can only come from an invalidation (the cached verdict has a minute to live).
    await until("the middleware follows B", () => log.includes("following token service invalidations"));
    for (let i = 0; i < 6; i++) expect((await call(key)).status).toBe(200);
    await b.flushUsage();
    await a.flushUsage();
    // The service counted fewer verifications than requests passed: the rest came from the cache.
    expect((await apiA.getToken(issued.token.id)).requestCount).toBe(1);

    await apiA.deleteToken(issued.token.id);
    await until("the middleware refuses the deleted key", async () => (await call(key)).status === 401);
  });

  it("says once, as a warning without the key, when the service refuses its key the stream", async () => {
    const [a, b] = await pair();
    const apiA = client(a);
    const writer = await apiA.createToken({ name: "writer", type: "admin", scopes: ["tokens:write"] });
    const sink = new PassThrough();
    let log = "";
    sink.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const logger = createLogger({ level: "info", destination: sink });
    const refusal = "answered 403 to GET /v1/invalidations";
    await guarded({ url: b.url, token: writer.secret.reveal(), cacheTtlMs: 60_000, logger });
    await until("the refusal is logged", () => log.includes(refusal));
    // It keeps trying (100 ms, 200 ms, 400 ms, …): wait for a few more refusals, still logged once.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(log.split(refusal).length - 1).toBe(1);
    expect(log).not.toContain(writer.secret.reveal());
  });

  it("without cacheTtlMs asks the service on every request", async () => {
    const [a, b] = await pair();
    const apiA = client(a);
    const verifier = await apiA.createToken({ name: "gateway", type: "admin", scopes: ["tokens:verify"] });
    const call = await guarded({ url: b.url, token: verifier.secret.reveal() });
    const issued = await apiA.createToken({ name: "caller" });
    for (let i = 0; i < 3; i++) expect((await call(issued.secret.reveal())).status).toBe(200);
    await b.flushUsage();
    expect((await apiA.getToken(issued.token.id)).requestCount).toBe(3);
  });
});
