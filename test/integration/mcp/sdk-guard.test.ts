/**
 * MCP servers built with the official SDK, guarded by `tokenformAuth` and `tokenform/mcp`, driven by the
 * SDK's own client over Streamable HTTP against a real token service: read-only keys call read-only tools
 * only and see only those, tool allowlists, every refusal before any tool code runs, the key in
 * `extra.authInfo`, immediate revocation and the rate limit as a ceiling — in-process and remote.
 */
import { describe, expect, it } from "vitest";
import type { SecretValue } from "../../../src/api/secret.js";
import { tokenformAuth } from "../../../src/middleware/index.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { counters, guardedDemo, sdkClient, startMcpHttp } from "../../support/mcp.js";
import { type ServiceHarness, serviceHarness } from "../service/harness.js";

const bearer = (key: SecretValue | string) => ({
  Authorization: `Bearer ${typeof key === "string" ? key : key.reveal()}`,
});

async function keys(h: ServiceHarness) {
  const make = async (body: Parameters<ServiceHarness["admin"]["createToken"]>[0]) =>
    (await h.admin.createToken(body)).secret;
  return {
    /** The seeds' read-only IDE key: type mcp, default scopes of the examples. */
    reader: await make({ name: "alice-cursor-dev", scopes: ["contexts:read", "tools:call"] }),
    agent: await make({ name: "deploy-agent", type: "agent", scopes: ["tools:call"] }),
    noTools: await make({ name: "docs-only", type: "agent", scopes: ["resources:read"] }),
    searcher: await make({ name: "search-bot", type: "agent", scopes: ["tools:call"], tools: ["search_*"] }),
  };
}

const names = (list: { tools: { name: string }[] }) => list.tools.map((t) => t.name).sort();

describe.each([
  { mode: "service" as const, stateful: true },
  { mode: "url" as const, stateful: false },
])("tokenform/mcp in front of an SDK server ($mode mode, stateful: $stateful)", ({ mode, stateful }) => {
  const setup = () => guardedDemo({ mode, stateful });

  it("lets a read-only key call read-only tools only, and lists only those", async () => {
    await using s = await setup();
    const k = await keys(s.h);
    await using reader = await sdkClient(s.mcp.url, bearer(k.reader));
    expect(names(await reader.listTools())).toEqual(["get_status", "search_docs", "slow_report"]);
    const status = await reader.callTool({ name: "get_status", arguments: {} });
    expect(status.content).toEqual([{ type: "text", text: "ok (asked by alice-cursor-dev)" }]);
    for (const [name, args] of [
      ["restart_service", { service: "db" }],
      ["write_note", {}],
    ] as const) {
      const refused = await reader.callTool({ name, arguments: args }).then(
        () => undefined,
        (error: unknown) => error as Error & { code?: number },
      );
      expect(refused?.code).toBe(403);
      expect(refused?.message).toContain(`this mcp key is read-only and cannot call ${name}`);
    }
    expect(s.c.runs).toEqual({ get_status: 1 });

    await using agent = await sdkClient(s.mcp.url, bearer(k.agent));
    expect(names(await agent.listTools())).toEqual([
      "get_status",
      "restart_service",
      "search_docs",
      "slow_report",
      "write_note",
    ]);
    await agent.callTool({ name: "restart_service", arguments: { service: "db" } });
    expect(s.c.runs.restart_service).toBe(1);
    expect(s.c.callers).toEqual(["alice-cursor-dev", "deploy-agent"]);
  });

  it("narrows a key to its tool allowlist and gives a key without tools:call an empty list", async () => {
    await using s = await setup();
    const k = await keys(s.h);
    await using searcher = await sdkClient(s.mcp.url, bearer(k.searcher));
    expect(names(await searcher.listTools())).toEqual(["search_docs"]);
    await searcher.callTool({ name: "search_docs", arguments: { q: "x" } });
    const refused = await searcher.callTool({ name: "get_status", arguments: {} }).catch((e: Error) => e);
    expect(refused).toMatchObject({ code: 403 });
    expect((refused as Error).message).toContain(
      "this key may not call the tool get_status (it may call: search_*)",
    );
    expect((refused as Error).message).toContain('"code":"tool_not_allowed"');

    await using docsOnly = await sdkClient(s.mcp.url, bearer(k.noTools));
    expect((await docsOnly.listTools()).tools).toEqual([]);
    expect((await docsOnly.readResource({ uri: "status://summary" })).contents).toHaveLength(1);
    const noCall = await docsOnly.callTool({ name: "get_status", arguments: {} }).catch((e: Error) => e);
    expect(noCall).toMatchObject({ code: 403 });
    expect((noCall as Error).message).toContain("this key lacks the scope tools:call");
    expect(s.c.runs).toEqual({ search_docs: 1 });
  });

  it("refuses missing, wrong, disabled, deleted and expired keys with 401 before any server code", async () => {
    await using s = await setup();
    const make = async (name: string, extra: object = {}) =>
      s.h.admin.createToken({ name, type: "agent", scopes: ["tools:call"], ...extra });
    const disabled = await make("disabled", { enabled: false });
    const deleted = await make("deleted");
    await s.h.admin.deleteToken(deleted.token.id);
    const expiring = await make("expiring", { expiresIn: "1h" });
    s.h.clock.advance(2 * 3_600_000);
    const wrong = generateToken("mcp_sk_");
    const cases: Array<[string, Record<string, string>, string]> = [
      ["missing", {}, "no API key was sent"],
      ["malformed", { Authorization: "Token abc" }, "send the key as"],
      ["never issued", bearer(wrong), "the API key is invalid or has been revoked"],
      ["one character off", bearer(`${wrong.slice(0, -1)}x`), "checksum does not match"],
      ["disabled", bearer(disabled.secret), "the API key is disabled"],
      ["deleted", bearer(deleted.secret), "the API key is invalid or has been revoked"],
      ["expired", bearer(expiring.secret), "the API key has expired"],
    ];
    for (const [label, headers, text] of cases) {
      const error = await sdkClient(s.mcp.url, headers).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: number },
      );
      expect(error?.code, label).toBe(401);
      expect(error?.message, label).toContain(text);
    }
    expect(s.c.requests).toBe(0);
    expect(s.c.runs).toEqual({});
  });

  it("takes the key from Bearer, Api-Token and X-API-Key headers", async () => {
    await using s = await setup();
    const k = await keys(s.h);
    for (const headers of [
      { Authorization: `Bearer ${k.reader.reveal()}` } as Record<string, string>,
      { Authorization: `Api-Token ${k.reader.reveal()}` },
      { "X-API-Key": k.reader.reveal() },
    ]) {
      await using client = await sdkClient(s.mcp.url, headers);
      await client.callTool({ name: "get_status", arguments: {} });
    }
    expect(s.c.runs.get_status).toBe(3);
  });

  it("refuses a deleted, disabled or emergency-rolled key on the very next request; honours a roll's overlap", async () => {
    await using s = await setup();
    const issued = await s.h.admin.createToken({ name: "ide", type: "agent", scopes: ["tools:call"] });
    await using client = await sdkClient(s.mcp.url, bearer(issued.secret));
    await client.callTool({ name: "get_status", arguments: {} });

    // A roll with an overlap: old and new keys both work.
    const rolled = await s.h.admin.rollToken(issued.token.id, { overlap: "1h" });
    await client.callTool({ name: "get_status", arguments: {} });
    await using fresh = await sdkClient(s.mcp.url, bearer(rolled.secret));
    await fresh.callTool({ name: "get_status", arguments: {} });

    // An emergency roll: the previous key stops at once.
    const emergency = await s.h.admin.rollToken(issued.token.id, { overlap: "0s" });
    await expect(fresh.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 401 });
    await using latest = await sdkClient(s.mcp.url, bearer(emergency.secret));
    await latest.callTool({ name: "get_status", arguments: {} });

    await s.h.admin.updateToken(issued.token.id, { enabled: false });
    await expect(latest.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 401 });
    await s.h.admin.updateToken(issued.token.id, { enabled: true });
    await latest.callTool({ name: "get_status", arguments: {} });
    await s.h.admin.deleteToken(issued.token.id);
    await expect(latest.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 401 });
    expect(s.c.runs.get_status).toBe(5);
  });

  it("admits exactly the rate limit under 50 concurrent calls: no more requests pass than the service admitted", async () => {
    await using s = await setup();
    const limit = 12;
    const issued = await s.h.admin.createToken({
      name: "limited",
      type: "agent",
      scopes: ["tools:call"],
      rateLimit: { perMinute: limit },
    });
    await using client = await sdkClient(s.mcp.url, bearer(issued.secret));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.callTool({ name: "get_status", arguments: {} })),
    );
    const passed = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.flatMap((r) =>
      r.status === "rejected" ? [r.reason as Error & { code?: number }] : [],
    );
    await s.h.service.flushUsage();
    const token = await s.h.admin.getToken(issued.token.id);
    // The handshake (initialize, initialized, the client's GET stream) counts too: one request, one count.
    expect(token.requestCount).toBe(limit);
    expect(s.c.requests).toBe(limit);
    expect(passed).toBeGreaterThan(0);
    expect(s.c.runs.get_status).toBe(passed);
    expect(refused).toHaveLength(50 - passed);
    expect(refused.every((e) => e.code === 429)).toBe(true);
    expect(refused[0]?.message).toContain("rate limit of 12 requests exceeded");
  });
});

describe("tokenformAuth with no options but the service, in front of an SDK server", () => {
  it("lets a default mcp key initialize, list and read, and counts an unannotated tool call as a write", async () => {
    await using h = await serviceHarness();
    const c = counters();
    const auth = tokenformAuth({ url: h.url });
    await using mcp = await startMcpHttp({ stateful: true, guard: auth }, c);
    const reader = (
      await h.admin.createToken({ name: "alice-cursor-dev", scopes: ["tools:call", "resources:read"] })
    ).secret;
    await using client = await sdkClient(mcp.url, bearer(reader));
    expect((await client.listTools()).tools.length).toBe(5);
    expect((await client.readResource({ uri: "status://summary" })).contents).toHaveLength(1);
    // Without the server's annotations the guard cannot know get_status reads: MCP's default says write.
    await expect(client.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 403 });
    expect(c.runs).toEqual({});
    await auth.close();

    // Given the annotations, the same key calls the read-only tool.
    const annotated = tokenformAuth({ url: h.url, tools: { get_status: { readOnlyHint: true } } });
    await using mcp2 = await startMcpHttp({ stateful: true, guard: annotated }, c);
    await using client2 = await sdkClient(mcp2.url, bearer(reader));
    await client2.callTool({ name: "get_status", arguments: {} });
    expect(c.runs).toEqual({ get_status: 1 });
    await annotated.close();
  });
});
