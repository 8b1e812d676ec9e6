/**
 * `startGateway`: tokenform's guard in front of any MCP server, in any language, unchanged. It serves the
 * upstream's MCP endpoint path on its own port and, per request, decides with the same `McpGuard` as the
 * Node middleware (src/mcp/guard.ts) before anything reaches the upstream:
 *
 * - a refused request is answered here and never forwarded;
 * - an allowed one is forwarded with the client's credential stripped and the caller named in
 *   `X-Tokenform-Token-Id` / `-Name` / `-Type` and `X-Tokenform-Account` (src/gateway/headers.ts);
 * - answers stream back as they arrive: SSE event by event (progress before the result), other bodies
 *   piped; `GET` streams and `DELETE` session ends pass through, `Mcp-Session-Id` both ways;
 * - `tools/list` answers are filtered to the tools the caller may call, with annotations from the
 *   upstream itself (src/gateway/catalog.ts), refreshed on `notifications/tools/list_changed` and on an
 *   unknown tool.
 *
 * Beside the MCP path it answers `GET /healthz` and `POST /register` (the explainer MCP clients reach
 * after a 401: src/mcp/refusals.ts). One JSON log line per request, never a credential.
 */

import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { Pool } from "undici";
import { type GuardOutcome, McpGuard } from "../mcp/guard.js";
import { errorResponse } from "../mcp/jsonrpc.js";
import { filterToolsResult } from "../mcp/policy.js";
import { jsonAnswer, sendAnswer } from "../mcp/refusals.js";
import { type VerifyBackend, type VerifySource, verifyBackend } from "../mcp/verify.js";
import { type ProxyTrustSetting, proxyTrust } from "../service/client-address.js";
import { listen } from "../service/listen.js";
import { silentLogger } from "../service/logger.js";
import { BODY_TIMEOUT_MS, HEADERS_TIMEOUT_MS } from "../spec/limits.js";
import { UpstreamCatalog } from "./catalog.js";
import { clientHeaders, upstreamHeaders } from "./headers.js";
import { SseEventStream } from "./sse.js";

/** HTTP methods the gateway passes on (MCP's three, and CORS preflights). */
const FORWARDED_METHODS = new Set(["POST", "GET", "DELETE", "OPTIONS"]);
/** Default port of `tokenform gateway`. */
export const DEFAULT_GATEWAY_PORT = 8788;
/** Largest JSON answer held to filter a `tools/list` (SSE answers are never held whole). */
const MAX_JSON_ANSWER = 32 * 1024 * 1024;
/** How long the upstream may take to start answering (a JSON answer comes when the tool is done). */
const UPSTREAM_HEADERS_TIMEOUT_MS = 300_000;

export interface GatewayOptions extends VerifySource {
  /** The upstream MCP endpoint, e.g. `http://127.0.0.1:9000/mcp`. */
  upstream: string;
  host?: string;
  /** Port to listen on (default 8788; 0 picks a free one). */
  port?: number;
  logger?: Logger;
  /**
   * How far `X-Forwarded-For` is believed: the proxies (IPs/CIDRs) in front of the gateway, or a hop count
   * (src/service/client-address.ts). Default: not at all.
   */
  trustProxy?: ProxyTrustSetting;
  /** Largest MCP POST body in bytes (default 4 MiB). */
  bodyLimitBytes?: number;
  /** URL of protected-resource metadata to name in `WWW-Authenticate` (none by default). */
  resourceMetadata?: string;
  /** Headers the gateway adds to its own `tools/list` requests (the upstream's own credential, if any). */
  upstreamHeaders?: Record<string, string>;
}

export interface RunningGateway {
  /** The gateway's MCP endpoint, e.g. `http://127.0.0.1:8788/mcp`. */
  url: string;
  host: string;
  port: number;
  catalog: UpstreamCatalog;
  /** Stops accepting requests, ends open streams and closes the upstream pool. Idempotent. */
  close(): Promise<void>;
}

/** What the request log line says about a request, filled in as it is known. */
interface Note {
  tokenId?: string;
  upstream?: number;
}

/** What the gateway's request handling works with. */
interface Gateway {
  upstream: URL;
  /** The MCP endpoint's path, served here as upstream. */
  path: string;
  logger: Logger;
  pool: Pool;
  catalog: UpstreamCatalog;
  guard: McpGuard;
}

/** What to do with each message the upstream sends back in answer to `outcome`'s request. */
function inspector(
  catalog: UpstreamCatalog,
  outcome: Extract<GuardOutcome, { kind: "allowed" }> | undefined,
) {
  return (message: unknown): unknown => {
    const m = message as { method?: unknown; id?: unknown; result?: unknown } | null;
    if (m === null || typeof m !== "object") return undefined;
    if (m.method === "notifications/tools/list_changed") {
      catalog.invalidate();
      return undefined;
    }
    if (outcome === undefined || m.result === undefined) return undefined;
    const kind = outcome.lists.get(m.id as string | number);
    if (kind !== "tools") return undefined;
    catalog.learn(m.result);
    const filtered = filterToolsResult(m.result, outcome.key);
    return filtered === m.result ? undefined : { ...m, result: filtered };
  };
}

/**
 * Forwards an allowed (or preflight) request and streams the answer back. Built on undici's `stream()`,
 * which writes the upstream's body straight into the Writable the factory returns — the client's
 * response itself, or a filter in front of it — with no intermediate stream and no per-request
 * pipeline: a proxy pays this on every message. A client that hangs up aborts the upstream request.
 */
function forward(
  ctx: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Extract<GuardOutcome, { kind: "allowed" }> | undefined,
  note: Note,
): Promise<void> {
  const { pool, path, guard, catalog, logger, upstream } = ctx;
  const signal = new EventEmitter();
  res.once("close", () => {
    if (!res.writableFinished) signal.emit("abort");
  });
  const lists = outcome !== undefined && outcome.lists.size > 0;
  // Change notifications are not tied to a request: servers send them on the GET stream (2025-06-18,
  // 2025-11-25) or a subscriptions/listen answer (2026-07-28); only those are watched for them.
  const listens =
    req.method === "GET" || (outcome?.messages.some((m) => m.method === "subscriptions/listen") ?? false);
  return pool
    .stream(
      {
        path: req.url ?? path,
        method: (req.method ?? "GET") as "GET",
        headers: upstreamHeaders(req.headers, outcome?.key, guard.clientIp(req)),
        body: outcome?.raw ?? null,
        signal,
        headersTimeout: UPSTREAM_HEADERS_TIMEOUT_MS,
        bodyTimeout: 0,
      },
      ({ statusCode, headers }) => {
        note.upstream = statusCode;
        const type = String(headers["content-type"] ?? "");
        if (type.includes("text/event-stream")) {
          res.writeHead(statusCode, clientHeaders(headers, true));
          if (listens) {
            // A long-lived stream may stay quiet: the client should see it open now.
            res.flushHeaders();
            if (!lists) return new ListChangedWatch(res, () => catalog.invalidate());
          }
          if (!lists) return res;
          const events = new SseEventStream(inspector(catalog, outcome));
          events.pipe(res);
          res.once("close", () => events.destroy());
          return events;
        }
        if (lists && type.includes("json"))
          return new JsonAnswerFilter(res, statusCode, headers, inspector(catalog, outcome));
        res.writeHead(statusCode, clientHeaders(headers, false));
        return res;
      },
    )
    .then(
      () => undefined,
      (error: unknown) => {
        if (res.destroyed || (res.writableEnded && !res.headersSent)) return;
        if (res.headersSent) {
          logger.debug({ err: error }, "an answer ended early");
          res.destroy();
          return;
        }
        logger.warn({ err: error, upstream: upstream.origin }, "the upstream could not be reached");
        sendAnswer(
          res,
          jsonAnswer(
            502,
            errorResponse(
              null,
              502,
              "the MCP server behind this gateway could not be reached; try again shortly",
            ),
          ),
        );
      },
    );
}

/** Routes one request: the MCP path through the guard and on to the upstream, /healthz and /register here. */
async function handle(ctx: Gateway, req: IncomingMessage, res: ServerResponse, note: Note): Promise<void> {
  const { path, upstream, guard } = ctx;
  const target = req.url ?? "/";
  const cut = target.indexOf("?");
  const pathname = cut < 0 ? target : target.slice(0, cut);
  if (pathname !== path) {
    if (pathname === "/healthz" && req.method === "GET") {
      sendAnswer(res, jsonAnswer(200, { status: "ok", upstream: upstream.href }));
    } else if (pathname === "/register" && req.method === "POST") {
      sendAnswer(res, guard.registration(req));
    } else {
      sendAnswer(
        res,
        jsonAnswer(404, {
          error: {
            code: "no_route",
            message: `this gateway serves MCP at ${path}`,
            type: "invalid_request_error",
          },
        }),
      );
    }
    return;
  }
  if (!FORWARDED_METHODS.has(req.method ?? "")) {
    sendAnswer(
      res,
      jsonAnswer(
        405,
        {
          error: {
            code: "method_not_allowed",
            message: `MCP uses POST, GET and DELETE; not ${req.method}`,
            type: "invalid_request_error",
          },
        },
        { Allow: "POST, GET, DELETE" },
      ),
    );
    return;
  }
  const outcome = await guard.check(req);
  if (outcome.kind === "answered" || outcome.kind === "allowed") note.tokenId = outcome.key.id;
  switch (outcome.kind) {
    case "refused":
    case "answered":
      sendAnswer(res, outcome.answer);
      return;
    case "preflight":
      return forward(ctx, req, res, undefined, note);
    case "allowed":
      return forward(ctx, req, res, outcome, note);
  }
}

/** Answers one request and writes its log line when it ends. */
function onRequest(ctx: Gateway, req: IncomingMessage, res: ServerResponse): void {
  const { logger } = ctx;
  const started = performance.now();
  const noted: Note = {};
  res.on("close", () => {
    logger.info(
      {
        method: req.method,
        path: (req.url ?? "/").split("?")[0],
        status: res.statusCode,
        tokenId: noted.tokenId,
        upstreamStatus: noted.upstream,
        ms: Math.round((performance.now() - started) * 100) / 100,
      },
      "request",
    );
  });
  handle(ctx, req, res, noted).catch((error: unknown) => {
    logger.error({ err: error }, "request failed");
    sendAnswer(res, jsonAnswer(500, errorResponse(null, 500, "the gateway failed on this request")));
  });
}

/** Starts the gateway. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") {
    throw new Error(`the upstream must be an http(s) URL, not ${options.upstream}`);
  }
  const path = upstream.pathname;
  const logger = options.logger ?? silentLogger();
  const trust = proxyTrust(options.trustProxy, "trustProxy");
  const pool = new Pool(upstream.origin, { connections: 256 });
  const backend: VerifyBackend = verifyBackend(options);
  const catalog = new UpstreamCatalog({
    url: upstream.href,
    dispatcher: pool,
    headers: options.upstreamHeaders,
    logger,
  });
  const guard = new McpGuard({
    verify: backend.verify,
    catalog,
    bodyLimit: options.bodyLimitBytes,
    proxyTrust: trust,
    refusal: options.resourceMetadata === undefined ? {} : { resourceMetadata: options.resourceMetadata },
  });
  const ctx: Gateway = { upstream, path, logger, pool, catalog, guard };

  const server: Server = createServer(
    {
      // The bounds of slow clients are the token service's (src/spec/limits.ts); Node checks them only
      // every connectionsCheckingInterval, 30 s by default, so they would fire up to that late.
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: HEADERS_TIMEOUT_MS + BODY_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => onRequest(ctx, req, res),
  );
  const host = options.host ?? "127.0.0.1";
  await listen(server, options.port ?? DEFAULT_GATEWAY_PORT, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}${path}`;
  // Learn the tools now if the upstream is up; the first call tries again if it is not.
  void catalog.refresh();
  logger.info({ url, upstream: upstream.href }, "gateway listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    catalog,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await pool.close();
        await backend.close();
        logger.info("gateway stopped");
      })();
      return closing;
    },
  };
}

/** The bytes of the notification that says the upstream's tools changed. */
const LIST_CHANGED = Buffer.from("notifications/tools/list_changed");

/**
 * Passes an SSE answer through byte for byte, noticing `notifications/tools/list_changed` on the way
 * (a byte search per chunk, with the tail of the previous chunk for a match split between two).
 */
class ListChangedWatch extends Writable {
  readonly #res: ServerResponse;
  readonly #changed: () => void;
  #tail: Buffer = Buffer.alloc(0);

  constructor(res: ServerResponse, changed: () => void) {
    super();
    this.#res = res;
    this.#changed = changed;
    res.once("close", () => this.destroy());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (chunk.indexOf(LIST_CHANGED) >= 0) this.#changed();
    else if (
      this.#tail.length > 0 &&
      Buffer.concat([this.#tail, chunk.subarray(0, LIST_CHANGED.length)]).indexOf(LIST_CHANGED) >= 0
    ) {
      this.#changed();
    }
    this.#tail = chunk.subarray(Math.max(0, chunk.length - LIST_CHANGED.length + 1));
    if (this.#res.write(chunk)) done();
    else this.#res.once("drain", () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#res.end(() => done());
  }
}

/** Holds a JSON answer whole (bounded), applies `inspect` to its message(s), and sends it on. */
class JsonAnswerFilter extends Writable {
  readonly #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly status: number,
    private readonly headers: Record<string, string | string[] | undefined>,
    private readonly inspect: (message: unknown) => unknown,
  ) {
    super();
    res.once("close", () => this.destroy());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#size += chunk.length;
    if (this.#size > MAX_JSON_ANSWER) {
      done(new Error(`a JSON answer exceeded ${MAX_JSON_ANSWER} bytes`));
      return;
    }
    this.#chunks.push(chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    const body = Buffer.concat(this.#chunks, this.#size);
    const rewritten = rewriteJson(body, this.inspect);
    this.res.writeHead(this.status, clientHeaders(this.headers, rewritten !== undefined));
    this.res.end(rewritten ?? body, () => done());
  }
}

/** A JSON answer (one message or a batch) with `inspect` applied; undefined when nothing changed. */
function rewriteJson(body: Buffer, inspect: (message: unknown) => unknown): Buffer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  let changed = false;
  const apply = (m: unknown) => {
    const replaced = inspect(m);
    if (replaced === undefined) return m;
    changed = true;
    return replaced;
  };
  const out = Array.isArray(parsed) ? parsed.map(apply) : apply(parsed);
  return changed ? Buffer.from(JSON.stringify(out)) : undefined;
}
