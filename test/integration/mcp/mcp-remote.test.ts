/**
 * `mcp-remote` (what Claude Desktop and Cursor users run for remote servers with `--header`) as a stdio
 * subprocess, driven by the SDK client, against an SDK server guarded by `tokenform/mcp`: a delivered
 * read-only key works and sees read-only tools only; a refused tool call reaches the client with the
 * guard's reason; a wrong or revoked key shows the server's explanation, not "Dynamic Client Registration
 * rejected (HTTP 404)".
 */
import { describe, expect, it } from "vitest";
import { generateToken } from "../../../src/spec/token-format.js";
import { guardedDemo, mcpRemoteClient } from "../../support/mcp.js";

const setup = () => guardedDemo({ stateful: true });

describe("mcp-remote in front of a guarded SDK server", () => {
  it("works with a read-only key: read-only tools listed and callable, a destructive one refused with the reason", async () => {
    await using s = await setup();
    const key = (await s.h.admin.createToken({ name: "alice-cursor-dev", scopes: ["tools:call"] })).secret;
    await using client = await mcpRemoteClient(s.mcp.url, { Authorization: `Bearer ${key.reveal()}` });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      "get_status",
      "search_docs",
      "slow_report",
    ]);
    const ok = await client.callTool({ name: "get_status", arguments: {} });
    expect(ok.content).toEqual([{ type: "text", text: "ok (asked by alice-cursor-dev)" }]);
    const refused = await client
      .callTool({ name: "restart_service", arguments: { service: "db" } })
      .catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toContain(
      "this mcp key is read-only and cannot call restart_service: only tools the server declares read-only",
    );
    expect(s.c.runs).toEqual({ get_status: 1 });
    expect(client.stderr()).not.toContain(key.reveal());
  });

  it("shows why a wrong key was refused instead of an OAuth registration error", async () => {
    await using s = await setup();
    const wrong = generateToken("mcp_sk_");
    const error = await mcpRemoteClient(s.mcp.url, { Authorization: `Bearer ${wrong}` }).then(
      async (client) => {
        await client[Symbol.asyncDispose]();
        return undefined;
      },
      (e: Error & { stderr?: string }) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const stderr = error?.stderr ?? "";
    expect(stderr).toContain("This MCP server uses static API keys, not OAuth");
    expect(stderr).toContain(
      `The API key ${wrong.slice(0, 11)}… was refused: the API key is invalid or has been revoked.`,
    );
    expect(stderr).not.toContain("(HTTP 404)");
    expect(stderr).not.toContain(wrong);
    expect(s.c.runs).toEqual({});
  });

  it("names the missing scope after mcp-remote's OAuth step-up attempt", async () => {
    await using s = await setup();
    const docs = await s.h.admin.createToken({ name: "docs-bot", type: "agent", scopes: ["resources:read"] });
    await using client = await mcpRemoteClient(s.mcp.url, {
      Authorization: `Bearer ${docs.secret.reveal()}`,
    });
    expect((await client.listTools()).tools).toEqual([]);
    const refused = await client.callTool({ name: "get_status", arguments: {} }).catch((e: Error) => e);
    expect((refused as Error).message).toContain(
      "was refused: this key lacks the scope tools:call. Ask for a key with tools:call.",
    );
    expect(s.c.runs).toEqual({});
  });

  it("tells a client whose key was revoked mid-session why its next call failed", async () => {
    await using s = await setup();
    const issued = await s.h.admin.createToken({ name: "laptop", type: "agent", scopes: ["tools:call"] });
    await using client = await mcpRemoteClient(s.mcp.url, { "X-API-Key": issued.secret.reveal() });
    await client.callTool({ name: "get_status", arguments: {} });
    await s.h.admin.deleteToken(issued.token.id);
    const refused = await client.callTool({ name: "get_status", arguments: {} }).catch((e: Error) => e);
    expect((refused as Error).message).toContain("This MCP server uses static API keys, not OAuth");
    expect((refused as Error).message).toContain("was refused: the API key is invalid or has been revoked");
    expect(s.c.runs).toEqual({ get_status: 1 });
  });
});
