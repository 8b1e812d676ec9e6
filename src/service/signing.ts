/**
 * Optional per-token request signing: a token labelled `tokenform.dev/require-signature: "true"` must send
 * `X-MCP-Timestamp` (Unix seconds) and `X-MCP-Signature` = hex HMAC-SHA256, keyed by the token itself, of
 * the canonical form (version 2):
 *
 *     v2\n<METHOD>\n<path?query>\n<timestamp>\n<hex SHA-256 of the body>
 *
 * so a signature is bound to one method, one request target and one body. A timestamp more than five
 * minutes from now is refused. This module owns the canonical form and the stateless check; the replay
 * window (each signature admitted once) is the verifier's `ReplayWindow` (src/service/replay.ts: the
 * store's, or Redis's when configured), so a restart or another instance refuses a replay too.
 *
 * The version-1 form, HMAC of `"<timestamp>.<body>"` (no method, no path), is accepted only when the
 * service is started with `allowLegacySignatures: true`.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Label that switches signing on for a token (value `"true"`). */
export const SIGNATURE_LABEL = "tokenform.dev/require-signature";
/** How far a signed timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

/** The signing headers, the request line and the exact body bytes a request carried. */
export interface SignedRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  /** The HTTP method as sent (`POST`). */
  method?: string;
  /** The request target as sent: path with query (`/mcp?x=1`). */
  path?: string;
  body: Buffer | string;
}

/** What a client signs. */
export interface SigningInput {
  method: string;
  /** Path with query, exactly as the request line carries it. */
  path: string;
  timestamp: string | number;
  body: Buffer | string;
}

export type SignatureCheck =
  /** The signature is genuine and fresh; `replayId` must still be claimed once (`ReplayWindow.claim`). */
  { ok: true; replayId: string; expiresAt: number } | { ok: false; code: "BAD_SIGNATURE"; message: string };

/** The version-2 string a client signs. */
export function canonicalRequest(input: SigningInput): string {
  const bodyHash = createHash("sha256").update(input.body).digest("hex");
  return `v2\n${input.method.toUpperCase()}\n${input.path}\n${input.timestamp}\n${bodyHash}`;
}

/**
 * The path with query a server signs for an incoming request: the URL the client asked for, so a guard
 * mounted under a prefix (Express `app.use("/mcp", …)` rewrites `req.url`) still checks what was signed.
 */
export function signedPathOf(req: { url?: string; originalUrl?: string }): string {
  return req.originalUrl ?? req.url ?? "/";
}

/** Computes the `X-MCP-Signature` a client sends (version 2: method, path with query, timestamp, body). */
export function signRequest(rawToken: string, input: SigningInput): string {
  return createHmac("sha256", rawToken).update(canonicalRequest(input)).digest("hex");
}

/** The version-1 signature (`"<timestamp>.<body>"`), accepted only with `allowLegacySignatures`. */
export function signLegacyRequest(
  rawToken: string,
  timestamp: string | number,
  body: Buffer | string,
): string {
  return createHmac("sha256", rawToken).update(`${timestamp}.`).update(body).digest("hex");
}

function matches(given: Buffer, expectedHex: string): boolean {
  return timingSafeEqual(given, Buffer.from(expectedHex, "hex"));
}

/**
 * Checks a request's signature at `now` (epoch ms): present, fresh, and matching the version-2 form (or,
 * with `allowLegacy`, the version-1 form). Stateless: replays are the caller's to refuse.
 */
export function checkSignature(
  rawToken: string,
  request: SignedRequest | undefined,
  now: number,
  allowLegacy = false,
): SignatureCheck {
  if (!request?.timestamp || !request.signature) {
    return {
      ok: false,
      code: "BAD_SIGNATURE",
      message: "this key requires signed requests (X-MCP-Timestamp and X-MCP-Signature)",
    };
  }
  if (!/^\d{1,12}$/.test(request.timestamp)) {
    return { ok: false, code: "BAD_SIGNATURE", message: "X-MCP-Timestamp must be Unix seconds" };
  }
  const skew = Math.abs(now / 1000 - Number(request.timestamp));
  if (skew > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, code: "BAD_SIGNATURE", message: "X-MCP-Timestamp is outside the 5-minute window" };
  }
  const given = /^[0-9a-fA-F]{64}$/.test(request.signature)
    ? Buffer.from(request.signature, "hex")
    : undefined;
  const v2 =
    given !== undefined &&
    request.method !== undefined &&
    request.path !== undefined &&
    matches(
      given,
      signRequest(rawToken, {
        method: request.method,
        path: request.path,
        timestamp: request.timestamp,
        body: request.body,
      }),
    );
  const legacy =
    !v2 &&
    allowLegacy &&
    given !== undefined &&
    matches(given, signLegacyRequest(rawToken, request.timestamp, request.body));
  if (!v2 && !legacy) {
    return {
      ok: false,
      code: "BAD_SIGNATURE",
      message: "X-MCP-Signature does not match the request (method, path, timestamp and body are signed)",
    };
  }
  return {
    ok: true,
    replayId: request.signature.toLowerCase(),
    // Remembered a whole window beyond the last moment its timestamp passes the check (which includes the
    // edge itself): instances whose clocks differ by up to a window still find it, and none prunes it early.
    expiresAt: Number(request.timestamp) * 1000 + 2 * SIGNATURE_WINDOW_SECONDS * 1000,
  };
}
