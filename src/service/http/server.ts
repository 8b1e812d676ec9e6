/**
 * The HTTP front of the token service (node:http, no framework): routing, authentication of admin keys
 * through the `Verifier`, the one error handler that renders every failure as
 * `{"error": {code, message, type}}` with the status from the shared code table, and one structured log
 * line per request (headers redacted by the logger; bodies are never logged).
 *
 * Who may call `POST /v1/verify`: an admin key of the account with `tokens:verify` or `tokens:read`
 * (verdicts then only ever concern that account's keys), or — when `anonymousLoopbackVerify` is on (the
 * default) — any caller connecting over loopback without proxy headers (`X-Forwarded-For`/`Forwarded`),
 * i.e. a gateway or MCP server on the same host. Loopback requests that came through a reverse proxy are
 * treated as remote.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { API_ERROR_STATUS, errorBody } from "../../api/errors.js";
import { maskSecrets } from "../../api/secret.js";
import { clientAddress, type ProxyTrust } from "../client-address.js";
import { credentialFromHeaders } from "../credentials.js";
import { ServiceError } from "../errors.js";
import { newRequestId } from "../ids.js";
import { isLoopback } from "../ip.js";
import { ADMIN_SCOPES, hasScopes } from "../scopes.js";
import type { Actor } from "../tokens.js";
import type { Verdict, Verifier } from "../verifier.js";
import { ClientGone, isJsonContentType, readBody } from "./body.js";
import type { ConnectionCap } from "./connections.js";
import type { Reply, RequestContext } from "./context.js";
import type { Route, RouteAccess } from "./routes.js";
import { refusalResponse } from "./verdict.js";

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

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  keys: string[];
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_m, key: string) => {
    keys.push(key);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), keys };
}

class Refused extends Error {
  constructor(readonly verdict: Extract<Verdict, { valid: false }>) {
    super(verdict.message);
  }
}

const MALFORMED_HEADER: Extract<Verdict, { valid: false }> = {
  valid: false,
  code: "MALFORMED",
  message:
    "send the key as 'Authorization: Bearer <key>', 'Authorization: Api-Token <key>' or 'X-API-Key: <key>'",
};

const NO_SCOPES: string[] = [];
const REQUIRED_SCOPE: Partial<Record<RouteAccess, string[]>> = {
  read: [ADMIN_SCOPES.read],
  write: [ADMIN_SCOPES.write],
};

/** Builds the `(req, res)` listener of the management API. */
export function createRequestHandler(
  options: HttpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const compiled = options.routes.map(compile);
  const { verifier, logger } = options;

  async function authenticate(
    req: IncomingMessage,
    clientIp: string | undefined,
    access: RouteAccess,
  ): Promise<Actor | undefined> {
    if (access === "public") return undefined;
    const credential = credentialFromHeaders(req.headers);
    if (
      access === "verify" &&
      credential.kind === "missing" &&
      options.anonymousLoopbackVerify &&
      isLoopback(req.socket.remoteAddress) &&
      req.headers["x-forwarded-for"] === undefined &&
      req.headers.forwarded === undefined
    ) {
      return undefined;
    }
    if (credential.kind === "malformed") throw new Refused(MALFORMED_HEADER);
    const input = {
      token: credential.kind === "key" ? credential.key : undefined,
      ip: clientIp,
      scopes: REQUIRED_SCOPE[access] ?? NO_SCOPES,
      write: access === "write",
      // Management calls are not counted against MCP rate limits (see README: rate limits).
      rateLimit: false,
    };
    const verdict = verifier.verifyCached(input) ?? (await verifier.verify(input));
    if (!verdict.valid) throw new Refused(verdict);
    const token = verdict.token;
    if (token.type !== "admin") {
      throw new ServiceError(
        "forbidden",
        `the management API accepts only admin tokens; this is an ${token.type} key`,
      );
    }
    if (
      access === "verify" &&
      !hasScopes(token.scopes, [ADMIN_SCOPES.verify]) &&
      !hasScopes(token.scopes, [ADMIN_SCOPES.read])
    ) {
      throw new ServiceError(
        "insufficient_scope",
        "verifying keys needs the scope tokens:verify or tokens:read",
      );
    }
    return {
      account: token.account,
      name: token.name,
      tokenId: token.id,
      scopes: token.scopes,
      ip: clientIp ?? null,
    };
  }

  function send(res: ServerResponse, requestId: string, reply: Reply): void {
    if (res.headersSent) return;
    const headers: Record<string, string | number> = { "X-Request-Id": requestId, ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const payload = JSON.stringify(reply.body);
    headers["Content-Type"] = "application/json; charset=utf-8";
    headers["Content-Length"] = Buffer.byteLength(payload);
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  /**
   * The one error handler: every failure becomes a JSON error with the status from the code table. Messages
   * and details pass through `maskSecrets`, so no refusal repeats a key (or a near-key) it was sent.
   */
  function fail(res: ServerResponse, requestId: string, error: unknown): void {
    if (error instanceof ClientGone) {
      logger.debug({ requestId }, error.message);
      return;
    }
    if (error instanceof Refused) {
      const refusal = refusalResponse(error.verdict);
      send(res, requestId, { status: refusal.status, headers: refusal.headers, body: refusal.body });
      return;
    }
    if (error instanceof ServiceError) {
      send(res, requestId, {
        status: API_ERROR_STATUS[error.code],
        headers: error.headers,
        body: errorBody(error.code, maskSecrets(error.message), maskDetails(error.details)),
      });
      return;
    }
    logger.error({ err: error, requestId }, "request failed");
    send(res, requestId, {
      status: 500,
      body: errorBody("internal", `internal error; quote request id ${requestId} when reporting it`),
    });
  }

  // Static paths are found with one Map lookup; only paths with parameters are matched by pattern.
  const staticRoutes = new Map<string, CompiledRoute[]>();
  const patternRoutes: CompiledRoute[] = [];
  for (const entry of compiled) {
    if (entry.keys.length > 0) patternRoutes.push(entry);
    else staticRoutes.set(entry.route.path, [...(staticRoutes.get(entry.route.path) ?? []), entry]);
  }

  function find(pathname: string): { candidates: CompiledRoute[]; match: RegExpExecArray | null }[] {
    const exact = staticRoutes.get(pathname);
    if (exact) return [{ candidates: exact, match: null }];
    const found: { candidates: CompiledRoute[]; match: RegExpExecArray | null }[] = [];
    for (const entry of patternRoutes) {
      const match = entry.pattern.exec(pathname);
      if (match) found.push({ candidates: [entry], match });
    }
    return found;
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    clientIp: string | undefined,
  ) {
    // The raw path is matched as sent (no dot-segment resolution: such paths simply match no route).
    const target = req.url ?? "/";
    const cut = target.indexOf("?");
    const pathname = cut < 0 ? target : target.slice(0, cut);
    if (options.connections?.over(req.socket)) {
      throw new ServiceError(
        "rate_limited",
        `too many connections from your address (at most ${options.connections.max} at once); reuse or close connections and retry`,
        { Connection: "close", "Retry-After": "1" },
      );
    }
    const allowed: string[] = [];
    let chosen: CompiledRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const group of find(pathname)) {
      for (const entry of group.candidates) {
        allowed.push(entry.route.method);
        if (chosen === undefined && entry.route.method === req.method) {
          chosen = entry;
          match = group.match;
        }
      }
    }
    if (chosen === undefined) {
      if (allowed.length > 0) {
        throw new ServiceError(
          "method_not_allowed",
          `${req.method} is not allowed here; use ${allowed.join(", ")}`,
          {
            Allow: allowed.join(", "),
          },
        );
      }
      throw new ServiceError("not_found", `no route for ${req.method} ${pathname}`);
    }
    const params: Record<string, string> = {};
    for (let i = 0; i < chosen.keys.length; i++) {
      try {
        params[chosen.keys[i]!] = decodeURIComponent(match![i + 1]!);
      } catch {
        throw new ServiceError("bad_request", `malformed path parameter ${chosen.keys[i]}`);
      }
    }
    let query: URLSearchParams | undefined;
    const ctx: RequestContext = {
      req,
      res,
      params,
      get query() {
        query ??= new URLSearchParams(cut < 0 ? "" : target.slice(cut + 1));
        return query;
      },
      clientIp,
      requestId,
      rawBody: undefined,
      actor: undefined,
      async json() {
        const type = req.headers["content-type"];
        const body = await readBody(req, options.bodyLimit, options.bodyTimeoutMs);
        ctx.rawBody = body;
        if (body.length === 0) return undefined;
        if (!isJsonContentType(type)) {
          throw new ServiceError(
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
          );
        }
        try {
          return JSON.parse(body.toString("utf8"));
        } catch {
          throw new ServiceError("invalid_body", "the request body is not valid JSON");
        }
      },
    };
    if (chosen.route.access !== "public") {
      ctx.actor = await authenticate(req, clientIp, chosen.route.access);
      if (ctx.actor) res.locals = { tokenId: ctx.actor.tokenId ?? undefined };
    }
    send(res, requestId, await chosen.route.handle(ctx));
  }

  // The access log is decided once: a silent logger costs nothing per request.
  const logging = logger.isLevelEnabled("info");
  return (req, res) => {
    const started = logging ? performance.now() : 0;
    const requestId = newRequestId();
    const clientIp = clientAddress(
      req.socket.remoteAddress,
      req.headers["x-forwarded-for"],
      options.proxyTrust,
    );
    if (logging)
      res.on("finish", () => {
        logger.info(
          {
            req: {
              id: requestId,
              method: req.method,
              url: req.url,
              headers: req.headers,
              remoteAddress: clientIp,
            },
            res: { statusCode: res.statusCode },
            tokenId: res.locals?.tokenId,
            responseTime: Math.round((performance.now() - started) * 100) / 100,
          },
          "request completed",
        );
      });
    handle(req, res, requestId, clientIp).catch((error: unknown) => fail(res, requestId, error));
  };
}

/** An error's details with secrets masked (details are plain JSON: issues, conflicts). */
function maskDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  try {
    return JSON.parse(maskSecrets(JSON.stringify(details)));
  } catch {
    return undefined;
  }
}

declare module "node:http" {
  interface ServerResponse {
    /** Per-request values for the access log (the authenticated token id). */
    locals?: { tokenId?: string };
  }
}
