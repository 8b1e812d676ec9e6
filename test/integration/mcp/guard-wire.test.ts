/**
 * The MCP guard on the wire, with raw HTTP requests against an SDK server guarded by `tokenform/mcp`:
 * JSON-RPC batches, 2026-07-28 `Mcp-Method`/`Mcp-Name` headers, bodies too large or not JSON, the
 * `WWW-Authenticate` challenges, GET streams and CORS preflights, and the `/register` explainer.
 */
import { request } from "undici";
import { describe, expect, it } from "vitest";
import type { TokenformAuthOptions } from "../../../src/middleware/index.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { guardedDemo } from "../../support/mcp.js";
import { rawRequest } from "../service/harness.js";

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const call = (id: number, name: string, args: object = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});
const ACCEPT = { accept: "application/json, text/event-stream" };

async function setup(options: Partial<TokenformAuthOptions> = {}) {
  const demo = await guardedDemo({ stateful: false, json: true, guard: options });
  const { h, mcp } = demo;
  const agent = (await h.admin.createToken({ name: "agent", type: "agent", scopes: ["tools:call"] })).secret;
  const reader = (await h.admin.createToken({ name: "reader", scopes: ["tools:call"] })).secret;
  const base = mcp.url.replace(/\/mcp$/, "");
  const post = (body: unknown, headers: Record<string, string> = {}, token = agent) =>
    rawRequest(base, "POST", "/mcp", { token, body, headers: { ...ACCEPT, ...headers } });
  return Object.assign(demo, { base, agent, reader, post });
}

describe("the MCP guard on the wire", () => {
  it("runs a batch only when every message in it may run", async () => {
    await using s = await setup();
    const mixed = await s.post(
      [call(1, "get_status"), call(2, "restart_service", { service: "db" })],
      {},
      s.reader,
    );
    expect(mixed.status).toBe(403);
    expect(mixed.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { code: 403, data: { code: "read_only_key", reason: "READ_ONLY" } },
    });
    expect(mixed.body.error.message).toContain("cannot call get_status, restart_service");
    expect(s.c.requests).toBe(0);

    const allowed = await s.post([call(1, "get_status"), call(2, "search_docs", { q: "x" })], {}, s.reader);
    expect(allowed.status).toBe(200);
    expect(s.c.runs).toEqual({ get_status: 1, search_docs: 1 });
  });

  it("refuses Mcp-Method / Mcp-Name headers that disagree with the body (HeaderMismatch, 400)", async () => {
    await using s = await setup();
    const mismatch = await s.post(call(7, "restart_service", { service: "db" }), {
      "mcp-method": "tools/call",
      "mcp-name": "get_status",
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: {
        message: `Header mismatch: Mcp-Name header value "get_status" does not match body value "restart_service"`,
        code: -32020,
      },
    });
    const wrongMethod = await s.post(call(8, "get_status"), { "mcp-method": "tools/list" });
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.body.error.code).toBe(-32020);
    const missingName = await s.post(call(9, "get_status"), { "mcp-method": "tools/call" });
    expect(missingName.body.error.message).toBe(
      "Header mismatch: tools/call requires the Mcp-Name header (name)",
    );
    const version = await s.post(
      {
        ...call(10, "get_status"),
        params: { name: "get_status", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
      },
      { "mcp-method": "tools/call", "mcp-name": "get_status", "mcp-protocol-version": "2025-11-25" },
    );
    expect(version.body.error.message).toContain("MCP-Protocol-Version header value");
    expect(s.c.requests).toBe(0);

    // Agreeing headers, one Base64-encoded as the spec allows, pass.
    const encoded = `=?base64?${Buffer.from("get_status").toString("base64")}?=`;
    const ok = await s.post(call(11, "get_status"), { "mcp-method": "tools/call", "mcp-name": encoded });
    expect(ok.status).toBe(200);
    expect(s.c.runs).toEqual({ get_status: 1 });
  });

  it("refuses bodies too large (413) or not JSON-RPC (400) before the server sees them", async () => {
    await using s = await setup({ bodyLimitBytes: 64 * 1024 });
    const big = await s.post(call(1, "search_docs", { q: "x".repeat(100_000) }));
    expect(big.status).toBe(413);
    expect(big.body.error.message).toContain("exceeds the 65536-byte limit");
    const notJson = await s.post("{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe(-32700);
    const notRpc = await s.post({ hello: "world" });
    expect(notRpc.body.error).toMatchObject({ code: -32600 });
    expect(s.c.requests).toBe(0);
  });

  it("sends MCP's challenges: invalid_token on 401, insufficient_scope with the scope on 403", async () => {
    await using s = await setup({
      resourceMetadata: "https://mcp.example.com/.well-known/oauth-protected-resource",
    });
    const missing = await rawRequest(s.base, "POST", "/mcp", { body: INIT, headers: ACCEPT });
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe(
      'Bearer realm="tokenform", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
    );
    const wrong = await rawRequest(s.base, "POST", "/mcp", {
      token: generateToken("mcp_sk_"),
      body: INIT,
      headers: ACCEPT,
    });
    expect(wrong.headers["www-authenticate"]).toBe(
      'Bearer realm="tokenform", error="invalid_token", error_description="the API key is invalid or has been revoked", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
    );
    expect(wrong.body).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: {
        message: "the API key is invalid or has been revoked",
        code: 401,
        data: { code: "invalid_api_key", type: "authentication_error", reason: "NOT_FOUND" },
      },
    });
    const docs = (await s.h.admin.createToken({ name: "docs", type: "agent", scopes: ["resources:read"] }))
      .secret;
    const scope = await s.post(call(2, "get_status"), {}, docs);
    expect(scope.status).toBe(403);
    expect(scope.headers["www-authenticate"]).toBe(
      'Bearer realm="tokenform", error="insufficient_scope", scope="tools:call", error_description="this key lacks the scope tools:call", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
    );
    // A read-only refusal is not a scope problem: no challenge to step up.
    const readOnly = await s.post(call(3, "restart_service", { service: "db" }), {}, s.reader);
    expect(readOnly.status).toBe(403);
    expect(readOnly.headers["www-authenticate"]).toBeUndefined();
  });

  it("needs a key for GET and DELETE, and lets a CORS preflight through untouched", async () => {
    await using s = await setup();
    expect((await rawRequest(s.base, "GET", "/mcp", { headers: ACCEPT })).status).toBe(401);
    expect((await rawRequest(s.base, "DELETE", "/mcp")).status).toBe(401);
    // A server-to-client stream: the guard lets it through; read its status and hang up.
    const stream = await request(`${s.base}/mcp`, {
      headers: { authorization: `Bearer ${s.agent.reveal()}`, accept: "text/event-stream" },
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers["content-type"]).toContain("text/event-stream");
    stream.body.destroy();
    const preflight = await rawRequest(s.base, "OPTIONS", "/mcp", {
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).not.toBe(401);
    // No MCP method: a write, refused to a read-only key before the server sees it.
    const put = await rawRequest(s.base, "PUT", "/mcp", { token: s.reader, body: {} });
    expect(put.status).toBe(403);
    expect(put.body.error.data.code).toBe("read_only_key");
    expect(s.c.requests).toBe(2);
  });

  it("answers POST /register with why the key was refused, in words mcp-remote shows", async () => {
    await using s = await setup();
    const none = await rawRequest(s.base, "POST", "/register", { body: { client_name: "mcp-remote" } });
    expect(none.status).toBe(400);
    expect(none.body.error).toBe("invalid_client_metadata");
    expect(none.body.error_description).toContain("This MCP server uses static API keys, not OAuth");
    expect(none.body.error_description).toContain("No API key was sent");

    const disabled = await s.h.admin.createToken({
      name: "off",
      type: "agent",
      scopes: ["tools:call"],
      enabled: false,
    });
    expect((await s.post(INIT, {}, disabled.secret)).status).toBe(401);
    const told = await rawRequest(s.base, "POST", "/register", { token: disabled.secret, body: {} });
    expect(told.body.error_description).toContain(
      `The API key ${disabled.secret.displayPrefix}… was refused: the API key is disabled.`,
    );
    for (const text of [none.text, told.text]) {
      expect(text).not.toMatch(/Unauthorized|Not Found|404|405/);
      expect(text).not.toContain(disabled.secret.reveal());
    }
  });
});
