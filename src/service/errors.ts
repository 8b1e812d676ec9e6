/**
 * `ServiceError`: a request the token service refuses, carrying the API error code (its HTTP status comes
 * from the one table in src/api/errors.ts) and optional extra headers. The HTTP layer's single error
 * handler turns it into `{"error": {code, message, type}}`; anything else thrown is a fault (500).
 */
import type { ApiErrorCode } from "../api/schemas.js";

export class ServiceError extends Error {
  override readonly name = "ServiceError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers (WWW-Authenticate, Retry-After, RateLimit-*). */
    readonly headers: Record<string, string> = {},
    /** Structured detail for the body's `details` (validation issues, the verdict code). */
    readonly details?: unknown,
  ) {
    super(message);
  }
}
