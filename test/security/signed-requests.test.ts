/**
 * Attacks on signed requests (label `tokenform.dev/require-signature: "true"`): a captured signature
 * replayed after the service restarts (SQLite file) or against a second instance on the same PostgreSQL
 * database; a signature moved to another method or path; and a signature burnt by a refusal — a request
 * refused with 429 (or as a replay) must consume neither its signature nor a rate-limit slot.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TokenformClient } from "../../src/api/client.js";
import { tokenformAuth } from "../../src/middleware/index.js";
import { ManualClock } from "../../src/service/clock.js";
import {
  PostgresStore,
  type RunningService,
  type ServiceOptions,
  signRequest,
  startService,
} from "../../src/service/index.js";
import { rawRequest } from "../integration/service/harness.js";
import { usePostgres } from "../support/postgres.js";

const SIGNED = { "tokenform.dev/require-signature": "true" };
const BODY = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });

const services: RunningService[] = [];
const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const s of services.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A real HTTP server answering `{"ok":true}` behind `auth`, after `rewrite` (a mount point) if given. */
async function guarded(
  auth: ReturnType<typeof tokenformAuth>,
  rewrite?: (req: IncomingMessage) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    rewrite?.(req);
    void auth(req, res, () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function start(options: Partial<ServiceOptions>): Promise<RunningService> {
  const service = await startService({
    port: 0,
    host: "127.0.0.1",
    sweepIntervalMs: 0,
    rateLimits: { keyPerMinute: 1000, accountPerHour: null },
    ...options,
  });
  services.push(service);
  return service;
}

async function stop(service: RunningService): Promise<void> {
  services.splice(services.indexOf(service), 1);
  await service.close();
}

async function signedKey(service: RunningService, settings: { perMinute?: number } = {}): Promise<string> {
  const admin = new TokenformClient({ baseUrl: service.url, token: service.adminToken, retries: 0 });
  try {
    const created = await admin.createToken({
      name: "signer",
      type: "agent",
      scopes: ["tools:call"],
      labels: SIGNED,
      ...(settings.perMinute ? { rateLimit: { perMinute: settings.perMinute } } : {}),
    });
    return created.secret.reveal();
  } finally {
    await admin.close();
  }
}

/** A signed `POST /mcp` as `/v1/verify` takes it. */
function signed(raw: string, now: number, extra: { method?: string; path?: string; body?: string } = {}) {
  const timestamp = String(Math.floor(now / 1000));
  const request = { method: "POST", path: "/mcp", body: BODY, ...extra };
  return {
    timestamp,
    signature: signRequest(raw, { ...request, timestamp }),
    method: request.method,
    path: request.path,
    body: Buffer.from(request.body).toString("base64"),
  };
}

/** Verifies over HTTP as a gateway on the same host does (anonymous loopback). */
async function verify(service: RunningService, raw: string, signature: ReturnType<typeof signed>) {
  const res = await rawRequest(service.url, "POST", "/v1/verify", {
    body: { token: raw, scopes: ["tools:call"], signature },
  });
  expect(res.status).toBe(200);
  return res.body.code as string;
}

describe("a captured signature", () => {
  it("is refused after the service restarts on the same SQLite file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tokenform-sec-replay-"));
    dirs.push(dir);
    const dbPath = join(dir, "tokenform.db");
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const first = await start({ dbPath, clock });
    const raw = await signedKey(first);
    const captured = signed(raw, clock.now());
    expect(await verify(first, raw, captured)).toBe("VALID");
    expect(await verify(first, raw, captured)).toBe("REPLAYED");
    await stop(first);

    clock.advance(60_000);
    const second = await start({ dbPath, clock, sessionAdminKey: false });
    expect(await verify(second, raw, captured)).toBe("REPLAYED");
    // A fresh signature of the same key still works.
    expect(await verify(second, raw, signed(raw, clock.now()))).toBe("VALID");
  });

  it("is not accepted for another method, path or query", async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const dir = await mkdtemp(join(tmpdir(), "tokenform-sec-bind-"));
    dirs.push(dir);
    const service = await start({ dbPath: join(dir, "tokenform.db"), clock });
    const raw = await signedKey(service);
    const original = signed(raw, clock.now());
    for (const moved of [{ method: "DELETE" }, { path: "/admin" }, { path: "/mcp?tool=delete_everything" }]) {
      expect(await verify(service, raw, { ...original, ...moved })).toBe("BAD_SIGNATURE");
    }
    expect(await verify(service, raw, original)).toBe("VALID");

    // The same through the middleware in front of a real server: the signature of POST /mcp does not
    // authorise POST /mcp/other.
    const auth = tokenformAuth({ protocol: "http", service, scopes: ["tools:call"] });
    const url = await guarded(auth);
    const fresh = signed(raw, clock.now() + 1000);
    const headers = {
      authorization: `Bearer ${raw}`,
      "x-mcp-timestamp": fresh.timestamp,
      "x-mcp-signature": fresh.signature,
    };
    const moved = await rawRequest(url, "POST", "/mcp/other", { headers, body: BODY });
    expect(moved.status).toBe(401);
    expect(moved.body.error.code).toBe("invalid_signature");
    expect((await rawRequest(url, "PUT", "/mcp", { headers, body: BODY })).status).toBe(401);
    expect((await rawRequest(url, "POST", "/mcp", { headers, body: BODY })).status).toBe(200);
    expect((await rawRequest(url, "POST", "/mcp", { headers, body: BODY })).body.error.code).toBe(
      "replayed_request",
    );

    // Remote mode: the middleware sends method and path to /v1/verify, which checks them the same way.
    const remote = tokenformAuth({ protocol: "http", url: service.url, scopes: ["tools:call"] });
    const remoteUrl = await guarded(remote);
    const later = signed(raw, clock.now() + 2000, { path: "/mcp?session=1" });
    const remoteHeaders = {
      authorization: `Bearer ${raw}`,
      "x-mcp-timestamp": later.timestamp,
      "x-mcp-signature": later.signature,
    };
    expect(
      (await rawRequest(remoteUrl, "POST", "/mcp?session=2", { headers: remoteHeaders, body: BODY })).status,
    ).toBe(401);
    expect(
      (await rawRequest(remoteUrl, "POST", "/mcp?session=1", { headers: remoteHeaders, body: BODY })).status,
    ).toBe(200);
    expect(
      (await rawRequest(remoteUrl, "POST", "/mcp?session=1", { headers: remoteHeaders, body: BODY })).status,
    ).toBe(401);
    await remote.close();

    // Mounted under a prefix, as Express's app.use("/mcp", auth) does: req.url loses the prefix and
    // req.originalUrl keeps what the client asked for, which is what it signed.
    const mountedUrl = await guarded(auth, (req) => {
      (req as typeof req & { originalUrl?: string }).originalUrl = req.url;
      req.url = (req.url ?? "/").replace(/^\/mcp/, "") || "/";
    });
    const sub = signed(raw, clock.now() + 3000);
    const subHeaders = {
      authorization: `Bearer ${raw}`,
      "x-mcp-timestamp": sub.timestamp,
      "x-mcp-signature": sub.signature,
    };
    expect((await rawRequest(mountedUrl, "POST", "/mcp", { headers: subHeaders, body: BODY })).status).toBe(
      200,
    );
  });

  it("refused with 429 stays usable once the limit admits; a refused replay consumes no rate-limit slot", async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
    const dir = await mkdtemp(join(tmpdir(), "tokenform-sec-429-"));
    dirs.push(dir);
    const service = await start({ dbPath: join(dir, "tokenform.db"), clock });
    const raw = await signedKey(service, { perMinute: 2 });
    const first = signed(raw, clock.now(), { body: "{}" });
    expect(await verify(service, raw, first)).toBe("VALID");
    // A replay is refused and gives its admission back: the second slot is still free.
    expect(await verify(service, raw, first)).toBe("REPLAYED");
    clock.advance(1000);
    expect(await verify(service, raw, signed(raw, clock.now(), { body: "[]" }))).toBe("VALID");
    clock.advance(1000);
    const limited = signed(raw, clock.now(), { body: "null" });
    expect(await verify(service, raw, limited)).toBe("RATE_LIMITED");
    clock.advance(61_000);
    expect(await verify(service, raw, limited)).toBe("VALID");
    expect(await verify(service, raw, limited)).toBe("REPLAYED");
  });
});

describe("a captured signature with two instances on one PostgreSQL database", () => {
  const cluster = usePostgres();

  it("is admitted by exactly one instance, whichever it reaches", async () => {
    const url = await cluster().createDatabase();
    const a = await start({ store: new PostgresStore({ connectionString: url }) });
    const b = await start({
      store: new PostgresStore({ connectionString: url }),
      sessionAdminKey: false,
    });
    const raw = await signedKey(a);
    const captured = signed(raw, Date.now());
    expect(await verify(a, raw, captured)).toBe("VALID");
    expect(await verify(b, raw, captured)).toBe("REPLAYED");

    // Sent to both at once, a fresh signature passes exactly once.
    const racing = signed(raw, Date.now() + 1000);
    const codes = await Promise.all([a, b, a, b].map((s) => verify(s, raw, racing)));
    expect(codes.filter((c) => c === "VALID")).toHaveLength(1);
    expect(codes.filter((c) => c === "REPLAYED")).toHaveLength(3);
  });
});
