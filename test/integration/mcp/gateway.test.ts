/**
 * `tokenform gateway` in front of an unguarded SDK MCP server, with the SDK client and mcp-remote as
 * clients and a real token service: refusals never reach the upstream, the upstream never sees a key but
 * learns who called, tools are filtered per key from the upstream's own annotations (refreshed on
 * list_changed and on an unknown tool), SSE progress streams through as it happens, sessions, GET streams
 * and DELETE pass, the rate limit is a ceiling and revocation is immediate, in-process and remote.
 */
import { Writable } from "node:stream";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import type { SecretValue } from "../../../src/api/secret.js";
import { startGateway } from "../../../src/gateway/index.js";
import { createLogger } from "../../../src/service/logger.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { counters, mcpRemoteClient, sdkClient, startMcpHttp } from "../../support/mcp.js";
import { rawRequest, serviceHarness } from "../service/harness.js";

const bearer = (key: SecretValue) => ({ Authorization: `Bearer ${key.reveal()}` });

async function setup(options: { mode?: "service" | "url"; stateful?: boolean; json?: boolean } = {}) {
  const h = await serviceHarness();
  const c = counters();
  const upstream = await startMcpHttp({ stateful: options.stateful ?? true, json: options.json }, c);
  const lines: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  const gateway = await startGateway({
    upstream: upstream.url,
    port: 0,
    logger,
    ...(options.mode === "url" ? { url: h.url } : { service: h.service }),
  });
  const make = async (name: string, extra: object = {}) =>
    (await h.admin.createToken({ name, scopes: ["tools:call"], ...extra })).secret;
  return {
    h,
    c,
    upstream,
    gateway,
    lines,
    make,
    async [Symbol.asyncDispose]() {
      await gateway.close();
      await upstream.close();
      await h[Symbol.asyncDispose]();
    },
  };
}

const names = (list: { tools: { name: string }[] }) => list.tools.map((t) => t.name).sort();
/** Requests the upstream received on a client's behalf (the gateway's own tools/list fetches aside). */
const forwarded = (c: { headers: Record<string, unknown>[] }) =>
  c.headers.filter((h) => h["x-tokenform-token-id"] !== undefined);

describe.each(["service", "url"] as const)("tokenform gateway (%s mode)", (mode) => {
  it("filters tools per key, refuses before the upstream, and names the caller without passing the key", async () => {
    await using s = await setup({ mode });
    const reader = await s.make("alice-cursor-dev");
    const agent = await s.make("deploy-agent", { type: "agent" });
    // A human name with characters a header cannot carry as they are (U+2014, U+00E4).
    const searcher = await s.make("Search Bot — Käse", { type: "agent", tools: ["search_*"] });

    await using r = await sdkClient(s.gateway.url, {
      ...bearer(reader),
      "X-Tokenform-Token-Name": "root",
      Forwarded: "for=198.51.100.7",
      "X-Real-IP": "198.51.100.7",
    });
    expect(names(await r.listTools())).toEqual(["get_status", "search_docs", "slow_report"]);
    expect((await r.callTool({ name: "get_status", arguments: {} })).content).toEqual([
      { type: "text", text: "ok (asked by nobody)" },
    ]);
    const before = forwarded(s.c).length;
    const refused = await r
      .callTool({ name: "restart_service", arguments: { service: "db" } })
      .catch((e: Error) => e);
    expect(refused).toMatchObject({ code: 403 });
    expect((refused as Error).message).toContain("this mcp key is read-only and cannot call restart_service");
    expect(forwarded(s.c)).toHaveLength(before);

    await using a = await sdkClient(s.gateway.url, { "X-API-Key": agent.reveal() });
    expect(names(await a.listTools())).toHaveLength(5);
    await a.callTool({ name: "restart_service", arguments: { service: "db" } });

    await using sb = await sdkClient(s.gateway.url, { Authorization: `Api-Token ${searcher.reveal()}` });
    expect(names(await sb.listTools())).toEqual(["search_docs"]);
    await expect(sb.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 403 });
    expect(s.c.runs).toEqual({ get_status: 1, restart_service: 1 });

    // The upstream saw the caller in X-Tokenform-* headers and never a key, nor the client's own claim.
    const seen = JSON.stringify(s.c.headers);
    for (const key of [reader, agent, searcher]) expect(seen).not.toContain(key.reveal());
    for (const headers of s.c.headers) {
      expect(headers.authorization).toBeUndefined();
      expect(headers["x-api-key"]).toBeUndefined();
    }
    expect(new Set(forwarded(s.c).map((h) => h["x-tokenform-token-name"]))).toEqual(
      new Set(["alice-cursor-dev", "deploy-agent", encodeURIComponent("Search Bot — Käse")]),
    );
    // Address headers the client wrote never reach the upstream; the gateway says who the client is.
    for (const headers of forwarded(s.c)) {
      expect(headers.forwarded).toBeUndefined();
      expect(headers["x-real-ip"]).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    }
    // The gateway's own requests (learning the tools) say who they are and carry no caller.
    expect(
      s.c.headers
        .filter((h) => h["x-tokenform-token-id"] === undefined)
        .every((h) => h["user-agent"] === "tokenform-gateway"),
    ).toBe(true);
    const call = s.c.headers.find(
      (h) => h["x-tokenform-token-name"] === "deploy-agent" && h["mcp-session-id"],
    );
    expect(call).toMatchObject({
      "x-tokenform-token-type": "agent",
      "x-tokenform-account": "default",
      "x-tokenform-token-id": expect.stringMatching(/^tok_/),
    });
    expect(s.lines.join("")).not.toMatch(/mcp_(sk|ag)_[A-Za-z0-9]{36}/);
  });

  it("refuses missing, wrong, disabled, deleted and expired keys with 401; the upstream sees none of them", async () => {
    await using s = await setup({ mode });
    const disabled = await s.make("off", { enabled: false });
    const gone = await s.h.admin.createToken({ name: "gone", scopes: ["tools:call"] });
    await s.h.admin.deleteToken(gone.token.id);
    const expiring = await s.make("soon", { expiresIn: "1h" });
    s.h.clock.advance(2 * 3_600_000);
    for (const headers of [
      {},
      { Authorization: `Bearer ${generateToken("mcp_sk_")}` },
      bearer(disabled),
      bearer(gone.secret),
      bearer(expiring),
    ]) {
      await expect(sdkClient(s.gateway.url, headers as Record<string, string>)).rejects.toMatchObject({
        code: 401,
      });
    }
    expect(forwarded(s.c)).toHaveLength(0);
  });

  it("refuses a deleted or emergency-rolled key on the very next request", async () => {
    await using s = await setup({ mode });
    const issued = await s.h.admin.createToken({ name: "laptop", type: "agent", scopes: ["tools:call"] });
    await using client = await sdkClient(s.gateway.url, bearer(issued.secret));
    await client.callTool({ name: "get_status", arguments: {} });
    const rolled = await s.h.admin.rollToken(issued.token.id, { overlap: "0s" });
    await expect(client.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 401 });
    await using fresh = await sdkClient(s.gateway.url, bearer(rolled.secret));
    await fresh.callTool({ name: "get_status", arguments: {} });
    await s.h.admin.deleteToken(issued.token.id);
    await expect(fresh.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 401 });
    expect(s.c.runs).toEqual({ get_status: 2 });
  });

  it("lets no more requests through than the service admitted under 50 concurrent calls", async () => {
    await using s = await setup({ mode });
    const issued = await s.h.admin.createToken({
      name: "limited",
      type: "agent",
      scopes: ["tools:call"],
      rateLimit: { perMinute: 15 },
    });
    await using client = await sdkClient(s.gateway.url, bearer(issued.secret));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.callTool({ name: "get_status", arguments: {} })),
    );
    await s.h.service.flushUsage();
    expect((await s.h.admin.getToken(issued.token.id)).requestCount).toBe(15);
    expect(forwarded(s.c)).toHaveLength(15);
    const passed = results.filter((r) => r.status === "fulfilled").length;
    expect(s.c.runs.get_status).toBe(passed);
    expect(
      results.every((r) => r.status === "fulfilled" || (r.reason as { code?: number }).code === 429),
    ).toBe(true);
  });
});

describe("tokenform gateway streams and sessions", () => {
  it("streams a slow tool's progress notifications before its result", async () => {
    await using s = await setup();
    const key = await s.make("reader");
    await using client = await sdkClient(s.gateway.url, bearer(key));
    const started = Date.now();
    const progress: number[] = [];
    const result = await client.callTool({ name: "slow_report", arguments: {} }, undefined, {
      onprogress: () => {
        progress.push(Date.now() - started);
      },
    });
    const done = Date.now() - started;
    expect(result.content).toEqual([{ type: "text", text: "report done" }]);
    expect(progress).toHaveLength(3);
    // The tool waits 150 ms after each step: buffered, all three would arrive with the result.
    expect(progress[0]!).toBeLessThan(done - 250);
    expect(progress[1]! - progress[0]!).toBeGreaterThanOrEqual(100);
  });

  it("keeps Mcp-Session-Id, passes the GET stream and the DELETE that ends a session", async () => {
    await using s = await setup();
    const key = await s.make("agent", { type: "agent" });
    const client = await sdkClient(s.gateway.url, bearer(key));
    const transport = client.transport as unknown as {
      sessionId?: string;
      terminateSession(): Promise<void>;
    };
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await client.callTool({ name: "get_status", arguments: {} });
    expect(s.c.headers.filter((h) => h["mcp-session-id"] === transport.sessionId).length).toBeGreaterThan(1);
    await expect.poll(() => s.c.headers.some((h) => h.accept === "text/event-stream")).toBe(true);
    expect(s.upstream.sessions.size).toBe(1); // the gateway ended the session it opened to learn the tools
    await transport.terminateSession();
    await expect.poll(() => s.upstream.sessions.size).toBe(0);
    await client.close();
  });

  it("filters a JSON tools/list answer too, and learns tools added or changed upstream", async () => {
    await using s = await setup({ stateful: false, json: true });
    const reader = await s.make("reader");
    await using client = await sdkClient(s.gateway.url, bearer(reader));
    expect(names(await client.listTools())).toEqual(["get_status", "search_docs", "slow_report"]);
    // A tool the gateway has not seen: it asks the upstream before deciding.
    s.c.extraTools.push("late_report");
    await client.callTool({ name: "late_report", arguments: {} });
    expect(s.c.runs.late_report).toBe(1);
    expect(s.gateway.catalog.known()).toContain("late_report");
  });

  it("fetches the tools again when the upstream says they changed", async () => {
    await using s = await setup();
    const reader = await s.make("reader");
    await using client = await sdkClient(s.gateway.url, bearer(reader));
    await client.callTool({ name: "get_status", arguments: {} });
    // The upstream now declares get_status as writing and tells its sessions.
    s.c.overrides.get_status = { readOnlyHint: false };
    await expect.poll(() => s.c.headers.some((h) => h.accept === "text/event-stream")).toBe(true);
    for (const server of s.upstream.sessions) server.sendToolListChanged();
    await expect
      .poll(async () =>
        client.callTool({ name: "get_status", arguments: {} }).then(
          () => 200,
          (e: { code?: number }) => e.code,
        ),
      )
      .toBe(403);
  });
});

describe("tokenform gateway on the wire", () => {
  it("answers /healthz and /register, refuses other paths, batches, mismatched headers and large bodies", async () => {
    await using s = await setup();
    const base = s.gateway.url.replace(/\/mcp$/, "");
    expect((await rawRequest(base, "GET", "/healthz")).body).toEqual({
      status: "ok",
      upstream: s.upstream.url,
    });
    const register = await rawRequest(base, "POST", "/register", { body: {} });
    expect(register.body.error_description).toContain("No API key was sent");
    expect((await rawRequest(base, "POST", "/other", { body: {} })).status).toBe(404);
    const put = await rawRequest(base, "PUT", "/mcp", { body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("POST, GET, DELETE");
    const reader = await s.make("reader");
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      rawRequest(base, "POST", "/mcp", {
        token: reader,
        body,
        headers: { accept: "application/json, text/event-stream", ...headers },
      });
    const call = (id: number, name: string) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: {} },
    });
    expect((await post([call(1, "get_status"), call(2, "write_note")])).status).toBe(403);
    const mismatch = await post(call(3, "write_note"), {
      "mcp-method": "tools/call",
      "mcp-name": "get_status",
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe(-32020);
    expect((await post(call(4, "x".repeat(5 * 1024 * 1024)))).status).toBe(413);
    expect(forwarded(s.c)).toHaveLength(0);
  });

  it("serves mcp-remote with each header scheme", async () => {
    await using s = await setup();
    const key = await s.make("alice-cursor-dev");
    for (const headers of [
      { Authorization: `Bearer ${key.reveal()}` },
      { "X-API-Key": key.reveal() },
      { Authorization: `Api-Token ${key.reveal()}` },
    ] as Record<string, string>[]) {
      await using client = await mcpRemoteClient(s.gateway.url, headers);
      expect(names(await client.listTools())).toEqual(["get_status", "search_docs", "slow_report"]);
      await client.callTool({ name: "get_status", arguments: {} });
    }
    expect(s.c.runs.get_status).toBe(3);
  });

  it("says 502 in JSON-RPC when the upstream is down", async () => {
    await using s = await setup();
    const key = await s.make("reader");
    await s.upstream.close();
    const res = await request(s.gateway.url, {
      method: "POST",
      headers: { authorization: `Bearer ${key.reveal()}`, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(res.statusCode).toBe(502);
    expect(await res.body.json()).toMatchObject({ id: null, error: { code: 502 } });
  });
});
