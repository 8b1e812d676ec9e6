/**
 * Optional per-token request signing (the MCP-Cloud scheme): a token labelled
 * `tokenform.dev/require-signature: "true"` must send `X-MCP-Timestamp` (Unix seconds) and
 * `X-MCP-Signature` = hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed by the token itself. A timestamp
 * more than five minutes from now is refused, and so is a signature already seen inside that window
 * (replay), which is remembered until it could no longer be valid anyway.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Label that switches signing on for a token (value `"true"`). */
export const SIGNATURE_LABEL = "tokenform.dev/require-signature";
/** How far a signed timestamp may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

/** The signing headers and the exact body bytes a request carried. */
export interface SignedRequest {
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer | string;
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; code: "BAD_SIGNATURE" | "REPLAYED"; message: string };

/** Computes the signature a client sends (exported for clients and tests). */
export function signRequest(rawToken: string, timestamp: string | number, body: Buffer | string): string {
  return createHmac("sha256", rawToken).update(`${timestamp}.`).update(body).digest("hex");
}

/** Checks signatures and remembers the ones seen inside the window. */
export class SignatureVerifier {
  readonly #seen = new Map<string, number>();
  #prunedAt = 0;

  check(tokenId: string, rawToken: string, request: SignedRequest | undefined, now: number): SignatureCheck {
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
    const expected = Buffer.from(signRequest(rawToken, request.timestamp, request.body), "hex");
    if (!given || !timingSafeEqual(given, expected)) {
      return { ok: false, code: "BAD_SIGNATURE", message: "X-MCP-Signature does not match the request" };
    }
    this.#prune(now);
    const key = `${tokenId}:${request.signature.toLowerCase()}`;
    if (this.#seen.has(key))
      return { ok: false, code: "REPLAYED", message: "this signed request was already used" };
    // Remember it until its timestamp can no longer pass the window check.
    this.#seen.set(key, Number(request.timestamp) * 1000 + SIGNATURE_WINDOW_SECONDS * 1000);
    return { ok: true };
  }

  /** Forgets lapsed signatures, at most once a second (the map only holds a 10-minute window anyway). */
  #prune(now: number): void {
    if (now - this.#prunedAt < 1000) return;
    this.#prunedAt = now;
    for (const [key, until] of this.#seen) if (until < now) this.#seen.delete(key);
  }

  /** Signatures remembered (tests). */
  get size(): number {
    return this.#seen.size;
  }
}
