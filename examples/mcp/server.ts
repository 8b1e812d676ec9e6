/**
 * A complete MCP server built with the official TypeScript SDK (Streamable HTTP), guarded by tokenform:
 * every request is verified by the token service before any server code runs; a read-only key (an `mcp`
 * key) sees and calls only the tools declared `readOnlyHint: true`; each tool knows which token called it.
 *
 *   TOKENFORM_API_URL=http://127.0.0.1:8787 npx tsx examples/mcp/server.ts      # PORT (default 9000)
 *
 * In your own server, import from the package: `import { tokenformMcp } from "tokenform/mcp";` (this
 * example imports the source so it runs from a clone without a build).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { type TokenformMcpOptions, tokenformMcp } from "../../src/mcp/index.js";

/** The server: its tools declare what they do, and tokenform reads those declarations. */
export function buildServer(): McpServer {
  const server = new McpServer({ name: "status-server", version: "1.0.0" });
  server.registerTool(
    "get_status",
    {
      description: "Health of a service",
      inputSchema: { service: z.string() },
      annotations: { readOnlyHint: true },
    },
    async ({ service }, extra) => ({
      // extra.authInfo is the verified key: clientId is the token's name (e.g. alice-cursor-dev).
      content: [{ type: "text", text: `${service} is healthy (asked by ${extra.authInfo?.clientId})` }],
    }),
  );
  server.registerTool(
    "restart_service",
    {
      description: "Restart a service",
      inputSchema: { service: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true },
    },
    async ({ service }, extra) => ({
      content: [{ type: "text", text: `${service} restarted by ${extra.authInfo?.clientId}` }],
    }),
  );
  return server;
}

/** The HTTP server: `/mcp` behind the guard, `/register` for MCP clients that try OAuth after a 401. */
export function createMcpHttpServer(
  options: TokenformMcpOptions,
): Server & { guard: ReturnType<typeof tokenformMcp> } {
  const guard = tokenformMcp(buildServer, options);
  const http = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/register") return guard.registration(req, res);
    if (req.url !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    // The guard has read and checked the body: hand it on as req.body. req.auth carries the key.
    void guard(req, res, async () => {
      const server = guard.protect(buildServer());
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    });
  });
  http.on("close", () => void guard.close());
  return Object.assign(http, { guard });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.TOKENFORM_API_URL ?? "http://127.0.0.1:8787";
  const http = createMcpHttpServer({ url, token: process.env.TOKENFORM_API_TOKEN });
  http.listen(Number(process.env.PORT ?? 9000), "127.0.0.1", () => {
    const { port } = http.address() as AddressInfo;
    console.log(`MCP server at http://127.0.0.1:${port}/mcp (keys verified by ${url})`);
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => http.close());
}
