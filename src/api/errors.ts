/**
 * `ApiError`: a management-API failure as the client sees it, carrying the API's `code`, the HTTP status
 * and the request that failed (method and path only: headers and bodies are never kept, so an error can
 * be logged without leaking a secret).
 */
import { isTransientStatus } from "./retry.js";
import type { ApiErrorBody, ApiErrorCode, VerifyCode } from "./schemas.js";

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
    /** The error body's `details` (e.g. a conflict's `{ field, holder }`), when it had any. */
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** True for failures worth retrying later (network, timeouts, 5xx, 429). */
  get transient(): boolean {
    return this.status === 0 || isTransientStatus(this.status);
  }
}

/** The `type` field of an error body: the family a code belongs to. */
export type ApiErrorType =
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "invalid_request_error"
  | "api_error";

/**
 * The one code → HTTP status table (exhaustive: adding a code to `API_ERROR_CODES` fails to compile until it
 * has a row here). Server, middleware and documentation all read it.
 */
export const API_ERROR_STATUS: { readonly [C in ApiErrorCode]: number } = {
  bad_request: 400,
  // A pickup not yet approved, and one expired or already claimed (RFC 8628 §3.5's device-flow answers).
  authorization_pending: 400,
  expired_token: 400,
  invalid_body: 400,
  unauthorized: 401,
  invalid_api_key: 401,
  invalid_signature: 401,
  replayed_request: 401,
  forbidden: 403,
  insufficient_scope: 403,
  ip_not_allowed: 403,
  read_only_key: 403,
  tool_not_allowed: 403,
  authority_exceeded: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  precondition_required: 428,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** The error family of a code, from its status. */
export function errorTypeOf(code: ApiErrorCode): ApiErrorType {
  const status = API_ERROR_STATUS[code];
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

/** What a refused verification means as an API error (`VALID` has no error). */
export const VERDICT_ERROR: { readonly [C in Exclude<VerifyCode, "VALID">]: ApiErrorCode } = {
  MISSING: "unauthorized",
  MALFORMED: "invalid_api_key",
  BAD_CHECKSUM: "invalid_api_key",
  NOT_FOUND: "invalid_api_key",
  DISABLED: "invalid_api_key",
  EXPIRED: "invalid_api_key",
  PENDING: "invalid_api_key",
  IP_NOT_ALLOWED: "ip_not_allowed",
  INSUFFICIENT_SCOPE: "insufficient_scope",
  READ_ONLY: "read_only_key",
  TOOL_NOT_ALLOWED: "tool_not_allowed",
  RATE_LIMITED: "rate_limited",
  BAD_SIGNATURE: "invalid_signature",
  REPLAYED: "replayed_request",
};

/** Builds the JSON error body every tokenform HTTP surface returns. */
export function errorBody(code: ApiErrorCode, message: string, details?: unknown): ApiErrorBody {
  return {
    error: { code, message, type: errorTypeOf(code), ...(details === undefined ? {} : { details }) },
  };
}
