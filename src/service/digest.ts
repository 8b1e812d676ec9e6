/**
 * How secrets are kept at rest: only a SHA-256 digest of the raw token (HMAC-SHA256 keyed by the
 * configured pepper, when there is one) and its public display prefix / fingerprint. Nothing here ever
 * returns or stores the raw value.
 *
 * Digests are handled as base64 strings (the cheapest form `crypto.hash` produces, and a good `Map` key)
 * and compared with `crypto.timingSafeEqual` on their bytes wherever a stored digest is checked against a
 * candidate's.
 */
import { createHmac, hash, timingSafeEqual } from "node:crypto";

/** Computes digests of raw tokens for one service configuration. */
export class Digester {
  readonly #pepper: Buffer | undefined;

  /** `pepper`: optional server-side secret mixed into every digest (HMAC key); changing it invalidates all keys. */
  constructor(pepper?: string) {
    this.#pepper = pepper ? Buffer.from(pepper, "utf8") : undefined;
  }

  /** Whether digests are peppered (HMAC) rather than plain SHA-256. */
  get peppered(): boolean {
    return this.#pepper !== undefined;
  }

  /** The at-rest digest of `raw`, base64 (44 characters for 32 bytes). */
  digest(raw: string): string {
    if (this.#pepper === undefined) return hash("sha256", raw, "base64");
    return createHmac("sha256", this.#pepper).update(raw).digest("base64");
  }
}

/** Constant-time equality of two base64 digests (false when their lengths differ). */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64");
  const y = Buffer.from(b, "base64");
  return x.length === y.length && timingSafeEqual(x, y);
}
