/**
 * The management API v1 route table: one declaration per route — method, path, who may call it, the
 * request it takes (body schema, query parameters, If-Match), the success response and its schema, and
 * the words of the API reference. The service's router dispatches and validates from it
 * (`src/service/http/router.ts`, handlers keyed by `operationId` in `src/service/http/routes.ts`), the
 * OpenAPI document's `paths` are generated from it (`openapi.ts`), and the shared security suite calls
 * every route it lists.
 */
import { z } from "zod";
import { TOKEN_TYPES } from "../spec/schema.js";
import {
  AccountSchema,
  AuditEntrySchema,
  ClaimPickupRequestSchema,
  ClaimPickupResponseSchema,
  ConfirmTokenRequestSchema,
  CreateTokenRequestSchema,
  CreateTokenResponseSchema,
  DeliveredPickupRequestSchema,
  LeakAlertSchema,
  LeakAnswerSchema,
  OpenPickupRequestSchema,
  OpenPickupResponseSchema,
  PickupSchema,
  pageSchema,
  RollTokenRequestSchema,
  TokenSchema,
  TokenStatusSchema,
  UpdateAccountRequestSchema,
  UpdateTokenRequestSchema,
  UsageSchema,
  VerifyRequestSchema,
  VerifyResponseSchema,
  WhoamiSchema,
} from "./schemas.js";

/**
 * Who may call a route: anyone (`public`), any admin key of the account (`admin`), an admin key with
 * `tokens:read` (`read`) or `tokens:write` (`write`), (`verify`) an admin key with `tokens:verify` or
 * `tokens:read` — or, when the service allows it, a loopback caller without a key —, or (`signed`) whoever
 * signs the body with a key the route trusts (GitHub's secret scanning alerts), checked by its handler.
 */
export type RouteAccess = "public" | "admin" | "read" | "write" | "verify" | "signed";

/** Page size of listings: 1 to `PAGE_MAX`, `PAGE_DEFAULT` when not given. */
export const PAGE_DEFAULT = 100;
export const PAGE_MAX = 500;

export const TokenPageSchema = pageSchema(TokenSchema);
export const AuditPageSchema = pageSchema(AuditEntrySchema);

/**
 * One query parameter. The router checks enum parameters (400 "<name> must be one of …"); other schemas
 * document the parameter, whose raw string the handler's callee parses (page limits: `pageLimit` in
 * src/service/tokens.ts, by `PAGE_DEFAULT` and `PAGE_MAX`).
 */
export interface QueryParam {
  schema: z.ZodType;
  description?: string;
}

/** The success response of a route. */
export interface SuccessResponse {
  status: 200 | 201 | 204;
  description: string;
  /** The body's schema (one of the OpenAPI components); absent for an empty or undocumented body. */
  schema?: z.ZodType;
  /** The response carries the token's version as `ETag`. */
  etag?: boolean;
  /** `text/event-stream`: the body is a Server-Sent Events stream (default: JSON as `schema` says). */
  stream?: boolean;
}

export interface RouteDefinition {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI-style template, e.g. `/v1/tokens/{id}`; every parameter is documented in `PATH_PARAMETERS`. */
  path: string;
  access: RouteAccess;
  summary: string;
  /** The JSON body: validated by the router (422 with every issue) before the handler runs. */
  body?: {
    schema: z.ZodType;
    /** When false, an empty body is read as `{}`; when true, as missing (422). */
    required: boolean;
    /** The handler also receives the body's bytes as sent (`rawBody`), to check a signature over them. */
    raw?: true;
  };
  query?: Record<string, QueryParam>;
  /**
   * The route honours `If-Match` (412 when stale); `configurable`: and refuses its absence (428) when the
   * service runs with `requireIfMatch`.
   */
  ifMatch?: "honoured" | "configurable";
  /** Error statuses the route answers beyond those its access, body, path and If-Match imply. */
  errors?: number[];
  response: SuccessResponse;
}

/** Descriptions of the path parameters routes use. */
export const PATH_PARAMETERS: Record<string, string> = {
  id: "Token id (`tok_…`).",
  code: "A pickup's user code as the holder's CLI shows it, e.g. `WDJB-MJHT` (case and dash optional).",
};

const pageParams = {
  cursor: { schema: z.string(), description: "`nextCursor` of the previous page." },
  limit: { schema: z.int().min(1).max(PAGE_MAX).default(PAGE_DEFAULT) },
} satisfies Record<string, QueryParam>;

/** Every route of the management API, keyed by its OpenAPI `operationId`. */
export const API_ROUTES = {
  health: {
    method: "GET",
    path: "/healthz",
    access: "public",
    summary: "Liveness check.",
    response: { status: 200, description: "The service is up." },
  },
  openapi: {
    method: "GET",
    path: "/openapi.json",
    access: "public",
    summary: "This document.",
    response: { status: 200, description: "OpenAPI 3.1 document." },
  },
  whoami: {
    method: "GET",
    path: "/v1/whoami",
    access: "admin",
    summary: "The calling admin token: account, id, name and scopes.",
    response: { status: 200, description: "The caller.", schema: WhoamiSchema },
  },
  listTokens: {
    method: "GET",
    path: "/v1/tokens",
    access: "read",
    summary: "List the account's tokens (scope tokens:read).",
    query: {
      selector: {
        schema: z.string(),
        description: "Label selector: `k=v`, `k!=v`, `k`, `!k`, comma-separated (all must hold).",
      },
      status: { schema: TokenStatusSchema },
      type: { schema: z.enum(TOKEN_TYPES) },
      name: { schema: z.string(), description: "Only the token with this name." },
      holder: { schema: z.string(), description: "Only the tokens of this holder." },
      destination: {
        schema: z.string(),
        description: "Only the token holding this destination (a claim id).",
      },
      ...pageParams,
    },
    response: { status: 200, description: "A page of tokens.", schema: TokenPageSchema },
  },
  createToken: {
    method: "POST",
    path: "/v1/tokens",
    access: "write",
    summary: "Create a token (scope tokens:write). The secret is returned only here (and by roll).",
    body: { schema: CreateTokenRequestSchema, required: true },
    errors: [409],
    response: { status: 201, description: "Created.", schema: CreateTokenResponseSchema, etag: true },
  },
  getToken: {
    method: "GET",
    path: "/v1/tokens/{id}",
    access: "read",
    summary: "Read a token (scope tokens:read).",
    response: { status: 200, description: "The token.", schema: TokenSchema, etag: true },
  },
  updateToken: {
    method: "PATCH",
    path: "/v1/tokens/{id}",
    access: "write",
    summary: "Change a token's settings (scope tokens:write); honours If-Match.",
    ifMatch: "configurable",
    body: { schema: UpdateTokenRequestSchema, required: true },
    errors: [409],
    response: { status: 200, description: "The updated token.", schema: TokenSchema, etag: true },
  },
  deleteToken: {
    method: "DELETE",
    path: "/v1/tokens/{id}",
    access: "write",
    summary: "Delete a token now (scope tokens:write): its key is refused on the next request.",
    ifMatch: "configurable",
    response: { status: 204, description: "Deleted." },
  },
  confirmToken: {
    method: "POST",
    path: "/v1/tokens/{id}/confirm",
    access: "write",
    summary:
      "Confirm delivery of a pending token or pending roll; may record deliveries (merged by destination).",
    ifMatch: "honoured",
    body: { schema: ConfirmTokenRequestSchema, required: false },
    response: { status: 200, description: "The token.", schema: TokenSchema, etag: true },
  },
  rollToken: {
    method: "POST",
    path: "/v1/tokens/{id}/roll",
    access: "write",
    summary:
      "Issue a new secret with the same settings; the old one works for `overlap` (or until confirm + overlap when pending).",
    ifMatch: "honoured",
    body: { schema: RollTokenRequestSchema, required: false },
    response: {
      status: 200,
      description: "The token and its new secret.",
      schema: CreateTokenResponseSchema,
      etag: true,
    },
  },
  tokenUsage: {
    method: "GET",
    path: "/v1/tokens/{id}/usage",
    access: "read",
    summary:
      "Requests and failures per hour (48 h) and day (30 d), last use, and the client addresses used from (scope tokens:read).",
    response: { status: 200, description: "Usage.", schema: UsageSchema },
  },
  listAudit: {
    method: "GET",
    path: "/v1/audit",
    access: "read",
    summary:
      "The account's audit log, newest first, optionally only the entries of one token, actor or action (scope tokens:read).",
    query: {
      targetId: { schema: z.string(), description: "Only the entries about this token id." },
      actor: {
        schema: z.string(),
        description: "Only the entries by this actor (as in `actor`, e.g. a key's name).",
      },
      action: { schema: z.string(), description: "Only the entries with this action, e.g. `token.roll`." },
      ...pageParams,
    },
    response: { status: 200, description: "A page of audit entries.", schema: AuditPageSchema },
  },
  getAccount: {
    method: "GET",
    path: "/v1/account",
    access: "read",
    summary: "The caller's account and its hourly rate limit (scope tokens:read).",
    response: { status: 200, description: "The account.", schema: AccountSchema },
  },
  updateAccount: {
    method: "PATCH",
    path: "/v1/account",
    access: "write",
    summary:
      "Set the account's hourly rate limit for all its keys together (a full admin key: tokens:*, no IP allowlist, expiry or rate limit of its own): a number, \"unlimited\", or null for the server's default.",
    body: { schema: UpdateAccountRequestSchema, required: true },
    response: { status: 200, description: "The account.", schema: AccountSchema },
  },
  verify: {
    method: "POST",
    path: "/v1/verify",
    access: "verify",
    summary:
      "Verify a key for a request. 200 for any well-formed request: the verdict is in the body. Callers: an " +
      "admin token with tokens:verify or tokens:read (only its account's keys), or anyone over loopback. " +
      "Behind several instances sharing Redis, 503 with Retry-After while Redis is unreachable and the " +
      "service fails closed (`serve --redis-failure closed`, the default).",
    body: { schema: VerifyRequestSchema, required: true },
    response: { status: 200, description: "The verdict.", schema: VerifyResponseSchema },
  },
  invalidations: {
    method: "GET",
    path: "/v1/invalidations",
    access: "verify",
    summary:
      "Cache invalidations as Server-Sent Events, for remote-mode middleware and gateways that cache verdicts: " +
      '`status` `{"connected": bool}` first and on each change (whether this instance hears the other ' +
      'instances; keep verdicts briefly while false), `invalidate` `{"tokenId": "tok_…"}` when a token of ' +
      "the caller's account is written (drop its verdicts), and a comment every 10 s. Callers as for " +
      "/v1/verify.",
    response: {
      status: 200,
      description: "A `text/event-stream` that lasts until either side closes it.",
      stream: true,
    },
  },
  reportGithubLeaks: {
    method: "POST",
    path: "/v1/leaks/github",
    access: "signed",
    summary:
      "GitHub secret scanning partner alerts: each reported key that is one of this service's is answered " +
      "as the service is configured (`--leak-action`: disable, roll with no overlap, or report) and audited " +
      "as token.leak. The body must be signed by GitHub (GITHUB-PUBLIC-KEY-IDENTIFIER, " +
      "GITHUB-PUBLIC-KEY-SIGNATURE: ECDSA over the body with a key GitHub publishes).",
    body: { schema: LeakAlertSchema, required: true, raw: true },
    errors: [401],
    response: {
      status: 200,
      description: "Per reported key: its SHA-256, type and label.",
      schema: LeakAnswerSchema,
    },
  },
  openPickup: {
    method: "POST",
    path: "/v1/pickups",
    access: "public",
    summary:
      "A holder's CLI asks for the keys waiting for them (`tokenform pickup`): a device flow. The answer's " +
      "user code is approved by an admin (`POST /v1/pickups/{code}/approve`); a key sent with the request " +
      "(Authorization, any type) whose holder is `holder` approves it at once. 404 when no key waits.",
    body: { schema: OpenPickupRequestSchema, required: true },
    errors: [401, 403, 404],
    response: { status: 201, description: "The session.", schema: OpenPickupResponseSchema },
  },
  getPickup: {
    method: "GET",
    path: "/v1/pickups/{code}",
    access: "read",
    summary: "A pickup session by its user code: holder, keys, requester's address (scope tokens:read).",
    response: { status: 200, description: "The session.", schema: PickupSchema },
  },
  approvePickup: {
    method: "POST",
    path: "/v1/pickups/{code}/approve",
    access: "write",
    summary:
      "Approve a waiting pickup (scope tokens:write, and authority over each key it releases): the holder's " +
      "next poll receives the keys' new secrets, once.",
    errors: [409],
    response: { status: 200, description: "The approved session.", schema: PickupSchema },
  },
  claimPickup: {
    method: "POST",
    path: "/v1/pickups/claim",
    access: "public",
    summary:
      "The holder's CLI polls with its device code: 400 `authorization_pending` until approved, then the " +
      "released secrets once; 400 `expired_token` for an expired, unknown or already claimed code.",
    body: { schema: ClaimPickupRequestSchema, required: true },
    errors: [400],
    response: { status: 200, description: "The released keys.", schema: ClaimPickupResponseSchema },
  },
  confirmPickup: {
    method: "POST",
    path: "/v1/pickups/delivered",
    access: "public",
    summary: "The holder's CLI confirms it wrote the released keys (audited as token.picked_up).",
    body: { schema: DeliveredPickupRequestSchema, required: true },
    errors: [400, 409],
    response: { status: 200, description: "How many keys were confirmed." },
  },
} as const satisfies Record<string, RouteDefinition>;

/** The operations of the API (`operationId`s). */
export type OperationId = keyof typeof API_ROUTES;

/** The validated body a route's handler receives (`undefined` for routes without one). */
export type BodyOf<K extends OperationId> = (typeof API_ROUTES)[K] extends {
  body: { schema: infer S extends z.ZodType };
}
  ? z.output<S>
  : undefined;

/**
 * The query parameters a route's handler receives: enum parameters as checked by the router, the others
 * as sent (see `QueryParam`).
 */
export type QueryOf<K extends OperationId> = (typeof API_ROUTES)[K] extends {
  query: infer Q extends Record<string, QueryParam>;
}
  ? { [P in keyof Q]?: Q[P]["schema"] extends z.ZodEnum ? z.output<Q[P]["schema"]> : string }
  : Record<string, never>;

/** The table as a list, each definition with its `operationId`. */
export const API_ROUTE_LIST: ReadonlyArray<RouteDefinition & { operationId: OperationId }> = Object.entries(
  API_ROUTES,
).map(([operationId, route]) => ({ ...(route as RouteDefinition), operationId: operationId as OperationId }));

/** The error statuses a route answers besides its success: implied by its definition, plus its own. */
export function errorStatuses(route: RouteDefinition): number[] {
  const statuses = new Set<number>(route.errors ?? []);
  if (route.access !== "public" && route.access !== "signed")
    for (const s of [400, 401, 403]) statuses.add(s);
  if (route.path.includes("{")) statuses.add(404);
  if (route.ifMatch) statuses.add(412);
  if (route.ifMatch === "configurable") statuses.add(428);
  if (route.body) for (const s of [413, 415, 422]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}
