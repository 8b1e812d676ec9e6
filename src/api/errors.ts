/**
 * `ApiError`: a management-API failure as the client sees it, carrying the API's `code`, the HTTP status
 * and the request that failed (method and path only: headers and bodies are never kept, so an error can
 * be logged without leaking a secret).
 */
import type { ApiErrorCode } from "./schemas.js";

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** The API's error code (one of `API_ERROR_CODES`, or `network_error` / `timeout` from the client). */
    readonly code: ApiErrorCode | "network_error" | "timeout" | (string & {}),
    message: string,
    /** HTTP status; 0 when no response arrived. */
    readonly status: number,
    /** `METHOD /path` of the failed request. */
    readonly request: string,
    /** Seconds the server asked us to wait (429/503), when it said. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** True for failures worth retrying later (network, timeouts, 5xx, 429). */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}
