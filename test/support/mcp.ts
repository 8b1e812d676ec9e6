/**
 * Real MCP parts for the guard and gateway suites: a demo server built with the official SDK (tools that
 * count their runs, one that streams progress), served over Streamable HTTP — stateful (sessions, GET
 * streams) or stateless — with or without a guard in front; the SDK `Client` over
 * `StreamableHTTPClientTransport`; and `mcp-remote` run as a stdio subprocess, driven by the SDK client.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type TokenformMcpOptions, tokenformMcp } from "../../src/mcp/index.js";
import { type ServiceHarness, serviceHarness } from "../integration/service/harness.js";

/** Tool runs and HTTP requests a demo server saw. */
export interface Counters {
  /** Runs per tool name. */
  runs: Record<string, number>;
  /** Who ran each tool (`extra.authInfo.clientId`), in order. */
  callers: string[];
  /** HTTP requests that reached the MCP endpoint (after any guard). */
  requests: number;
  /** Request headers as the endpoint received them, in order. */
  headers: IncomingMessage["headers"][];
  /** Annotations replacing a demo tool's own, for servers built from now on. */
  overrides: Record<string, { readOnlyHint?: boolean; destructiveHint?: boolean }>;
  /** Extra read-only tools registered on servers built from now on. */
  extraTools: string[];
}

export function counters(): Counters {
  return { runs: {}, callers: [], requests: 0, headers: [], overrides: {}, extraTools: [] };
}

function ran(c: Counters, tool: string, caller: string | undefined) {
  c.runs[tool] = (c.runs[tool] ?? 0) + 1;
  c.callers.push(caller ?? "(none)");
}

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/**
 * The demo server: `get_status` and `search_docs` (read-only), `slow_report` (read-only, progress),
 * `restart_service` (destructive), `write_note` (no annotations: a write by MCP's defaults), a resource and
 * a prompt.
 */
export function demoServer(c: Counters): McpServer {
  const server = new McpServer({ name: "demo", version: "1.0.0" });
  server.registerTool(
    "get_status",
    { description: "Service status", annotations: c.overrides.get_status ?? { readOnlyHint: true } },
    async (extra) => {
      ran(c, "get_status", extra.authInfo?.clientId);
      return text(`ok (asked by ${extra.authInfo?.clientId ?? "nobody"})`);
    },
  );
  server.registerTool(
    "search_docs",
    { description: "Search", inputSchema: { q: z.string() }, annotations: { readOnlyHint: true } },
    async ({ q }, extra) => {
      ran(c, "search_docs", extra.authInfo?.clientId);
      return text(`results for ${q}`);
    },
  );
  server.registerTool(
    "slow_report",
    { description: "A slow report with progress", annotations: { readOnlyHint: true } },
    async (extra) => {
      ran(c, "slow_report", extra.authInfo?.clientId);
      const token = extra._meta?.progressToken;
      for (let step = 1; step <= 3; step++) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: step, total: 3, message: `step ${step}` },
          });
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      return text("report done");
    },
  );
  server.registerTool(
    "restart_service",
    {
      description: "Restarts a service",
      inputSchema: { service: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true },
    },
    async ({ service }, extra) => {
      ran(c, "restart_service", extra.authInfo?.clientId);
      return text(`restarted ${service}`);
    },
  );
  server.registerTool("write_note", { description: "No annotations" }, async (extra) => {
    ran(c, "write_note", extra.authInfo?.clientId);
    return text("noted");
  });
  for (const name of c.extraTools) {
    server.registerTool(name, { annotations: { readOnlyHint: true } }, async (extra) => {
      ran(c, name, extra.authInfo?.clientId);
      return text(name);
    });
  }
  server.registerResource("summary", "status://summary", { description: "Summary" }, async () => ({
    contents: [{ uri: "status://summary", text: "all good" }],
  }));
  server.registerPrompt("summarize", { description: "Summarize" }, async () => ({
    messages: [{ role: "user", content: { type: "text", text: "Summarize the status" } }],
  }));
  return server;
}

/** A middleware in front of the endpoint (tokenformAuth, tokenformMcp). */
type Guard = (req: IncomingMessage, res: ServerResponse, next: () => void) => Promise<void> | void;

export interface McpHttpOptions {
  /** Sessions (initialize → Mcp-Session-Id, GET streams) or a fresh server per request. */
  stateful: boolean;
  /** Runs before the endpoint; refusals end the request there. */
  guard?: Guard;
  /** Applied to every server instance built (e.g. `handler.protect`). */
  protect?: (server: McpServer) => McpServer;
  /** Answer with JSON instead of SSE streams (stateless only). */
  json?: boolean;
  /** Mounted at `POST /register` (the OAuth registration explainer). */
  registration?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface McpHttp extends AsyncDisposable {
  url: string;
  counters: Counters;
  /** Servers of the open sessions (stateful mode). */
  sessions: Set<McpServer>;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  return body === "" ? undefined : JSON.parse(body);
}

/** Serves the demo server at `/mcp` on a loopback port. */
export async function startMcpHttp(options: McpHttpOptions, c: Counters = counters()): Promise<McpHttp> {
  const build = () => (options.protect ? options.protect(demoServer(c)) : demoServer(c));
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const open = new Set<McpServer>();

  async function endpoint(req: IncomingMessage, res: ServerResponse) {
    c.requests++;
    c.headers.push({ ...req.headers });
    const body = req.body !== undefined || req.method !== "POST" ? req.body : await readJson(req);
    if (!options.stateful) {
      const server = build();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: options.json === true,
      });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }
    const sid = req.headers["mcp-session-id"];
    let transport = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (transport === undefined) {
      if (req.method !== "POST" || !isInitializeRequest(body)) {
        res.writeHead(typeof sid === "string" ? 404 : 400, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "no session" } }));
        return;
      }
      const server = build();
      open.add(server);
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, created);
        },
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
        open.delete(server);
      };
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  }

  const server: Server = createServer((req, res) => {
    if (req.url === "/register" && req.method === "POST" && options.registration) {
      options.registration(req, res);
      return;
    }
    if (!req.url?.startsWith("/mcp")) {
      res.writeHead(404);
      res.end();
      return;
    }
    const run = () =>
      endpoint(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      });
    if (options.guard) void options.guard(req, res, run);
    else void run();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const close = async () => {
    for (const t of sessions.values()) await t.close().catch(() => {});
    for (const s of open) await s.close().catch(() => {});
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url, counters: c, sessions: open, close, [Symbol.asyncDispose]: close };
}

export type McpClient = Client & AsyncDisposable;

/** The SDK client connected to `url` with `headers` on every request (rejects when connecting fails). */
export async function sdkClient(url: string, headers: Record<string, string>): Promise<McpClient> {
  const client = new Client({ name: "tokenform-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

const require = createRequire(import.meta.url);
/** mcp-remote's proxy entry point, from this repository's node_modules. */
export const MCP_REMOTE = require.resolve("mcp-remote/dist/proxy.js");

/** What `mcp-remote` printed on stderr (it logs there). */
export interface McpRemoteClient extends McpClient {
  stderr(): string;
}

/**
 * `mcp-remote URL --header …` as a stdio subprocess, driven by the SDK client (as Claude Desktop or
 * Cursor would drive it). Its OAuth state goes to a temp config dir removed on dispose.
 */
export async function mcpRemoteClient(
  url: string,
  headers: Record<string, string>,
): Promise<McpRemoteClient> {
  const configDir = await mkdtemp(join(tmpdir(), "tokenform-mcp-remote-"));
  const args = [MCP_REMOTE, url, "--transport", "http-only"];
  for (const [name, value] of Object.entries(headers)) args.push("--header", `${name}:${value}`);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: "true" },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const client = new Client({ name: "tokenform-test-stdio", version: "1.0.0" });
  const dispose = async () => {
    await client.close().catch(() => {});
    await rm(configDir, { recursive: true, force: true });
  };
  try {
    await client.connect(transport);
  } catch (error) {
    await dispose();
    throw Object.assign(error as Error, { stderr: err });
  }
  return Object.assign(client, { stderr: () => err, [Symbol.asyncDispose]: dispose });
}

/** A real token service, the demo server guarded by `tokenform/mcp` (its `/register` explainer mounted). */
export interface GuardedDemo extends AsyncDisposable {
  h: ServiceHarness;
  c: Counters;
  mcp: McpHttp;
}

export async function guardedDemo(
  options: Omit<McpHttpOptions, "guard" | "protect" | "registration"> & {
    /** Verify in-process (default) or through the service's `/v1/verify`. */
    mode?: "service" | "url";
    /** More options for the guard. */
    guard?: Partial<TokenformMcpOptions>;
  },
): Promise<GuardedDemo> {
  const h = await serviceHarness();
  const c = counters();
  const source = options.mode === "url" ? { url: h.url } : { service: h.service };
  const auth = tokenformMcp(() => demoServer(c), { ...source, ...options.guard });
  const mcp = await startMcpHttp(
    {
      stateful: options.stateful,
      json: options.json,
      guard: auth,
      protect: auth.protect,
      registration: auth.registration,
    },
    c,
  );
  return {
    h,
    c,
    mcp,
    async [Symbol.asyncDispose]() {
      await mcp.close();
      await auth.close();
      await h[Symbol.asyncDispose]();
    },
  };
}
