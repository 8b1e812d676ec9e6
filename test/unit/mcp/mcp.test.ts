/**
 * The pure pieces of the MCP guard: the method table's classification, JSON-RPC parsing, the 2026-07-28
 * header checks, tool allowlist matching, the per-tool policy and list filtering, and the refusal texts
 * (which must avoid the words mcp-remote reacts to).
 */
import { describe, expect, it } from "vitest";
import { VERIFY_CODES } from "../../../src/api/schemas.js";
import { decodeHeaderValue, headerMismatch } from "../../../src/mcp/headers.js";
import { parseMessages } from "../../../src/mcp/jsonrpc.js";
import { classifyMessage, METHOD_TABLE, ruleFor, UNKNOWN_METHOD } from "../../../src/mcp/methods.js";
import { emptyListResult, filterToolsResult, mayCallTool } from "../../../src/mcp/policy.js";
import { challengeFor, refusalAnswer, registrationAnswer } from "../../../src/mcp/refusals.js";
import { normaliseTools, toolAllowed } from "../../../src/spec/tools.js";

const HINTS: Record<string, { readOnlyHint?: boolean }> = {
  get_status: { readOnlyHint: true },
  restart: { readOnlyHint: false },
};
const hints = (name: string) => HINTS[name];

describe("the MCP method table", () => {
  it("reads everything but tools/call of a tool not declared read-only, and unknown methods", () => {
    const cases: Array<[object, { scopes: string[]; write: boolean; tool?: string }]> = [
      [
        { method: "initialize", id: 1 },
        { scopes: [], write: false },
      ],
      [{ method: "notifications/initialized" }, { scopes: [], write: false }],
      [{ method: "notifications/cancelled" }, { scopes: [], write: false }],
      [
        { method: "ping", id: 2 },
        { scopes: [], write: false },
      ],
      [
        { method: "tools/list", id: 3 },
        { scopes: ["tools:call"], write: false },
      ],
      [
        { method: "tools/call", id: 4, params: { name: "get_status" } },
        { scopes: ["tools:call"], write: false, tool: "get_status" },
      ],
      [
        { method: "tools/call", id: 5, params: { name: "restart" } },
        { scopes: ["tools:call"], write: true, tool: "restart" },
      ],
      [
        { method: "tools/call", id: 6, params: { name: "unknown" } },
        { scopes: ["tools:call"], write: true, tool: "unknown" },
      ],
      [
        { method: "tools/call", id: 7, params: {} },
        { scopes: ["tools:call"], write: true, tool: "" },
      ],
      [
        { method: "resources/read", id: 8, params: { uri: "x://y" } },
        { scopes: ["resources:read"], write: false },
      ],
      [
        { method: "resources/templates/list", id: 9 },
        { scopes: ["resources:read"], write: false },
      ],
      [
        { method: "prompts/get", id: 10, params: { name: "p" } },
        { scopes: ["prompts:get"], write: false },
      ],
      [
        { method: "completion/complete", id: 11, params: { ref: { type: "ref/resource", uri: "x://{id}" } } },
        { scopes: ["resources:read"], write: false },
      ],
      [
        { method: "completion/complete", id: 12, params: { ref: { type: "ref/prompt", name: "p" } } },
        { scopes: ["prompts:get"], write: false },
      ],
      [
        { method: "tasks/get", id: 13, params: { taskId: "t" } },
        { scopes: ["tools:call"], write: false },
      ],
      [
        { method: "acme/deploy", id: 14 },
        { scopes: [], write: true },
      ],
      [
        { id: 15, result: {} },
        { scopes: [], write: false },
      ],
    ];
    for (const [message, expected] of cases) {
      const needs = classifyMessage(message, hints);
      expect(
        {
          scopes: [...needs.scopes],
          write: needs.write,
          ...(needs.tool !== undefined ? { tool: needs.tool } : {}),
        },
        JSON.stringify(message),
      ).toEqual(expected);
    }
    expect(ruleFor("something/else")).toBe(UNKNOWN_METHOD);
    // Every list method names the list its result holds.
    for (const [method, rule] of Object.entries(METHOD_TABLE)) {
      if (method.endsWith("/list") && !method.startsWith("tasks/")) expect(rule.list, method).toBeDefined();
    }
  });
});

describe("JSON-RPC bodies", () => {
  it("parses one message or a batch, and refuses what is not JSON-RPC", () => {
    expect(parseMessages('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toMatchObject({
      ok: true,
      batch: false,
    });
    expect(
      parseMessages('[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","id":2,"result":{}}]'),
    ).toMatchObject({
      ok: true,
      batch: true,
    });
    expect(parseMessages("{oops")).toMatchObject({ ok: false, code: -32700 });
    expect(parseMessages("[]")).toMatchObject({ ok: false, code: -32600 });
    expect(parseMessages('{"id":1,"method":"ping"}')).toMatchObject({
      ok: false,
      message: 'Invalid Request: the message lacks "jsonrpc": "2.0"',
    });
    expect(parseMessages('{"jsonrpc":"2.0","id":{},"method":"ping"}')).toMatchObject({
      ok: false,
      code: -32600,
    });
    expect(parseMessages('{"jsonrpc":"2.0","id":1,"method":"x","params":3}')).toMatchObject({
      ok: false,
      code: -32600,
    });
    expect(parseMessages('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0"}]')).toMatchObject({
      ok: false,
      message: "Invalid Request: message 2 of the batch is neither a request, a notification nor a response",
    });
  });
});

describe("Mcp-Method and Mcp-Name headers", () => {
  const msg = { jsonrpc: "2.0" as const, id: 1, method: "tools/call", params: { name: "get_status" } };
  it("accept agreeing headers, plain or Base64-encoded, and refuse the rest", () => {
    expect(headerMismatch({}, [msg], false)).toBeUndefined();
    expect(
      headerMismatch({ "mcp-method": "tools/call", "mcp-name": "get_status" }, [msg], false),
    ).toBeUndefined();
    expect(
      headerMismatch(
        {
          "mcp-method": "tools/call",
          "mcp-name": `=?base64?${Buffer.from("get_status").toString("base64")}?=`,
        },
        [msg],
        false,
      ),
    ).toBeUndefined();
    expect(headerMismatch({ "mcp-method": "tools/list" }, [msg], false)).toMatch(
      /Mcp-Method header value "tools\/list"/,
    );
    expect(headerMismatch({ "mcp-method": "tools/call", "mcp-name": "other" }, [msg], false)).toMatch(
      /Mcp-Name header value "other"/,
    );
    expect(headerMismatch({ "mcp-name": "get_status" }, [msg], false)).toBe(
      "Header mismatch: Mcp-Name was sent without Mcp-Method",
    );
    expect(
      headerMismatch({ "mcp-method": "tools/call", "mcp-name": "=?base64?%%%?=" }, [msg], false),
    ).toMatch(/not valid/);
    expect(headerMismatch({ "mcp-method": "tools/call" }, [msg, msg], true)).toMatch(/not a batch/);
    expect(
      headerMismatch(
        { "mcp-method": "ping", "mcp-name": "x" },
        [{ jsonrpc: "2.0", id: 2, method: "ping" }],
        false,
      ),
    ).toMatch(/names no target/);
  });

  it("decodes the sentinel form strictly", () => {
    expect(decodeHeaderValue("plain")).toBe("plain");
    expect(decodeHeaderValue(`=?base64?${Buffer.from("Hello, 世界").toString("base64")}?=`)).toBe(
      "Hello, 世界",
    );
    expect(decodeHeaderValue("=?base64?SGVsbG8?=")).toBeUndefined(); // unpadded: not canonical
    expect(decodeHeaderValue("=?base64?broken")).toBeUndefined();
  });
});

describe("tool allowlists and the per-tool policy", () => {
  it("match names exactly or by * pattern, case-sensitively", () => {
    expect(toolAllowed(null, "anything")).toBe(true);
    expect(toolAllowed([], "anything")).toBe(false);
    expect(toolAllowed(["search_*"], "search_docs")).toBe(true);
    expect(toolAllowed(["search_*"], "search_")).toBe(true);
    expect(toolAllowed(["search_*"], "Search_docs")).toBe(false);
    expect(toolAllowed(["*_read", "get.status"], "db_read")).toBe(true);
    expect(toolAllowed(["get.status"], "getXstatus")).toBe(false);
    expect(toolAllowed(["ns/*"], "ns/a/b")).toBe(true);
    expect(normaliseTools(["b", "a", "b"])).toEqual(["a", "b"]);
    expect(normaliseTools(undefined)).toBeNull();
  });

  it("lists exactly the tools a key may call", () => {
    const readOnly = { type: "mcp" as const, scopes: ["tools:call"], readOnly: true, tools: null };
    const agent = {
      type: "agent" as const,
      scopes: ["tools:*"],
      readOnly: false,
      tools: ["get_*", "restart"],
    };
    const noScope = { type: "agent" as const, scopes: ["resources:read"], readOnly: false, tools: null };
    const result = {
      tools: [
        { name: "get_status", annotations: { readOnlyHint: true } },
        { name: "get_logs" },
        { name: "restart", annotations: { readOnlyHint: false, destructiveHint: true } },
        { name: "search" },
      ],
      nextCursor: "c2",
    };
    const names = (key: typeof readOnly | typeof agent) =>
      (filterToolsResult(result, key) as typeof result).tools.map((t) => t.name);
    expect(names(readOnly)).toEqual(["get_status"]);
    expect(names(agent)).toEqual(["get_status", "get_logs", "restart"]);
    expect((filterToolsResult(result, agent) as typeof result).nextCursor).toBe("c2");
    expect(mayCallTool(noScope, "get_status", { readOnlyHint: true })).toBe(false);
    const cacheable = { ...result, ttlMs: 60_000, cacheScope: "public" };
    expect(filterToolsResult(cacheable, readOnly)).toMatchObject({ cacheScope: "private" });
    expect(emptyListResult("tools", "2025-11-25")).toEqual({ tools: [] });
    expect(emptyListResult("prompts", "2026-07-28")).toEqual({
      prompts: [],
      ttlMs: 0,
      cacheScope: "private",
    });
  });
});

describe("refusals", () => {
  it("never use the words mcp-remote reacts to, and quote challenge parameters safely", () => {
    for (const code of VERIFY_CODES) {
      if (code === "VALID") continue;
      const answer = refusalAnswer(
        { valid: false, code, message: `refused (${code})` },
        { scopes: ["tools:call"], id: 1 },
      );
      expect(answer.body, code).not.toMatch(/Unauthorized|Not Found|404|405/);
      expect(answer.status, code).toBeGreaterThanOrEqual(401);
    }
    for (const sent of [true, false]) {
      expect(registrationAnswer(sent, undefined).body).not.toMatch(/Unauthorized|Not Found|404|405/);
    }
    expect(challengeFor({ valid: false, code: "DISABLED", message: 'say "hi"\nthere' }, {})).toBe(
      'Bearer realm="tokenform", error="invalid_token", error_description="say \\"hi\\" there"',
    );
    expect(challengeFor({ valid: false, code: "READ_ONLY", message: "no" }, {})).toBeUndefined();
    expect(challengeFor({ valid: false, code: "MISSING", message: "none" }, {})).toBe(
      'Bearer realm="tokenform"',
    );
  });
});
