/**
 * Refusals as MCP clients read them. Measured with the SDK client and mcp-remote (README, "What MCP
 * clients show"): both print a refused POST's body verbatim inside their own error text and never parse it,
 * and mcp-remote answers any 401 — and a 403 with `error="insufficient_scope"` — by starting OAuth, ending
 * at `POST /register`, whose error body is the only text of the server's it then shows. So:
 *
 * - the status is the token service's (`refusalResponse`: 401 for a key that cannot authenticate, 403 for
 *   one that may not do this, 429 with `Retry-After`), and the `WWW-Authenticate` challenge is MCP's:
 *   `error="invalid_token"` or `error="insufficient_scope"` with `scope="…"`, plus `resource_metadata` only
 *   when the server publishes protected-resource metadata (static keys have none: advertising it only
 *   sends clients looking for an authorization server);
 * - the body is one short line of JSON-RPC error with the reason first (`error.message`), the request's id,
 *   the HTTP status as the error code (an application code, outside JSON-RPC's reserved range) and the
 *   token service's error code in `error.data`;
 * - `registrationAnswer` is the `POST /register` explainer: a 400 `invalid_client_metadata` whose
 *   description says this server takes API keys, not OAuth, and why the key was refused.
 *
 * Messages never contain "Unauthorized", "Not Found", "404" or "405": mcp-remote matches those words in
 * error text (it waits forever for a browser sign-in, or falls back to a transport that hides the text).
 */
import type { ServerResponse } from "node:http";
import { API_ERROR_STATUS, errorBody, errorTypeOf, VERDICT_ERROR } from "../api/errors.js";
import { REALM, rateLimitHeaders, refusalResponse } from "../service/http/verdict.js";
import type { Verdict } from "../service/verifier.js";
import { errorResponse } from "./jsonrpc.js";

/** A ready-to-send HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  /** The body, already serialised (JSON). */
  body: string;
}

/** A JSON-RPC request id (null when unknown, or for a batch). */
export type JsonRpcId = string | number | null;

/** What a refusal may say about the request and the protected resource. */
export interface RefusalContext {
  /** URL of the resource's RFC 9728 metadata, sent as `resource_metadata` (absent: not sent). */
  resourceMetadata?: string;
  /** Scopes the refused operation needs (sent as `scope` with insufficient_scope). */
  scopes?: readonly string[];
  /** The id of the refused JSON-RPC request. */
  id?: JsonRpcId;
}

type Refusal = Extract<Verdict, { valid: false }>;

/** Sends an answer (nothing when the response has already started). */
export function sendAnswer(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { ...answer.headers, "Content-Length": Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

/** A JSON answer. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    status,
    headers: { ...headers, "Content-Type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  };
}

/** A quoted-string value for an HTTP auth parameter (RFC 9110 §11.2). */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&").replace(/[\u0000-\u001f\u007f]/g, " ")}"`;
}

/** The `WWW-Authenticate` challenge for a refusal, or undefined when none belongs on it. */
export function challengeFor(refusal: Refusal, context: RefusalContext): string | undefined {
  const params: string[] = [`realm=${quoted(REALM)}`];
  const status = API_ERROR_STATUS[VERDICT_ERROR[refusal.code]];
  if (refusal.code === "INSUFFICIENT_SCOPE") {
    params.push('error="insufficient_scope"');
    if (context.scopes && context.scopes.length > 0) params.push(`scope=${quoted(context.scopes.join(" "))}`);
    params.push(`error_description=${quoted(refusal.message)}`);
  } else if (status !== 401) {
    return undefined;
  } else if (refusal.code !== "MISSING") {
    // RFC 6750 §3.1: no error code when the request carried no credentials.
    params.push('error="invalid_token"', `error_description=${quoted(refusal.message)}`);
  }
  if (context.resourceMetadata !== undefined)
    params.push(`resource_metadata=${quoted(context.resourceMetadata)}`);
  return `Bearer ${params.join(", ")}`;
}

/** The JSON-RPC-shaped HTTP answer for a refused key on an MCP endpoint. */
export function refusalAnswer(refusal: Refusal, context: RefusalContext): HttpAnswer {
  const code = VERDICT_ERROR[refusal.code];
  const status = API_ERROR_STATUS[code];
  const headers = rateLimitHeaders(refusal.ratelimit);
  if (refusal.code === "RATE_LIMITED") headers["Retry-After"] = String(refusal.retryAfter ?? 1);
  const challenge = challengeFor(refusal, context);
  if (challenge !== undefined) headers["WWW-Authenticate"] = challenge;
  return jsonAnswer(
    status,
    errorResponse(context.id, status, refusal.message, {
      code,
      type: errorTypeOf(code),
      reason: refusal.code,
    }),
    headers,
  );
}

/** The token service's own refusal (`{"error": {code, message, type}}`), for plain HTTP APIs. */
export function apiRefusalAnswer(refusal: Refusal, context: RefusalContext): HttpAnswer {
  const base = refusalResponse(refusal);
  const headers: Record<string, string> = { ...base.headers };
  delete headers["WWW-Authenticate"];
  const challenge = challengeFor(refusal, context);
  if (challenge !== undefined) headers["WWW-Authenticate"] = challenge;
  return jsonAnswer(base.status, base.body, headers);
}

/** 503: the token service could not be asked (fail closed). */
export function unavailableAnswer(format: "jsonrpc" | "api", id?: JsonRpcId): HttpAnswer {
  const message = "the API key cannot be verified right now; try again shortly";
  const body =
    format === "api"
      ? errorBody("unavailable", message)
      : errorResponse(id, 503, message, { code: "unavailable", type: "api_error" });
  return jsonAnswer(503, body, { "Retry-After": "1" });
}

/** Why a key was last refused, for the `/register` explainer. */
export interface RecentRefusal {
  /** Display prefix of the key (`mcp_sk_AbCd`), safe to show. */
  prefix: string;
  code: Refusal["code"];
  message: string;
  /** With insufficient scope: the scopes the refused operation needed. */
  scopes?: readonly string[];
}

/**
 * The answer to `POST /register` — the dynamic client registration mcp-remote and OAuth-capable MCP
 * clients try after a 401 — telling the user this server takes API keys and why theirs was refused.
 */
export function registrationAnswer(keySent: boolean, recent: RecentRefusal | undefined): HttpAnswer {
  let why: string;
  if (!keySent) {
    why =
      'No API key was sent. Configure one, e.g. mcp-remote <url> --header "Authorization: Bearer <key>" (X-API-Key: <key> works too).';
  } else if (recent === undefined) {
    why =
      "The API key sent was refused (invalid, revoked, disabled or expired), or lacks a scope this request needs.";
  } else {
    why = `The API key ${recent.prefix}… was refused: ${recent.message}.`;
    if (recent.code === "INSUFFICIENT_SCOPE" && recent.scopes && recent.scopes.length > 0) {
      why += ` Ask for a key with ${recent.scopes.join(" ")}.`;
    } else if (API_ERROR_STATUS[VERDICT_ERROR[recent.code]] === 401) {
      why += " Check that the whole key was copied, or ask for a new one.";
    }
  }
  return jsonAnswer(400, {
    error: "invalid_client_metadata",
    error_description: `This MCP server uses static API keys, not OAuth: there is nothing to sign in to. ${why}`,
  });
}
