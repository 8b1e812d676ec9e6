/**
 * A refused verification as an HTTP response — status, headers and JSON body — shared by the management
 * API's authentication and the middleware, so a key is refused the same way everywhere: 401 with
 * `WWW-Authenticate` for missing/invalid/disabled/expired/pending keys and bad signatures, 403 for scope,
 * IP and read-only refusals, 429 with `Retry-After` and `RateLimit-*` headers.
 */
import { API_ERROR_STATUS, errorBody, VERDICT_ERROR } from "../../api/errors.js";
import type { ApiErrorBody, VerifyResponse } from "../../api/schemas.js";
import type { VerifiedKey } from "../cache.js";
import type { RateLimitState, Verdict } from "../verifier.js";

/** A ready-to-send HTTP refusal. */
export interface HttpRefusal {
  status: number;
  headers: Record<string, string>;
  body: ApiErrorBody;
}

/** `RateLimit-Limit`, `-Remaining`, `-Reset` (IETF draft names) for a rate-limit state. */
export function rateLimitHeaders(state: RateLimitState | undefined): Record<string, string> {
  if (!state) return {};
  return {
    "RateLimit-Limit": String(state.limit),
    "RateLimit-Remaining": String(state.remaining),
    "RateLimit-Reset": String(state.reset),
  };
}

/** Realm sent in `WWW-Authenticate`. */
export const REALM = "tokenform";

/** The HTTP response for a refused verdict. */
export function refusalResponse(verdict: Extract<Verdict, { valid: false }>): HttpRefusal {
  const code = VERDICT_ERROR[verdict.code];
  const status = API_ERROR_STATUS[code];
  const headers = rateLimitHeaders(verdict.ratelimit);
  if (status === 401) {
    headers["WWW-Authenticate"] =
      verdict.code === "MISSING"
        ? `Bearer realm="${REALM}"`
        : `Bearer realm="${REALM}", error="invalid_token", error_description="${verdict.message.replace(/"/g, "'")}"`;
  }
  if (verdict.code === "RATE_LIMITED") headers["Retry-After"] = String(verdict.retryAfter ?? 1);
  return { status, headers, body: errorBody(code, verdict.message, { reason: verdict.code }) };
}

/**
 * The `token` part of a verify response for each verified key: a cached key's `VerifiedKey` is frozen and
 * shared by all its verdicts, so its view is built once and reused (it is only ever serialised).
 */
const tokenViews = new WeakMap<VerifiedKey, NonNullable<VerifyResponse["token"]>>();

function tokenView(t: VerifiedKey): NonNullable<VerifyResponse["token"]> {
  let view = tokenViews.get(t);
  if (view === undefined) {
    view = {
      id: t.id,
      name: t.name,
      type: t.type,
      scopes: [...t.scopes],
      labels: { ...t.labels },
      account: t.account,
      readOnly: t.readOnly,
      tools: t.tools === null ? null : [...t.tools],
      expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
    };
    tokenViews.set(t, view);
  }
  return view;
}

/** A verdict as the `/v1/verify` response body (its `token` part is shared: serialise it, never change it). */
export function verifyResponseOf(verdict: Verdict): VerifyResponse {
  const out: VerifyResponse = { valid: verdict.valid, code: verdict.code };
  if (verdict.token) out.token = tokenView(verdict.token);
  if (verdict.ratelimit) out.ratelimit = { ...verdict.ratelimit };
  if (!verdict.valid) {
    if (verdict.retryAfter !== undefined) out.retryAfter = verdict.retryAfter;
    out.message = verdict.message;
  }
  return out;
}

/** Each cached key's `token` part as JSON, serialised once (see `tokenView`). */
const tokenJson = new WeakMap<VerifiedKey, string>();

/**
 * `JSON.stringify(verifyResponseOf(verdict))`, the same text: an admitted key's answer is put together from
 * its `token` part serialised once, so a verify serialises no object (the refusals go the general way).
 */
export function verifyResponseJson(verdict: Verdict): string {
  if (!verdict.valid) return JSON.stringify(verifyResponseOf(verdict));
  let token = tokenJson.get(verdict.token);
  if (token === undefined) {
    token = JSON.stringify(tokenView(verdict.token));
    tokenJson.set(verdict.token, token);
  }
  const rl = verdict.ratelimit;
  return rl === undefined
    ? `{"valid":true,"code":"VALID","token":${token}}`
    : `{"valid":true,"code":"VALID","token":${token},"ratelimit":{"limit":${number(rl.limit)},"remaining":${number(rl.remaining)},"reset":${number(rl.reset)}}}`;
}

/** A number as JSON writes it (`null` for what JSON cannot hold). */
function number(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}
