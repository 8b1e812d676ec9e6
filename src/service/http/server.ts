/**
 * The HTTP front of the token service (node:http, no framework): each request is matched to its route
 * (`router.ts`, over the table of src/api/routes.ts), its caller authenticated as the route's access asks
 * (`authenticate.ts`), its inputs read and validated as the route declares them (`request.ts`), and its
 * handler's reply sent — every failure through the one error handler (`reply.ts`). One structured log
 * line per failed request at the default level, per request at debug (headers redacted by the logger;
 * bodies are never logged).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { clientAddress, type ProxyTrust } from "../client-address.js";
import { ServiceError } from "../errors.js";
import { newRequestId } from "../ids.js";
import type { Verifier } from "../verifier.js";
import { type Authenticator, createAuthenticator } from "./authenticate.js";
import { bodyAtHand, readBody } from "./body.js";
import type { ConnectionCap } from "./connections.js";
import type { RequestContext } from "./context.js";
import { send, sendError } from "./reply.js";
import { jsonOf, parseBody, parseIfMatch, readQuery } from "./request.js";
import { createRouter, type Match } from "./router.js";
import type { Route } from "./routes.js";

export interface HttpHandlerOptions {
  routes: Route[];
  verifier: Verifier;
  logger: Logger;
  /** Largest accepted request body in bytes (413 beyond). */
  bodyLimit: number;
  /** Milliseconds a client has to send a body once its headers are in (408 beyond; default 30 s). */
  bodyTimeoutMs?: number;
  /** The per-address connection cap: requests on connections beyond it are refused with 429. */
  connections?: ConnectionCap;
  /** How far `X-Forwarded-For` is believed (client-address.ts). */
  proxyTrust: ProxyTrust;
  /** Let loopback callers without proxy headers use `/v1/verify` without a key. */
  anonymousLoopbackVerify: boolean;
}

/** Declared inputs of a route with none: shared, never written. */
const NO_QUERY: Readonly<Record<string, string | undefined>> = Object.freeze({});

/** Refuses a request on a connection over the per-address cap. */
function checkConnection(req: IncomingMessage, connections: ConnectionCap | undefined): void {
  if (connections?.over(req.socket)) {
    throw new ServiceError(
      "rate_limited",
      `too many connections from your address (at most ${connections.max} at once); reuse or close connections and retry`,
      { Connection: "close", "Retry-After": "1" },
    );
  }
}

/** Largest declared body worth waiting a turn of the event loop for (it nearly always comes in one read). */
const SMALL_BODY = 16 * 1024;

/** A body declared small enough to have come in the read its headers came in. */
function smallBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return length !== undefined && length.length <= 5 && Number(length) <= SMALL_BODY;
}

/**
 * The body, when it came in the same read as its headers: Node's parser hands it to the request only after
 * the request event (and the microtasks it queued) is done, so it is looked for once that read is
 * processed, one turn later (`setImmediate`). Undefined when it is not complete then.
 */
function afterThisRead(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => setImmediate(() => resolve(bodyAtHand(req, limit))));
}

/**
 * Serves one request: route, caller, inputs (If-Match, query, body — in that order, each refused as its
 * own error), handler. Throws what the error handler renders. Nothing is awaited that is already at hand:
 * a caller whose key is cached, a body that came with its headers and a handler that answers from the
 * cache (a verify) are taken as they are, without a promise per step.
 */
async function serve(
  options: HttpHandlerOptions,
  route: (method: string | undefined, pathname: string) => Match,
  authenticate: Authenticator,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  clientIp: string | undefined,
): Promise<void> {
  const target = req.url ?? "/";
  const cut = target.indexOf("?");
  const pathname = cut < 0 ? target : target.slice(0, cut);
  checkConnection(req, options.connections);
  const { route: chosen, params } = route(req.method, pathname);
  const authenticated = authenticate(req, clientIp, chosen.access);
  const actor = authenticated instanceof Promise ? await authenticated : authenticated;
  if (actor) res.locals = { tokenId: actor.tokenId ?? undefined };
  const ifMatch = chosen.ifMatch ? parseIfMatch(req.headers["if-match"], chosen.ifMatchRequired) : undefined;
  const query = chosen.query ? readQuery(cut < 0 ? "" : target.slice(cut + 1), chosen.query) : NO_QUERY;
  let body: unknown;
  let rawBody: Buffer | undefined;
  if (chosen.body) {
    const bytes =
      bodyAtHand(req, options.bodyLimit) ??
      (smallBody(req) ? await afterThisRead(req, options.bodyLimit) : undefined) ??
      (await readBody(req, options.bodyLimit, options.bodyTimeoutMs));
    if (chosen.body.raw) rawBody = bytes;
    const sent = jsonOf(req, bytes);
    body = parseBody(chosen.body.schema, chosen.body.required ? sent : (sent ?? {}));
  }
  const ctx: RequestContext = { req, res, params, query, clientIp, requestId, body, rawBody, ifMatch, actor };
  const reply = chosen.handle(ctx);
  send(res, requestId, reply instanceof Promise ? await reply : reply);
}

/**
 * Logs one line when the response is finished (the access log): at error level for a 5xx, info for any
 * other refusal (4xx: bad keys, scopes, limits, malformed requests stay visible at the default level), and
 * debug for a success — a line per successful request costs about a third of a verify's time, so it is
 * written only when asked for (`--log-level debug`).
 */
function logWhenDone(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  clientIp: string | undefined,
  started: number,
): void {
  res.once("finish", () => {
    const status = res.statusCode;
    const level = status >= 500 ? "error" : status >= 400 ? "info" : "debug";
    logger[level](
      {
        req: {
          id: requestId,
          method: req.method,
          url: req.url,
          headers: req.headers,
          remoteAddress: clientIp,
        },
        res: { statusCode: status },
        tokenId: res.locals?.tokenId,
        responseTime: Math.round((performance.now() - started) * 100) / 100,
      },
      "request completed",
    );
  });
}

/** Builds the `(req, res)` listener of the management API. */
export function createRequestHandler(
  options: HttpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = options;
  const route = createRouter(options.routes);
  const authenticate = createAuthenticator(options);
  // The access log is decided once: at debug every request is followed to its end; at info (the default)
  // only a request that fails is, from the one error handler; a silent logger costs nothing per request.
  const logEvery = logger.isLevelEnabled("debug");
  const logFailures = !logEvery && logger.isLevelEnabled("info");
  return (req, res) => {
    const started = logEvery || logFailures ? performance.now() : 0;
    const requestId = newRequestId();
    const clientIp = clientAddress(
      req.socket.remoteAddress,
      req.headers["x-forwarded-for"],
      options.proxyTrust,
    );
    if (logEvery) logWhenDone(logger, req, res, requestId, clientIp, started);
    serve(options, route, authenticate, req, res, requestId, clientIp).catch((error: unknown) => {
      if (logFailures) logWhenDone(logger, req, res, requestId, clientIp, started);
      sendError(res, requestId, error, logger);
    });
  };
}

declare module "node:http" {
  interface ServerResponse {
    /** Per-request values for the access log (the authenticated token id). */
    locals?: { tokenId?: string };
  }
}
