/**
 * `tokenformAuth`: API-key authentication for Node MCP servers, as an `(req, res, next)` handler that works
 * with plain node:http and with Express/Connect-style stacks. It refuses a request — 401 (with
 * `WWW-Authenticate`), 403, 429 (with `Retry-After` and `RateLimit-*`) as JSON `{"error": {…}}` — before any
 * handler code runs, and attaches the verified key to `req.tokenform` otherwise.
 *
 * Two modes:
 * - `service`: an in-process token service (or its `Verifier`): exact and immediate, no network.
 * - `url`: a remote token service's `POST /v1/verify` (with `token`, an admin key holding `tokens:verify`,
 *   or without one over loopback). A short cache removes the verify round trip from the request path with
 *   bounded staleness: only positive verdicts are cached, for at most `cacheTtlMs` (≤ 5 s, default 5 s),
 *   and every request served from the cache still sends its verify to the service in the background, so
 *   rate-limit counting, usage and revocation stay remote. A cached verdict is also spent like a budget:
 *   it serves at most the `ratelimit.remaining` requests the service said were left, then the next
 *   request waits for the service again — so this middleware never admits more than the service's limit
 *   (other clients of the same key can still use up the quota meanwhile). A background verdict that
 *   refuses the key evicts it at once; so a disabled or deleted key is admitted at most for requests that
 *   arrive while one background check is in flight, and never more than 5 s after the service last said
 *   yes. Signed requests are never cached (each signature is single-use). If the service cannot be
 *   reached the request is refused with 503 (fail closed).
 *
 * Signed requests: when a request carries `X-MCP-Signature`, the middleware reads the body to check the
 * signature and leaves the bytes on `req.rawBody` (the stream is consumed, so handlers read that instead).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { TokenformClient } from "../api/client.js";
import { errorBody } from "../api/errors.js";
import type { VerifyResponse } from "../api/schemas.js";
import type { SecretValue } from "../api/secret.js";
import { credentialFromHeaders } from "../service/credentials.js";
import { readBody } from "../service/http/body.js";
import { type HttpRefusal, rateLimitHeaders, refusalResponse } from "../service/http/verdict.js";
import { clientAddress, type IpRange, parseRanges } from "../service/ip.js";
import type { SignedRequest } from "../service/signing.js";
import type { RateLimitState, Verdict, Verifier } from "../service/verifier.js";

/** The longest a positive remote verdict may be reused. */
export const MAX_CACHE_TTL_MS = 5000;
/** Cached verdicts kept at most (oldest evicted first). */
const MAX_CACHE_ENTRIES = 10_000;
/** Largest body read to check a signature. */
const SIGNED_BODY_LIMIT = 1024 * 1024;

/** What the middleware attaches to `req.tokenform`. */
export interface TokenformAuthInfo {
  token: {
    id: string;
    name: string;
    type: "mcp" | "agent" | "admin";
    scopes: string[];
    labels: Record<string, string>;
    account: string;
  };
  /** Rate-limit state after this request (absent when served from the remote cache). */
  ratelimit?: RateLimitState;
}

declare module "node:http" {
  interface IncomingMessage {
    /** Set by `tokenformAuth` on requests it let through. */
    tokenform?: TokenformAuthInfo;
    /** The body bytes, when `tokenformAuth` had to read them to check a request signature. */
    rawBody?: Buffer;
  }
}

export interface TokenformAuthOptions {
  /** Base URL of a remote token service (verifies with `POST /v1/verify`). */
  url?: string;
  /** An in-process token service (anything with a `verifier`) or a `Verifier`. */
  service?: { verifier: Verifier } | Verifier;
  /** Admin key with `tokens:verify` (or `tokens:read`) for remote verification; optional over loopback. */
  token?: string | SecretValue;
  /** Scopes every request needs (or a function of the request). */
  scopes?: readonly string[] | ((req: IncomingMessage) => readonly string[]);
  /** Whether the request writes (read-only keys are refused); default: any method but GET/HEAD/OPTIONS. */
  write?: boolean | ((req: IncomingMessage) => boolean);
  /**
   * Whose `X-Forwarded-For` to believe: `true` for any peer (only behind a proxy you control), a list of
   * proxy addresses/CIDRs, or `false`/absent to use the TCP peer address.
   */
  trustProxy?: boolean | readonly string[];
  /** Remote mode: how long a positive verdict is reused, ms (default and maximum 5000; 0 disables). */
  cacheTtlMs?: number;
  /** Remote mode: verify timeout in ms (default 2000). */
  timeoutMs?: number;
}

/** `next` as node:http code and Express/Connect stacks call it. */
export type Next = (error?: unknown) => void;
export type TokenformAuthHandler = ((
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) => Promise<void>) & {
  /** Closes the remote mode's connection pool (nothing to do in `service` mode). */
  close(): Promise<void>;
};

interface CacheEntry {
  response: VerifyResponse;
  at: number;
  /** Requests this entry may still admit (the service's `remaining` when it said yes). */
  budget: number;
}

function sendRefusal(res: ServerResponse, refusal: HttpRefusal): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(refusal.body);
  res.writeHead(refusal.status, {
    ...refusal.headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A remote verify response as the verdict shape the shared refusal renderer takes. */
function verdictOf(response: VerifyResponse): Verdict {
  if (response.valid) {
    return {
      valid: true,
      code: "VALID",
      token: {
        ...response.token!,
        readOnly: response.token!.readOnly ?? false,
        tools: response.token!.tools ?? null,
        expiresAt: response.token!.expiresAt == null ? null : Date.parse(response.token!.expiresAt),
      },
      ratelimit: response.ratelimit,
    };
  }
  return {
    valid: false,
    code: response.code === "VALID" ? "NOT_FOUND" : response.code,
    message: response.message ?? "the API key was refused",
    ratelimit: response.ratelimit,
    retryAfter: response.retryAfter,
  };
}

/** Creates the middleware. Exactly one of `url` / `service` is required. */
export function tokenformAuth(options: TokenformAuthOptions): TokenformAuthHandler {
  if ((options.url === undefined) === (options.service === undefined)) {
    throw new Error("tokenformAuth needs exactly one of `url` (remote service) or `service` (in-process)");
  }
  const trusted: IpRange[] =
    options.trustProxy === true
      ? parseRanges(["0.0.0.0/0", "::/0"]).ranges
      : options.trustProxy
        ? (() => {
            const parsed = parseRanges(options.trustProxy);
            if (parsed.invalid.length > 0)
              throw new Error(`invalid trustProxy entries: ${parsed.invalid.join(", ")}`);
            return parsed.ranges;
          })()
        : [];
  const verifier: Verifier | undefined =
    options.service === undefined
      ? undefined
      : "verifier" in options.service
        ? options.service.verifier
        : options.service;
  const client =
    options.url === undefined
      ? undefined
      : new TokenformClient({
          baseUrl: options.url,
          token: options.token,
          timeoutMs: options.timeoutMs ?? 2000,
          // A verify counts against rate limits and usage: retrying after a timeout could count twice.
          retries: 0,
        });
  const ttl = Math.min(MAX_CACHE_TTL_MS, Math.max(0, options.cacheTtlMs ?? MAX_CACHE_TTL_MS));
  const cache = new Map<string, CacheEntry>();

  const scopesOf = (req: IncomingMessage): readonly string[] =>
    typeof options.scopes === "function" ? options.scopes(req) : (options.scopes ?? []);
  const writeOf = (req: IncomingMessage): boolean =>
    typeof options.write === "function"
      ? options.write(req)
      : (options.write ?? !READ_METHODS.has((req.method ?? "GET").toUpperCase()));

  async function remote(
    key: string,
    ip: string | undefined,
    scopes: readonly string[],
    write: boolean,
    signed?: SignedRequest,
  ) {
    const request = {
      token: key,
      ip,
      scopes: [...scopes],
      write,
      signature:
        signed?.timestamp !== undefined && signed.signature !== undefined
          ? {
              timestamp: signed.timestamp,
              signature: signed.signature,
              body: Buffer.from(signed.body).toString("base64"),
            }
          : undefined,
    };
    if (signed !== undefined || ttl === 0) return client!.verify(request);
    const cacheKey = `${createHash("sha256").update(key).digest("base64")}|${ip ?? ""}|${scopes.join(" ")}|${write}`;
    const hit = cache.get(cacheKey);
    const now = Date.now();
    if (hit && now - hit.at <= ttl && hit.budget > 0) {
      // Serve from cache; the background verify keeps counting and revocation at the service.
      hit.budget--;
      client!.verify(request).then(
        (response) => {
          if (!response.valid) cache.delete(cacheKey);
        },
        () => cache.delete(cacheKey),
      );
      return { ...hit.response, ratelimit: undefined };
    }
    if (hit) cache.delete(cacheKey);
    const response = await client!.verify(request);
    if (response.valid) {
      cache.set(cacheKey, {
        response,
        at: Date.now(),
        budget: response.ratelimit?.remaining ?? Number.POSITIVE_INFINITY,
      });
      if (cache.size > MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    }
    return response;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> => {
    try {
      const credential = credentialFromHeaders(req.headers);
      const ip = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted);
      if (credential.kind !== "key") {
        sendRefusal(
          res,
          refusalResponse(
            credential.kind === "missing"
              ? { valid: false, code: "MISSING", message: "no API key was sent" }
              : {
                  valid: false,
                  code: "MALFORMED",
                  message:
                    "send the key as 'Authorization: Bearer <key>', 'Authorization: Api-Token <key>' or 'X-API-Key: <key>'",
                },
          ),
        );
        return;
      }
      const scopes = scopesOf(req);
      const write = writeOf(req);
      let signed: SignedRequest | undefined;
      const signatureHeader = req.headers["x-mcp-signature"];
      if (signatureHeader !== undefined) {
        const body = req.rawBody ?? (await readBody(req, SIGNED_BODY_LIMIT));
        req.rawBody = body;
        const timestamp = req.headers["x-mcp-timestamp"];
        signed = {
          timestamp: Array.isArray(timestamp) ? timestamp[0] : timestamp,
          signature: Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader,
          body,
        };
      }
      let verdict: Verdict;
      if (verifier) {
        const input = { token: credential.key, ip, scopes, write, signed };
        verdict = verifier.verifyCached(input) ?? (await verifier.verify(input));
      } else {
        let response: VerifyResponse;
        try {
          response = await remote(credential.key, ip, scopes, write, signed);
        } catch {
          sendRefusal(res, {
            status: 503,
            headers: { "Retry-After": "1" },
            body: errorBody("unavailable", "the API key cannot be verified right now; try again shortly"),
          });
          return;
        }
        verdict = verdictOf(response);
      }
      if (!verdict.valid) {
        sendRefusal(res, refusalResponse(verdict));
        return;
      }
      const t = verdict.token;
      req.tokenform = {
        token: {
          id: t.id,
          name: t.name,
          type: t.type,
          scopes: [...t.scopes],
          labels: { ...t.labels },
          account: t.account,
        },
        ...(verdict.ratelimit ? { ratelimit: verdict.ratelimit } : {}),
      };
      for (const [name, value] of Object.entries(rateLimitHeaders(verdict.ratelimit)))
        res.setHeader(name, value);
      next();
    } catch (error) {
      if (
        error instanceof Error &&
        error.name === "ServiceError" &&
        "code" in error &&
        error.code === "payload_too_large"
      ) {
        sendRefusal(res, { status: 413, headers: {}, body: errorBody("payload_too_large", error.message) });
        return;
      }
      next(error);
    }
  };
  return Object.assign(handler, { close: async () => client?.close() });
}
