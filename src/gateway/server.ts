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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { Pool } from "undici";
import { type GuardOutcome, McpGuard } from "../mcp/guard.js";
import { errorResponse } from "../mcp/jsonrpc.js";
import { filterToolsResult } from "../mcp/policy.js";
import { type HttpAnswer, jsonAnswer } from "../mcp/refusals.js";
import { type VerifyBackend, type VerifySource, verifyBackend } from "../mcp/verify.js";
import { parseRanges } from "../service/ip.js";
import { silentLogger } from "../service/logger.js";
import { UpstreamCatalog } from "./catalog.js";
import { clientHeaders, upstreamHeaders } from "./headers.js";
import { SseEventStream } from "./sse.js";

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
  /** Proxies (IPs/CIDRs) in front of the gateway whose `X-Forwarded-For` is believed. */
  trustProxy?: string[];
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

function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { ...answer.headers, "Content-Length": Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

/** Starts the gateway. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") {
    throw new Error(`the upstream must be an http(s) URL, not ${options.upstream}`);
  }
  const path = upstream.pathname;
  const logger = options.logger ?? silentLogger();
  const trusted = parseRanges(options.trustProxy ?? []);
  if (trusted.invalid.length > 0) throw new Error(`invalid trusted proxy ${trusted.invalid.join(", ")}`);
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
    trustedProxies: trusted.ranges,
    refusal: options.resourceMetadata === undefined ? {} : { resourceMetadata: options.resourceMetadata },
  });

  /** What to do with each message the upstream sends back in answer to `outcome`'s request. */
  function inspector(outcome: Extract<GuardOutcome, { kind: "allowed" }> | undefined) {
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

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    outcome: Extract<GuardOutcome, { kind: "allowed" }> | undefined,
    note: Note,
  ): Promise<void> {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    let answer: Awaited<ReturnType<Pool["request"]>>;
    try {
      answer = await pool.request({
        path: req.url ?? path,
        method: (req.method ?? "GET") as "GET",
        headers: upstreamHeaders(req.headers, outcome?.key, guard.clientIp(req)),
        body: outcome?.raw ?? null,
        signal: abort.signal,
        headersTimeout: UPSTREAM_HEADERS_TIMEOUT_MS,
        bodyTimeout: 0,
      });
    } catch (error) {
      if (abort.signal.aborted) return;
      logger.warn({ err: error, upstream: upstream.origin }, "the upstream could not be reached");
      send(
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
      return;
    }
    note.upstream = answer.statusCode;
    const type = String(answer.headers["content-type"] ?? "");
    const inspect = inspector(outcome);
    try {
      if (type.includes("text/event-stream")) {
        res.writeHead(answer.statusCode, clientHeaders(answer.headers, true));
        res.flushHeaders();
        await pipeline(answer.body, new SseEventStream(inspect), res);
      } else if (outcome !== undefined && outcome.lists.size > 0 && type.includes("json")) {
        const body = Buffer.from(await answer.body.arrayBuffer());
        const rewritten = body.length <= MAX_JSON_ANSWER ? rewriteJson(body, inspect) : undefined;
        const headers = clientHeaders(answer.headers, rewritten !== undefined);
        res.writeHead(answer.statusCode, headers);
        res.end(rewritten ?? body);
      } else {
        res.writeHead(answer.statusCode, clientHeaders(answer.headers, false));
        await pipeline(answer.body, res);
      }
    } catch (error) {
      if (!abort.signal.aborted) logger.debug({ err: error }, "a stream ended early");
      if (!res.writableEnded) res.destroy();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, note: Note): Promise<void> {
    const target = req.url ?? "/";
    const cut = target.indexOf("?");
    const pathname = cut < 0 ? target : target.slice(0, cut);
    if (pathname !== path) {
      if (pathname === "/healthz" && req.method === "GET") {
        send(res, jsonAnswer(200, { status: "ok", upstream: upstream.href }));
      } else if (pathname === "/register" && req.method === "POST") {
        send(res, guard.registration(req));
      } else {
        send(
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
    const outcome = await guard.check(req);
    if (outcome.kind === "answered" || outcome.kind === "allowed") note.tokenId = outcome.key.id;
    switch (outcome.kind) {
      case "refused":
      case "answered":
        send(res, outcome.answer);
        return;
      case "preflight":
        return forward(req, res, undefined, note);
      case "allowed":
        return forward(req, res, outcome, note);
    }
  }

  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 60_000 }, (req, res) => {
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
    handle(req, res, noted).catch((error: unknown) => {
      logger.error({ err: error }, "request failed");
      send(res, jsonAnswer(500, errorResponse(null, 500, "the gateway failed on this request")));
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_GATEWAY_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
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
