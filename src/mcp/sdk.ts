/**
 * `tokenformMcp`: tokenform's guard for an MCP server built with the official TypeScript SDK
 * (`@modelcontextprotocol/sdk`, an optional peer dependency). It is `tokenformAuth` in MCP mode that knows
 * the server's tools:
 *
 * - each tool's annotations come from the server's own registrations (`registerTool(name, { annotations
 *   })`), read live, so a tool added, updated or removed later is seen at once: a read-only key (an `mcp`
 *   key, or `readOnly: true`) may call only tools declaring `readOnlyHint: true`; a tool without
 *   annotations writes (MCP's default);
 * - a protected server answers `tools/list` with only the tools the calling key may call, and refuses a
 *   `tools/call` that did not come through the guard or that the key may not make (a second line behind
 *   the HTTP check, so a mis-wired route fails closed);
 * - the key reaches tool handlers as `extra.authInfo` (`clientId` is the token's name; `extra.tokenform`
 *   the key's id, type, scopes, labels and tool list).
 *
 * Two SDK internals are reached, since no public API exposes them (checked on 1.32): `McpServer`'s tool
 * registry (`_registeredTools`) and the request-handler map of its `Server` (`_requestHandlers`), which a
 * protected server replaces with a map that wraps the `tools/list` and `tools/call` handlers whenever the
 * SDK looks them up — so handlers the SDK installs later (on the first `registerTool`) are wrapped too. The
 * tests run against the real SDK and fail if either moves.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type TokenformAuthHandler, type TokenformAuthOptions, tokenformAuth } from "../middleware/index.js";
import { callerFromAuthInfo } from "./auth-info.js";
import type { ToolCatalog } from "./guard.js";
import { JSONRPC_ERRORS } from "./jsonrpc.js";
import type { ToolHints } from "./methods.js";
import { filterToolsResult, mayCallTool } from "./policy.js";

/** What the helper reads of an SDK `McpServer` (kept structural so SDK minor versions type-check). */
type SdkServer = Pick<McpServer, "server">;

/** A registered tool as the SDK keeps it (the fields read here). */
interface RegisteredToolView {
  annotations?: ToolHints;
  enabled?: boolean;
}

type RequestHandler = (
  request: { params?: Record<string, unknown> },
  extra: { authInfo?: unknown },
) => unknown;

/** Options of `tokenformMcp`: those of `tokenformAuth`, less what the helper decides itself. */
export type TokenformMcpOptions = Omit<TokenformAuthOptions, "protocol" | "tools" | "write">;

/** The middleware, plus `protect` for each further server instance (one per session or per request). */
export type TokenformMcpHandler = TokenformAuthHandler & {
  /** Filters `tools/list` per key on `server` and refuses unguarded tool calls; returns `server`. */
  protect<S extends SdkServer>(server: S): S;
};

function unsupported(what: string): Error {
  return new Error(
    `tokenform/mcp cannot reach ${what} in this @modelcontextprotocol/sdk version; tested with 1.32 (please report the version you use)`,
  );
}

/** The server's tool registry (live). */
function registryOf(server: SdkServer): Record<string, RegisteredToolView> {
  const registry = (server as unknown as { _registeredTools?: unknown })._registeredTools;
  if (registry === null || typeof registry !== "object") throw unsupported("McpServer's tool registry");
  return registry as Record<string, RegisteredToolView>;
}

/** The annotations `server` declares for `name` (undefined for an unknown or disabled tool). */
function hintsOf(server: SdkServer, name: string): ToolHints | undefined {
  const registry = registryOf(server);
  const tool = Object.hasOwn(registry, name) ? registry[name] : undefined;
  return tool && tool.enabled !== false ? tool.annotations : undefined;
}

/** A handler map that wraps `tools/list` and `tools/call` on every lookup (wrappers are made once). */
class GuardedHandlers extends Map<string, RequestHandler> {
  readonly #server: SdkServer;
  readonly #wrapped = new WeakMap<RequestHandler, RequestHandler>();

  constructor(server: SdkServer, entries: Map<string, RequestHandler>) {
    super(entries);
    this.#server = server;
  }

  override get(method: string): RequestHandler | undefined {
    const handler = super.get(method);
    if (handler === undefined || (method !== "tools/list" && method !== "tools/call")) return handler;
    let wrapped = this.#wrapped.get(handler);
    if (wrapped === undefined) {
      wrapped = method === "tools/list" ? this.#list(handler) : this.#call(handler);
      this.#wrapped.set(handler, wrapped);
    }
    return wrapped;
  }

  #list(handler: RequestHandler): RequestHandler {
    return async (request, extra) => {
      const result = await handler(request, extra);
      const caller = callerFromAuthInfo(extra?.authInfo);
      // Not through the guard: show nothing rather than everything.
      return caller ? filterToolsResult(result, caller) : { ...(result as object), tools: [] };
    };
  }

  #call(handler: RequestHandler): RequestHandler {
    return async (request, extra) => {
      const caller = callerFromAuthInfo(extra?.authInfo);
      const name = request.params?.name;
      if (caller === undefined || typeof name !== "string") {
        throw Object.assign(new Error("this tool call did not pass tokenform's guard"), {
          code: JSONRPC_ERRORS.invalidRequest,
        });
      }
      if (!mayCallTool(caller, name, hintsOf(this.#server, name))) {
        throw Object.assign(new Error(`the key ${caller.name} may not call the tool ${name}`), {
          code: JSONRPC_ERRORS.invalidRequest,
        });
      }
      return handler(request, extra);
    };
  }
}

/** Protects one server instance (idempotent). */
function protect<S extends SdkServer>(server: S): S {
  registryOf(server);
  const lowLevel = server.server as unknown as { _requestHandlers?: unknown };
  const handlers = lowLevel._requestHandlers;
  if (handlers instanceof GuardedHandlers) return server;
  if (!(handlers instanceof Map)) throw unsupported("the server's request handlers");
  lowLevel._requestHandlers = new GuardedHandlers(server, handlers as Map<string, RequestHandler>);
  return server;
}

/**
 * The guard for an SDK MCP server. `server` is the instance the tool annotations are read from (it is
 * protected too), or a factory called once for that instance when every session or request builds its
 * own server — then pass each instance through `protect`.
 */
export function tokenformMcp(
  server: SdkServer | (() => SdkServer),
  options: TokenformMcpOptions,
): TokenformMcpHandler {
  const source = typeof server === "function" ? server() : server;
  protect(source);
  const catalog: ToolCatalog = { hints: (name) => hintsOf(source, name) };
  const auth = tokenformAuth({ ...options, protocol: "mcp", tools: catalog });
  return Object.assign(auth, { protect });
}

export type { McpCaller } from "./auth-info.js";
