/**
 * What the gateway knows of its upstream's tools: each tool's annotations, learned from the upstream's own
 * `tools/list` — every list that passes through on its way to a client (the gateway sees it before it is
 * filtered), and the gateway's own fetch when it must know: at the first call, after the upstream said
 * `notifications/tools/list_changed`, and when a call names a tool it has not seen (at most once per
 * `unknownRefreshMs`, so calls to made-up names cannot make it hammer the upstream). A gateway serves one
 * upstream and trusts that upstream's annotations; a tool it still does not know counts as writing.
 *
 * The own fetch speaks MCP 2025-11-25 Streamable HTTP: `initialize`, `notifications/initialized`,
 * `tools/list` page by page, then `DELETE` of the session it opened. Hand-written (about fifty lines over
 * undici and the gateway's SSE reader) instead of the SDK's `Client`, which would make the SDK and its
 * dependency tree (express, hono, ajv…) a run-time dependency of the CLI for three requests.
 */
import type { Logger } from "pino";
import { type Dispatcher, request } from "undici";
import type { ToolCatalog } from "../mcp/guard.js";
import type { ToolHints } from "../mcp/methods.js";
import { SseEventStream } from "./sse.js";

/** The protocol revision the catalog's own session asks for (the upstream may answer an older one). */
const PROTOCOL_VERSION = "2025-11-25";
/** How the catalog's own requests introduce themselves to the upstream. */
const USER_AGENT = "tokenform-gateway";
/** Pages of `tools/list` read at most (a loop guard against a cursor that never ends). */
const MAX_PAGES = 100;

export interface UpstreamCatalogOptions {
  /** The upstream MCP endpoint. */
  url: string;
  /** Connection pool to the upstream. */
  dispatcher: Dispatcher;
  /** Headers sent with the catalog's own requests (e.g. the upstream's own credential). */
  headers?: Record<string, string>;
  logger: Logger;
  /** Least time between refreshes asked for by unknown tool names (default 5 s). */
  unknownRefreshMs?: number;
  /** Timeout of one catalog request in ms (default 10 s). */
  timeoutMs?: number;
}

interface ListedTool {
  name?: unknown;
  annotations?: ToolHints | null;
}

export class UpstreamCatalog implements ToolCatalog {
  readonly #options: UpstreamCatalogOptions;
  #tools = new Map<string, ToolHints | undefined>();
  #stale = true;
  #refreshing: Promise<void> | undefined;
  #lastUnknownRefresh = Number.NEGATIVE_INFINITY;
  #nextId = 1;

  constructor(options: UpstreamCatalogOptions) {
    this.#options = options;
  }

  hints(name: string): ToolHints | undefined {
    return this.#tools.get(name);
  }

  /** The tool names known now (for logs and tests). */
  known(): string[] {
    return [...this.#tools.keys()].sort();
  }

  async prepare(names: readonly string[]): Promise<void> {
    const unknown = names.some((name) => !this.#tools.has(name));
    if (!this.#stale && !unknown) return;
    if (!this.#stale) {
      const now = Date.now();
      if (now - this.#lastUnknownRefresh < (this.#options.unknownRefreshMs ?? 5000)) return;
      this.#lastUnknownRefresh = now;
    }
    await this.refresh();
  }

  /** The upstream said its tools changed: fetch them again before the next call is classified. */
  invalidate(): void {
    this.#stale = true;
  }

  /** Tools seen in a `tools/list` result passing through (a page: known tools are added or updated). */
  learn(result: unknown): void {
    const tools = (result as { tools?: unknown } | null)?.tools;
    if (!Array.isArray(tools)) return;
    for (const tool of tools as ListedTool[]) {
      if (typeof tool?.name === "string") this.#tools.set(tool.name, tool.annotations ?? undefined);
    }
  }

  /** Fetches the whole list now (one fetch at a time; callers arriving meanwhile wait for it). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#fetchAll()
      .then((tools) => {
        this.#tools = tools;
        this.#stale = false;
        this.#options.logger.info({ tools: tools.size }, "learned the upstream's tools");
      })
      .catch((error: unknown) => {
        // Unknown tools count as writing until a later fetch succeeds: failing safe, not open.
        this.#options.logger.warn({ err: error }, "could not list the upstream's tools");
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  async #fetchAll(): Promise<Map<string, ToolHints | undefined>> {
    let session: string | undefined;
    const init = await this.#post(
      {
        method: "initialize",
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: "tokenform-gateway", version: "1" },
        },
      },
      undefined,
    );
    session = init.session;
    const version =
      typeof (init.result as { protocolVersion?: unknown })?.protocolVersion === "string"
        ? (init.result as { protocolVersion: string }).protocolVersion
        : PROTOCOL_VERSION;
    try {
      await this.#post({ method: "notifications/initialized" }, session, version);
      const tools = new Map<string, ToolHints | undefined>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const { result } = await this.#post(
          { method: "tools/list", params: cursor === undefined ? {} : { cursor } },
          session,
          version,
        );
        for (const tool of ((result as { tools?: ListedTool[] })?.tools ?? []) as ListedTool[]) {
          if (typeof tool?.name === "string") tools.set(tool.name, tool.annotations ?? undefined);
        }
        const next = (result as { nextCursor?: unknown })?.nextCursor;
        if (typeof next !== "string" || next === "") break;
        cursor = next;
      }
      return tools;
    } finally {
      if (session !== undefined) {
        await request(this.#options.url, {
          method: "DELETE",
          dispatcher: this.#options.dispatcher,
          headers: {
            ...this.#options.headers,
            "user-agent": USER_AGENT,
            "mcp-session-id": session,
            "mcp-protocol-version": version,
          },
        })
          .then((res) => res.body.dump())
          .catch(() => undefined);
      }
    }
  }

  /** Sends one message; for a request, resolves with its result (JSON or SSE answer). */
  async #post(
    message: { method: string; params?: Record<string, unknown> },
    session: string | undefined,
    version?: string,
  ): Promise<{ result: unknown; session: string | undefined }> {
    const isRequest = !message.method.startsWith("notifications/");
    const id = isRequest ? this.#nextId++ : undefined;
    const headers: Record<string, string> = {
      ...this.#options.headers,
      "user-agent": USER_AGENT,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    if (session !== undefined) headers["mcp-session-id"] = session;
    if (version !== undefined) headers["mcp-protocol-version"] = version;
    const res = await request(this.#options.url, {
      method: "POST",
      dispatcher: this.#options.dispatcher,
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", ...(id !== undefined ? { id } : {}), ...message }),
      headersTimeout: this.#options.timeoutMs ?? 10_000,
      bodyTimeout: this.#options.timeoutMs ?? 10_000,
    });
    const sid = res.headers["mcp-session-id"];
    const newSession = typeof sid === "string" ? sid : session;
    if (res.statusCode >= 400) {
      await res.body.dump();
      throw new Error(`${message.method}: the upstream answered HTTP ${res.statusCode}`);
    }
    if (!isRequest) {
      await res.body.dump();
      return { result: undefined, session: newSession };
    }
    const type = String(res.headers["content-type"] ?? "");
    let response: unknown;
    if (type.includes("text/event-stream")) {
      // Read events until our response arrives, then hang up: the server may keep the stream open.
      response = await new Promise<unknown>((resolve, reject) => {
        const events = new SseEventStream((m) => {
          if ((m as { id?: unknown })?.id === id) resolve(m);
          return undefined;
        });
        events.on("error", reject);
        events.on("end", () => reject(new Error(`${message.method}: the stream ended without a response`)));
        events.resume();
        res.body.on("error", reject);
        res.body.pipe(events);
      });
      res.body.destroy();
    } else {
      response = await res.body.json();
    }
    const error = (response as { error?: { message?: string } })?.error;
    if (error) throw new Error(`${message.method}: ${error.message ?? "error"}`);
    return { result: (response as { result?: unknown })?.result, session: newSession };
  }
}
