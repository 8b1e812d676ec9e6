/**
 * `tokenformAuth`: API-key authorization for Node MCP servers, as an `(req, res, next)` handler for plain
 * node:http and Express/Connect-style stacks. It refuses a request before any handler code runs — 401 with
 * `WWW-Authenticate`, 403, 429 with `Retry-After` and `RateLimit-*`, as JSON `{"error": {…}}` — and
 * otherwise hands it on with the verified key attached.
 *
 * What it guards (`protocol`):
 * - `"mcp"` (default): an MCP Streamable HTTP endpoint. The JSON-RPC message(s) of each POST are read
 *   (bounded) and classified per message through one method table (src/mcp/methods.ts): scopes per method,
 *   and read or write — a `tools/call` reads only when the server declares the tool `readOnlyHint: true`
 *   (give the annotations with `tools`, or use `tokenform/mcp`, which learns them from an SDK server). The
 *   parsed body is left on `req.body` (pass it to `transport.handleRequest(req, res, req.body)`: the stream
 *   has been read), and the key on `req.auth` as the SDK's `AuthInfo` (tool handlers see it as
 *   `extra.authInfo`). See src/mcp/guard.ts for the order of checks.
 * - `"http"`: a plain HTTP API. Every request needs `scopes`; it writes unless its method is GET, HEAD or
 *   OPTIONS (or as `write` says).
 *
 * Where keys are verified: `service` (an in-process token service: exact and immediate) or `url` (a remote
 * service's `POST /v1/verify`, asked on every request: revocation is immediate and no more requests pass
 * than the service admitted; with `cacheTtlMs`, positive verdicts are kept and dropped on the service's
 * invalidations — src/mcp/verify.ts). If the service cannot be reached the request is refused with 503.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { SecretValue } from "../api/secret.js";
import { authInfoOf, callerOf, type McpCaller, type SdkAuthInfo } from "../mcp/auth-info.js";
import { credentialRefusal, type GuardOutcome, McpGuard, type ToolCatalog } from "../mcp/guard.js";
import type { ToolHints } from "../mcp/methods.js";
import { apiRefusalAnswer, type HttpAnswer, sendAnswer, unavailableAnswer } from "../mcp/refusals.js";
import { type VerifyBackend, verifyBackend } from "../mcp/verify.js";
import type { VerifiedKey } from "../service/cache.js";
import { type ProxyTrustSetting, proxyTrust } from "../service/client-address.js";
import { credentialFromHeaders } from "../service/credentials.js";
import { readBody } from "../service/http/body.js";
import { rateLimitHeaders } from "../service/http/verdict.js";
import { type SignedRequest, signedPathOf } from "../service/signing.js";
import type { RateLimitState, Verdict, Verifier } from "../service/verifier.js";
import { MAX_MCP_BODY_BYTES } from "../spec/limits.js";

/** What the middleware attaches to `req.tokenform`. */
export interface TokenformAuthInfo {
  /** The verified key (frozen: requests with the same key share it). */
  token: Readonly<McpCaller>;
  /** Rate-limit state after this request, when the key is rate limited. */
  ratelimit?: RateLimitState;
}

declare module "node:http" {
  interface IncomingMessage {
    /** Set by `tokenformAuth` on requests it let through. */
    tokenform?: TokenformAuthInfo;
    /** The body bytes, when `tokenformAuth` read them (MCP POSTs, signed requests). */
    rawBody?: Buffer;
    /** MCP mode: the parsed JSON-RPC body, for `transport.handleRequest(req, res, req.body)`. */
    body?: unknown;
    /** MCP mode: the key as the MCP SDK's `AuthInfo` (tool handlers receive it as `extra.authInfo`). */
    auth?: Readonly<SdkAuthInfo>;
  }
}

export interface TokenformAuthOptions {
  /** Base URL of a remote token service (verifies with `POST /v1/verify` on every request). */
  url?: string;
  /** An in-process token service (anything with a `verifier`) or a `Verifier`. */
  service?: { verifier: Verifier } | Verifier;
  /** Admin key with `tokens:verify` (or `tokens:read`) for remote verification; optional over loopback. */
  token?: string | SecretValue;
  /** What the endpoint speaks: `"mcp"` (default; per-message rules) or `"http"` (per-HTTP-method rule). */
  protocol?: "mcp" | "http";
  /** Scopes every request needs, in addition to the MCP method's (or a function of the request). */
  scopes?: readonly string[] | ((req: IncomingMessage) => readonly string[]);
  /** `http` only: whether the request writes; default any method but GET/HEAD/OPTIONS. */
  write?: boolean | ((req: IncomingMessage) => boolean);
  /**
   * `mcp` only: the server's tool annotations, by tool name (or a catalog). A tool without
   * `readOnlyHint: true` is a write, as MCP's defaults say. `tokenform/mcp` fills this from an SDK server.
   */
  tools?: Readonly<Record<string, ToolHints>> | ToolCatalog;
  /**
   * How far to believe `X-Forwarded-For` (src/service/client-address.ts): `true` for exactly one proxy in
   * front (the client is the rightmost entry), a hop count, a list of proxy addresses/CIDRs, or
   * `false`/absent to use the TCP peer address. A client's own entries never count.
   */
  trustProxy?: ProxyTrustSetting;
  /** `mcp` only: largest POST body in bytes (default 4 MiB; 413 beyond). */
  bodyLimitBytes?: number;
  /** URL of the server's RFC 9728 protected-resource metadata, sent as `resource_metadata` in challenges. */
  resourceMetadata?: string;
  /** Remote mode: verify timeout in ms (default 2000). */
  timeoutMs?: number;
  /**
   * Remote mode: keep positive verdicts this long (ms) and follow the service's invalidations
   * (`GET /v1/invalidations`), so a delete, disable or roll still applies within milliseconds (within 1 s
   * while the stream is down). Cached requests skip the service: they count against neither the key's rate
   * limit nor its usage. Default 0: every request asks the service.
   */
  cacheTtlMs?: number;
  /** Remote mode with `cacheTtlMs`: where losses and restores of the invalidation stream are logged. */
  logger?: Logger;
}

/** `next` as node:http code and Express/Connect stacks call it. */
export type Next = (error?: unknown) => void;
export type TokenformAuthHandler = ((
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) => Promise<void>) & {
  /** Closes the remote mode's connection pool and invalidation stream (nothing to do in `service` mode). */
  close(): Promise<void>;
  /**
   * Answers `POST /register` — mount it at your server's `/register`. MCP clients that meet a 401 try OAuth
   * and end there (mcp-remote shows only that answer's text); it says the server takes API keys, not OAuth,
   * and why the key was refused.
   */
  registration(req: IncomingMessage, res: ServerResponse): void;
};

/** A tool catalog from a plain `name → annotations` record. */
function catalogOf(tools: TokenformAuthOptions["tools"]): ToolCatalog | undefined {
  if (tools === undefined) return undefined;
  if (typeof (tools as ToolCatalog).hints === "function") return tools as ToolCatalog;
  const table = tools as Readonly<Record<string, ToolHints>>;
  return { hints: (name) => (Object.hasOwn(table, name) ? table[name] : undefined) };
}

/** What `req.tokenform` says about a verified key. */
function tokenformInfo(key: VerifiedKey, ratelimit: RateLimitState | undefined): TokenformAuthInfo {
  const token = callerOf(key);
  return ratelimit ? { token, ratelimit } : { token };
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Creates the middleware. Exactly one of `url` / `service` is required. */
export function tokenformAuth(options: TokenformAuthOptions): TokenformAuthHandler {
  const protocol = options.protocol ?? "mcp";
  if (protocol !== "mcp" && protocol !== "http") {
    throw new Error(`protocol must be "mcp" or "http", not ${JSON.stringify(protocol)}`);
  }
  if (protocol === "mcp" && options.write !== undefined) {
    throw new Error(
      '`write` is the plain HTTP rule: pass protocol: "http" with it (MCP decides per message)',
    );
  }
  const backend = verifyBackend(options);
  const trust = proxyTrust(options.trustProxy, "trustProxy");
  const refusal =
    options.resourceMetadata === undefined ? {} : { resourceMetadata: options.resourceMetadata };
  const guard = new McpGuard({
    verify: backend.verify,
    catalog: catalogOf(options.tools),
    scopes: options.scopes,
    bodyLimit: options.bodyLimitBytes,
    proxyTrust: trust,
    refusal,
  });

  const handler = async (req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> => {
    let outcome: GuardOutcome;
    try {
      outcome =
        protocol === "mcp"
          ? await guard.check(req, preread(req))
          : await httpOutcome(req, { options, backend, guard, refusal });
    } catch (error) {
      if (isTooLarge(error)) {
        sendAnswer(res, tooLargeAnswer(error as Error));
        return;
      }
      next(error);
      return;
    }
    switch (outcome.kind) {
      case "refused":
      case "answered":
        sendAnswer(res, outcome.answer);
        return;
      case "preflight":
        next();
        return;
      case "allowed":
        admit(req, res, outcome, protocol);
        next();
    }
  };
  return Object.assign(handler, {
    close: () => backend.close(),
    registration: (req: IncomingMessage, res: ServerResponse) => sendAnswer(res, guard.registration(req)),
  });
}

/** What the `http` protocol's verification works with. */
interface HttpContext {
  options: TokenformAuthOptions;
  backend: VerifyBackend;
  guard: McpGuard;
  refusal: { resourceMetadata?: string };
}

/** The `http` protocol: one verification per request, write by HTTP method. */
async function httpOutcome(req: IncomingMessage, ctx: HttpContext): Promise<GuardOutcome> {
  const { options, backend, guard, refusal } = ctx;
  const credential = credentialFromHeaders(req.headers);
  if (credential.kind !== "key") {
    return { kind: "refused", answer: apiRefusalAnswer(credentialRefusal(credential.kind), refusal) };
  }
  const scopes = typeof options.scopes === "function" ? options.scopes(req) : (options.scopes ?? []);
  const write =
    typeof options.write === "function"
      ? options.write(req)
      : (options.write ?? !READ_METHODS.has((req.method ?? "GET").toUpperCase()));
  const signed = await signedRequestOf(req);
  let verdict: Verdict;
  try {
    verdict = await backend.verify({
      token: credential.key,
      ip: guard.clientIp(req),
      scopes,
      write,
      tools: [],
      ...(signed ? { signed } : {}),
    });
  } catch {
    return { kind: "refused", answer: unavailableAnswer("api") };
  }
  if (!verdict.valid) return { kind: "refused", answer: apiRefusalAnswer(verdict, { ...refusal, scopes }) };
  return { kind: "allowed", key: verdict.token, verdict, messages: [], lists: new Map() };
}

/** The signing headers and body of a request that carries a signature (the body is kept on `rawBody`). */
async function signedRequestOf(req: IncomingMessage): Promise<SignedRequest | undefined> {
  const signature = req.headers["x-mcp-signature"];
  if (signature === undefined) return undefined;
  const body = req.rawBody ?? (await readBody(req, MAX_MCP_BODY_BYTES));
  req.rawBody = body;
  const timestamp = req.headers["x-mcp-timestamp"];
  return {
    timestamp: Array.isArray(timestamp) ? timestamp[0] : timestamp,
    signature: Array.isArray(signature) ? signature[0] : signature,
    method: (req.method ?? "GET").toUpperCase(),
    path: signedPathOf(req),
    body,
  };
}

/** The 413 for a body over the limit. */
function tooLargeAnswer(error: Error): HttpAnswer {
  return {
    status: 413,
    headers: { "Content-Type": "application/json; charset=utf-8", Connection: "close" },
    body: JSON.stringify({
      error: { code: "payload_too_large", message: error.message, type: "invalid_request_error" },
    }),
  };
}

/** Attaches an allowed request's key (and, for MCP, its auth info and parsed body) and rate-limit headers. */
function admit(
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Extract<GuardOutcome, { kind: "allowed" }>,
  protocol: "mcp" | "http",
): void {
  const credential = credentialFromHeaders(req.headers);
  req.tokenform = tokenformInfo(outcome.key, outcome.verdict.ratelimit);
  if (protocol === "mcp") {
    if (credential.kind === "key") req.auth = authInfoOf(outcome.key, credential.key);
    if (outcome.raw !== undefined) {
      req.rawBody = outcome.raw;
      req.body = outcome.body;
    }
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(outcome.verdict.ratelimit)))
    res.setHeader(name, value);
}

/** A body another middleware already read (Express's `express.json()` leaves it on `req.body`). */
function preread(req: IncomingMessage): Buffer | undefined {
  if (req.rawBody !== undefined) return req.rawBody;
  if (req.body !== undefined && req.readableEnded) return Buffer.from(JSON.stringify(req.body));
  return undefined;
}

function isTooLarge(error: unknown): error is Error {
  return (
    error instanceof Error && "code" in error && (error as { code: unknown }).code === "payload_too_large"
  );
}
