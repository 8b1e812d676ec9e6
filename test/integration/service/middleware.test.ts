/**
 * tokenformAuth with `protocol: "http"` in front of a plain node:http API: in-process (`service`) and
 * remote (`url`) modes, refusals with the right status, headers and JSON before the handler runs, the
 * verified key on `req.tokenform`, signed requests, and remote verification on every request (immediate
 * revocation, the rate limit as a ceiling). MCP endpoints: test/integration/mcp/.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type TokenformAuthOptions, tokenformAuth } from "../../../src/middleware/index.js";
import { signRequest } from "../../../src/service/index.js";
import { rawRequest, type ServiceHarness, serviceHarness } from "./harness.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A plain HTTP API: the middleware, then a handler that records that it ran. */
async function mcpServer(options: TokenformAuthOptions) {
  const auth = tokenformAuth({ protocol: "http", ...options });
  const handled: IncomingMessage[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void auth(req, res, (error?: unknown) => {
      if (error) {
        res.writeHead(500);
        res.end();
        return;
      }
      handled.push(req);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, who: req.tokenform?.token.name, body: req.rawBody?.toString() }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    handled,
    call: (method: string, path: string, req?: Parameters<typeof rawRequest>[3]) =>
      rawRequest(url, method, path, req),
  };
}

async function tokens(h: ServiceHarness) {
  return {
    reader: (await h.admin.createToken({ name: "reader", scopes: ["tools:call"] })).secret,
    writer: (
      await h.admin.createToken({
        name: "writer",
        type: "agent",
        scopes: ["tools:*"],
        rateLimit: { perMinute: 3 },
      })
    ).secret,
    fenced: (
      await h.admin.createToken({ name: "fenced", scopes: ["tools:call"], ipAllowlist: ["203.0.113.0/24"] })
    ).secret,
    disabled: (await h.admin.createToken({ name: "off", scopes: ["tools:call"], enabled: false })).secret,
  };
}

describe("tokenformAuth in-process", () => {
  it("refuses with 401/403/429 before the handler runs and attaches the key otherwise", async () => {
    await using h = await serviceHarness();
    const t = await tokens(h);
    const mcp = await mcpServer({ service: h.service, scopes: ["tools:call"] });

    const missing = await mcp.call("GET", "/mcp");
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="tokenform"');
    expect(missing.body.error).toMatchObject({ code: "unauthorized", type: "authentication_error" });

    const malformed = await mcp.call("GET", "/mcp", { headers: { authorization: "Token abc" } });
    expect(malformed.status).toBe(401);
    expect(malformed.body.error.code).toBe("invalid_api_key");

    const disabled = await mcp.call("GET", "/mcp", { token: t.disabled });
    expect(disabled.status).toBe(401);
    expect(disabled.body.error.details.reason).toBe("DISABLED");

    const fenced = await mcp.call("GET", "/mcp", { token: t.fenced });
    expect(fenced.status).toBe(403);
    expect(fenced.body.error.code).toBe("ip_not_allowed");

    const readOnly = await mcp.call("POST", "/mcp", { token: t.reader, body: { method: "tools/call" } });
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.error).toMatchObject({ code: "read_only_key", type: "permission_error" });

    const ok = await mcp.call("GET", "/mcp", { headers: { "x-api-key": t.reader.reveal() } });
    expect(ok.status).toBe(200);
    expect(ok.body.who).toBe("reader");
    expect(ok.headers["ratelimit-limit"]).toBe("1000");
    expect(mcp.handled).toHaveLength(1);
    expect(mcp.handled[0]!.tokenform).toEqual({
      token: {
        id: expect.any(String),
        name: "reader",
        type: "mcp",
        scopes: ["tools:call"],
        labels: {},
        account: "default",
        readOnly: true,
        tools: null,
      },
      // The refused POST counted too: rate limits come before scope and type rules.
      ratelimit: { limit: 1000, remaining: 998, reset: 60 },
    });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await mcp.call("POST", "/mcp", { token: t.writer, body: {} })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await mcp.call("POST", "/mcp", { token: t.writer, body: {} });
    expect(limited.headers["retry-after"]).toBe("60");
    expect(limited.headers["ratelimit-remaining"]).toBe("0");
    expect(limited.headers["ratelimit-limit"]).toBe("3");
    expect(limited.body.error).toMatchObject({ code: "rate_limited", type: "rate_limit_error" });
    expect(mcp.handled).toHaveLength(4);
  });

  it("checks scopes per request and trusts X-Forwarded-For only when told to", async () => {
    await using h = await serviceHarness();
    const t = await tokens(h);
    const scoped = await mcpServer({
      service: h.service.verifier,
      scopes: (req) => (req.url?.startsWith("/admin") ? ["admin:read"] : ["tools:call"]),
      trustProxy: ["127.0.0.1"],
    });
    expect((await scoped.call("GET", "/tools", { token: t.reader })).status).toBe(200);
    const denied = await scoped.call("GET", "/admin", { token: t.reader });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("insufficient_scope");
    expect(
      (await scoped.call("GET", "/tools", { token: t.fenced, headers: { "x-forwarded-for": "203.0.113.4" } }))
        .status,
    ).toBe(200);
    const untrusted = await mcpServer({ service: h.service, scopes: ["tools:call"] });
    expect(
      (
        await untrusted.call("GET", "/tools", {
          token: t.fenced,
          headers: { "x-forwarded-for": "203.0.113.4" },
        })
      ).status,
    ).toBe(403);
  });

  it("verifies signed requests and leaves the body on req.rawBody", async () => {
    await using h = await serviceHarness();
    const raw = (
      await h.admin.createToken({
        name: "signer",
        type: "agent",
        scopes: ["tools:call"],
        labels: { "tokenform.dev/require-signature": "true" },
      })
    ).secret.reveal();
    const mcp = await mcpServer({ service: h.service, scopes: ["tools:call"] });
    const body = JSON.stringify({ jsonrpc: "2.0", method: "tools/call", id: 1 });
    const ts = String(Math.floor(h.clock.now() / 1000));
    const headers = {
      authorization: `Bearer ${raw}`,
      "x-mcp-timestamp": ts,
      "x-mcp-signature": signRequest(raw, { method: "POST", path: "/mcp", timestamp: ts, body }),
    };
    const unsigned = await mcp.call("POST", "/mcp", { headers: { authorization: `Bearer ${raw}` }, body });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe("invalid_signature");
    const signed = await mcp.call("POST", "/mcp", { headers, body });
    expect(signed.status).toBe(200);
    expect(signed.body.body).toBe(body);
    const replay = await mcp.call("POST", "/mcp", { headers, body });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("replayed_request");
    const tampered = await mcp.call("POST", "/mcp", { headers, body: body.replace("1", "2") });
    expect(tampered.body.error.code).toBe("invalid_signature");
  });
});

describe("tokenformAuth remote", () => {
  it("verifies over /v1/verify (anonymous loopback or with a verify key) with the same refusals", async () => {
    await using h = await serviceHarness();
    const t = await tokens(h);
    const verifyKey = (
      await h.admin.createToken({ name: "gateway", type: "admin", scopes: ["tokens:verify"] })
    ).secret;
    for (const options of [{ url: h.url }, { url: h.url, token: verifyKey }] as TokenformAuthOptions[]) {
      const mcp = await mcpServer({ ...options, scopes: ["tools:call"] });
      expect((await mcp.call("GET", "/mcp", { token: t.reader })).status).toBe(200);
      expect((await mcp.call("GET", "/mcp", { token: t.disabled })).status).toBe(401);
      expect((await mcp.call("POST", "/mcp", { token: t.reader, body: {} })).status).toBe(403);
      expect((await mcp.call("GET", "/mcp")).status).toBe(401);
    }
    const statuses: number[] = [];
    const mcp = await mcpServer({ url: h.url, scopes: ["tools:call"] });
    for (let i = 0; i < 4; i++)
      statuses.push((await mcp.call("POST", "/mcp", { token: t.writer, body: {} })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("asks the service on every request: a disabled or deleted key is refused on the very next one", async () => {
    await using h = await serviceHarness();
    const issued = await h.admin.createToken({ name: "remote", scopes: ["tools:call"] });
    const mcp = await mcpServer({ url: h.url, scopes: ["tools:call"] });
    for (let i = 0; i < 5; i++)
      expect((await mcp.call("GET", "/mcp", { token: issued.secret })).status).toBe(200);
    await h.service.flushUsage();
    expect((await h.admin.getToken(issued.token.id)).requestCount).toBe(5);
    await h.admin.updateToken(issued.token.id, { enabled: false });
    expect((await mcp.call("GET", "/mcp", { token: issued.secret })).status).toBe(401);
    await h.admin.updateToken(issued.token.id, { enabled: true });
    expect((await mcp.call("GET", "/mcp", { token: issued.secret })).status).toBe(200);
    await h.admin.deleteToken(issued.token.id);
    expect((await mcp.call("GET", "/mcp", { token: issued.secret })).status).toBe(401);
    expect(mcp.handled).toHaveLength(6);
  });

  it("never admits more than the service did: a 5/min key gets exactly 5 of 20 concurrent requests", async () => {
    await using h = await serviceHarness();
    const issued = await h.admin.createToken({
      name: "five",
      scopes: ["tools:call"],
      rateLimit: { perMinute: 5 },
    });
    const mcp = await mcpServer({ url: h.url, scopes: ["tools:call"] });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        mcp.call("GET", "/mcp", { token: issued.secret }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(mcp.handled).toHaveLength(5);
  });

  it("fails closed with 503 when the service cannot be reached", async () => {
    const mcp = await mcpServer({ url: "http://127.0.0.1:9", scopes: [], timeoutMs: 500 });
    const res = await mcp.call("GET", "/mcp", {
      headers: { authorization: "Bearer mcp_sk_000000000000000000000000000000000000" },
    });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("unavailable");
    expect(mcp.handled).toHaveLength(0);
  });

  it("needs exactly one of url and service", () => {
    expect(() => tokenformAuth({})).toThrow(/exactly one/);
  });
});
