/**
 * TokenformClient against a small scripted HTTP server on loopback: what is retried (and what is not),
 * Retry-After, timeouts, error codes, headers, and that no secret reaches an error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { ApiError } from "../../../src/api/errors.js";
import { parseRetryAfterMs } from "../../../src/api/retry.js";
import { SecretValue } from "../../../src/api/secret.js";
import { generateToken } from "../../../src/spec/token-format.js";

type Step = (req: IncomingMessage, res: ServerResponse) => void;

interface Scripted {
  url: string;
  calls: Array<{ method: string; url: string; headers: IncomingMessage["headers"] }>;
  server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server answering each request with the next step (the last one repeats). */
async function scripted(steps: Step[]): Promise<Scripted> {
  const calls: Scripted["calls"] = [];
  const server = createServer((req, res) => {
    calls.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    step(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
const error = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: `${code} happened`, type: "api_error" } }, headers);
const hang: Step = () => undefined;
const drop: Step = (req) => req.socket.destroy();

const whoami = { account: "default", tokenId: "tok_1", name: "admin", scopes: ["tokens:*"] };
const token = {
  id: "tok_1",
  account: "default",
  name: "n",
  description: "",
  type: "mcp",
  scopes: [],
  readOnly: true,
  labels: {},
  ipAllowlist: [],
  rateLimit: { perMinute: null, perHour: null },
  status: "active",
  enabled: true,
  displayPrefix: "mcp_sk_AbCd",
  fingerprint: "sha256:0123456789abcdef",
  generation: 1,
  previousSecrets: [],
  deliveries: [],
  createdAt: "2030-01-01T00:00:00.000Z",
  createdBy: "admin",
  updatedAt: "2030-01-01T00:00:00.000Z",
  rotatedAt: "2030-01-01T00:00:00.000Z",
  expiresAt: null,
  pendingExpiresAt: null,
  lastUsedAt: null,
  lastUsedIp: null,
  requestCount: 0,
  failedAttempts: 0,
  version: 1,
};

const ADMIN = generateToken("mcp_adm_");
function client(url: string, options: Partial<ConstructorParameters<typeof TokenformClient>[0]> = {}) {
  return new TokenformClient({
    baseUrl: url,
    token: new SecretValue(ADMIN),
    retries: 3,
    retryBaseMs: 5,
    ...options,
  });
}

describe("TokenformClient", () => {
  it("sends the token, a user agent and JSON, and parses typed responses", async () => {
    const s = await scripted([json(200, whoami)]);
    const api = client(s.url, { userAgent: "test-agent/1" });
    expect(await api.whoami()).toEqual(whoami);
    expect(s.calls[0]!.headers.authorization).toBe(`Bearer ${ADMIN}`);
    expect(s.calls[0]!.headers["user-agent"]).toBe("test-agent/1");
    await api.close();
  });

  it("retries safe requests on 503, 502 and 429 (honouring Retry-After), then succeeds", async () => {
    const s = await scripted([
      error(503, "unavailable"),
      error(502, "bad_gateway"),
      error(429, "rate_limited", { "retry-after": "0" }),
      json(200, whoami),
    ]);
    const api = client(s.url);
    expect(await api.whoami()).toEqual(whoami);
    expect(s.calls).toHaveLength(4);
    await api.close();
  });

  it("gives up after the configured retries with the last ApiError", async () => {
    const s = await scripted([error(503, "unavailable")]);
    const api = client(s.url, { retries: 2 });
    const failure = await api.listTokens().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({
      code: "unavailable",
      status: 503,
      request: "GET /v1/tokens",
      transient: true,
    });
    expect(s.calls).toHaveLength(3);
    await api.close();
  });

  it("does not wait longer than maxRetryDelayMs: a long Retry-After is returned, not slept on", async () => {
    const s = await scripted([error(429, "rate_limited", { "retry-after": "3600" }), json(200, whoami)]);
    const api = client(s.url, { maxRetryDelayMs: 1000 });
    await expect(api.whoami()).rejects.toMatchObject({ status: 429, retryAfter: 3600 });
    expect(s.calls).toHaveLength(1);
    await api.close();
  });

  it("never retries a create after a response that may mean it was processed (500, reset, timeout)", async () => {
    for (const first of [error(500, "internal"), drop]) {
      const s = await scripted([first, json(201, { token, secret: generateToken("mcp_sk_") })]);
      const api = client(s.url);
      await expect(api.createToken({ name: "n" })).rejects.toBeInstanceOf(ApiError);
      expect(s.calls).toHaveLength(1);
      await api.close();
    }
    const slow = await scripted([hang, json(201, { token, secret: generateToken("mcp_sk_") })]);
    const api = client(slow.url, { timeoutMs: 200 });
    await expect(api.createToken({ name: "n" })).rejects.toMatchObject({ code: "timeout", status: 0 });
    expect(slow.calls).toHaveLength(1);
    await api.close();
  });

  it("retries a create refused before processing (429/503) and wraps the secret", async () => {
    const raw = generateToken("mcp_sk_");
    const s = await scripted([
      error(503, "unavailable"),
      error(429, "rate_limited", { "retry-after": "0" }),
      json(201, { token, secret: raw }),
    ]);
    const api = client(s.url);
    const issued = await api.createToken({ name: "n" });
    expect(s.calls).toHaveLength(3);
    expect(issued.secret).toBeInstanceOf(SecretValue);
    expect(issued.secret.reveal()).toBe(raw);
    expect(JSON.stringify(issued)).not.toContain(raw);
    await api.close();
  });

  it("does not retry PATCH or roll after a 502, but retries confirm (idempotent)", async () => {
    const patch = await scripted([error(502, "bad_gateway"), json(200, token)]);
    const api = client(patch.url);
    await expect(api.updateToken("tok_1", { description: "x" }, { ifMatch: 1 })).rejects.toMatchObject({
      status: 502,
    });
    expect(patch.calls).toHaveLength(1);
    expect(patch.calls[0]!.headers["if-match"]).toBe('"1"');
    await api.close();
    const roll = await scripted([
      error(502, "bad_gateway"),
      json(200, { token, secret: generateToken("mcp_sk_") }),
    ]);
    const api2 = client(roll.url);
    await expect(api2.rollToken("tok_1", { overlap: "1h" })).rejects.toMatchObject({ status: 502 });
    expect(roll.calls).toHaveLength(1);
    await api2.close();
    const confirm = await scripted([drop, error(502, "bad_gateway"), json(200, token)]);
    const api3 = client(confirm.url);
    expect((await api3.confirmToken("tok_1")).id).toBe("tok_1");
    expect(confirm.calls).toHaveLength(3);
    await api3.close();
  });

  it("treats a DELETE that finds the token gone after an uncertain attempt as done", async () => {
    const s = await scripted([drop, error(404, "not_found")]);
    const api = client(s.url);
    await expect(api.deleteToken("tok_1")).resolves.toBeUndefined();
    expect(s.calls.map((c) => c.method)).toEqual(["DELETE", "DELETE"]);
    await api.close();
    const plain = await scripted([error(404, "not_found")]);
    const api2 = client(plain.url);
    await expect(api2.deleteToken("tok_1")).rejects.toMatchObject({ code: "not_found" });
    await api2.close();
  });

  it("reports network errors and bad responses with codes, never with the token", async () => {
    const s = await scripted([json(200, whoami)]);
    const url = s.url;
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
    servers.length = 0;
    const api = client(url, { retries: 1 });
    const failure = (await api.whoami().catch((e: unknown) => e)) as ApiError;
    expect(failure).toMatchObject({ code: "network_error", status: 0, transient: true });
    expect(failure.message).toContain("ECONNREFUSED");
    expect(`${failure.message} ${failure.stack}`).not.toContain(ADMIN);
    await api.close();

    const garbage = await scripted([(_req, res) => res.end("<html>oops</html>"), json(200, { nope: true })]);
    const api2 = client(garbage.url, { retries: 0 });
    await expect(api2.whoami()).rejects.toMatchObject({ code: "invalid_response" });
    await expect(api2.whoami()).rejects.toMatchObject({ code: "invalid_response" });
    await api2.close();

    const proxy = await scripted([
      (_req, res) => {
        res.writeHead(418);
        res.end("teapot");
      },
    ]);
    const api3 = client(proxy.url, { retries: 0 });
    await expect(api3.whoami()).rejects.toMatchObject({ code: "http_418", status: 418 });
    await api3.close();
  });

  it("follows cursors in listAllTokens and refuses a cursor loop", async () => {
    const pages = [
      json(200, { items: [token], nextCursor: "c1" }),
      json(200, { items: [{ ...token, id: "tok_2" }], nextCursor: null }),
    ];
    const s = await scripted(pages);
    const api = client(s.url);
    expect((await api.listAllTokens({ selector: "a=b" })).map((t) => t.id)).toEqual(["tok_1", "tok_2"]);
    expect(s.calls[1]!.url).toContain("cursor=c1");
    expect(s.calls[0]!.url).toContain("selector=a%3Db");
    await api.close();
    const loop = await scripted([json(200, { items: [], nextCursor: "same" })]);
    const api2 = client(loop.url);
    await expect(api2.listAllTokens()).rejects.toThrow(/same cursor/);
    await api2.close();
  });

  it("reads Retry-After and transient statuses by the same rule as the sinks (src/api/retry.ts)", () => {
    expect(parseRetryAfterMs("7")).toBe(7000);
    // Fractions of a second: the client once read "1.5" as no wait at all, the sinks as 1,500 ms.
    expect(parseRetryAfterMs("1.5")).toBe(1500);
    expect(
      parseRetryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1)),
    ).toBe(30_000);
    expect(parseRetryAfterMs(["2", "9"])).toBe(2000);
    expect(parseRetryAfterMs("soon")).toBeUndefined();
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
    // 408 is transient to the client too (it was only to the sinks).
    expect(new ApiError("request_timeout", "slow", 408, "POST /v1/tokens").transient).toBe(true);
    expect(new ApiError("conflict", "taken", 409, "POST /v1/tokens").transient).toBe(false);
  });
});
