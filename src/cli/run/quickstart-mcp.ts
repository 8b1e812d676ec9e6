/**
 * The quickstart's proof: a real MCP exchange. A small MCP server built with the official SDK — one
 * read-only tool (`get_status`) and one destructive tool (`restart_service`) — guarded by `tokenform/mcp`,
 * and the SDK's own client with the delivered key: initialize, tools/list (the destructive tool is not
 * listed for a read-only key), a call of the read-only tool, a refused call of the destructive one, and a
 * key that was never issued. The SDK is loaded only here (an optional peer dependency: the repository has
 * it as a dev dependency).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tokenformMcp } from "../../mcp/sdk.js";
import { CliError } from "../errors.js";

/** One line of the proof. */
export interface ProofStep {
  ok: boolean;
  text: string;
}

async function loadSdk() {
  try {
    const [{ McpServer }, { StreamableHTTPServerTransport }, { Client }, { StreamableHTTPClientTransport }] =
      await Promise.all([
        import("@modelcontextprotocol/sdk/server/mcp.js"),
        import("@modelcontextprotocol/sdk/server/streamableHttp.js"),
        import("@modelcontextprotocol/sdk/client/index.js"),
        import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
      ]);
    return { McpServer, StreamableHTTPServerTransport, Client, StreamableHTTPClientTransport };
  } catch {
    throw new CliError(
      "the quickstart's MCP proof needs the MCP TypeScript SDK",
      1,
      "npm install @modelcontextprotocol/sdk (the repository's npm install includes it)",
    );
  }
}

type Sdk = Awaited<ReturnType<typeof loadSdk>>;

/** The demo MCP server: one read-only tool and one destructive tool; `runs` records what ran. */
function demoServer(sdk: Sdk, runs: string[]) {
  const server = new sdk.McpServer({ name: "quickstart-status", version: "1.0.0" });
  server.registerTool(
    "get_status",
    { description: "Reports service health", annotations: { readOnlyHint: true } },
    async (extra) => {
      runs.push("get_status");
      return {
        content: [{ type: "text", text: `all systems nominal (asked by ${extra.authInfo?.clientId})` }],
      };
    },
  );
  server.registerTool(
    "restart_service",
    { description: "Restarts the service", annotations: { readOnlyHint: false, destructiveHint: true } },
    async () => {
      runs.push("restart_service");
      return { content: [{ type: "text", text: "restarted" }] };
    },
  );
  return server;
}

/** The demo server behind `tokenform/mcp` on a loopback port; `stop` closes the guard and the port. */
async function startGuardedDemo(sdk: Sdk, tokenService: string, runs: string[]) {
  const build = () => demoServer(sdk, runs);
  const guard = tokenformMcp(build, { url: tokenService });
  const http: Server = createServer((req, res) => {
    void guard(req, res, async () => {
      const server = guard.protect(build());
      const transport = new sdk.StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    });
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const stop = async () => {
    await guard.close();
    http.closeAllConnections();
    await new Promise<void>((done) => http.close(() => done()));
  };
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`, stop };
}

/** An MCP error as "<code> <message>", the JSON-RPC message pulled out of the SDK's text. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const message = /"message":"([^"]*)"/.exec(text)?.[1] ?? text;
  return `${typeof code === "number" ? `${code} ` : ""}${message}`;
}

/** The SDK client's exchange with the guarded server, as proof lines. */
async function exchange(sdk: Sdk, url: string, key: string, wrongKey: string, runs: string[]) {
  const steps: ProofStep[] = [];
  const connect = async (secret: string) => {
    const client = new sdk.Client({ name: "tokenform-quickstart", version: "1.0.0" });
    await client.connect(
      new sdk.StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${secret}` } },
      }),
    );
    return client;
  };
  const client = await connect(key);
  steps.push({ ok: true, text: "initialize: connected" });
  const tools = (await client.listTools()).tools.map((t) => t.name);
  steps.push({
    ok: tools.length === 1 && tools[0] === "get_status",
    text: `tools/list: ${tools.join(", ")} (restart_service is hidden from a read-only key)`,
  });
  const status = await client.callTool({ name: "get_status", arguments: {} });
  const text = (status.content as Array<{ text?: string }>)[0]?.text ?? "";
  steps.push({ ok: runs.includes("get_status"), text: `tools/call get_status: "${text}"` });
  const refused = await client.callTool({ name: "restart_service", arguments: {} }).then(
    () => undefined,
    (error: unknown) => error,
  );
  steps.push({
    ok: refused !== undefined && !runs.includes("restart_service"),
    text: `tools/call restart_service: refused before the tool ran (${refused === undefined ? "it ran!" : reason(refused)})`,
  });
  await client.close();
  const wrong = await connect(wrongKey).then(
    async (c) => {
      await c.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  steps.push({
    ok: wrong !== undefined && (wrong as { code?: unknown }).code === 401,
    text: `a well-formed key that was never issued: ${wrong === undefined ? "accepted!" : reason(wrong)}`,
  });
  return steps;
}

/** What the guarded demo server and the client did, as proof lines (all ok on success). */
export async function proveMcp(
  tokenService: string,
  key: string,
  wrongKey: string,
): Promise<{
  url: string;
  steps: ProofStep[];
}> {
  const sdk = await loadSdk();
  const runs: string[] = [];
  const demo = await startGuardedDemo(sdk, tokenService, runs);
  try {
    return { url: demo.url, steps: await exchange(sdk, demo.url, key, wrongKey, runs) };
  } finally {
    await demo.stop();
  }
}
