/**
 * `TokenformClient`: the HTTP client of the management API (undici), implementing `TokenformApi` for the
 * plan/apply engine, the Terraform provider, the Action and the middleware's remote mode.
 *
 * Timeouts: every attempt is bounded by `timeoutMs` (headers and body).
 * Retries (`retries`, default 2) use exponential backoff with full jitter, and wait at least what a
 * `Retry-After` header asks (up to `maxRetryDelayMs`; a longer wait is not retried but returned as the
 * error, `retryAfter` set). What is retried depends on whether repeating the request is safe:
 * - safe to repeat (GET, DELETE, confirm, verify): network errors, timeouts, 429 and 5xx;
 * - not safe (create, roll, PATCH): only when the server certainly did not act on it — the connection was
 *   refused before anything was sent, or the answer was 429/503 (refused without processing). Never after
 *   a timeout, a reset connection or another 5xx, where the request may have been carried out: the caller
 *   then sees the error and reconciles (a create whose response was lost is found by name on the next run).
 * A DELETE retried after an uncertain failure that then finds the token gone counts as success.
 * Errors are `ApiError`s carrying the API's code; they hold method and path only, never headers or bodies.
 */
import { Agent, type Dispatcher, request } from "undici";
import type { z } from "zod";
import type { IssuedSecret, ListTokensQuery, TokenformApi } from "./contract.js";
import { apiUrl } from "./endpoint.js";
import { ApiError } from "./errors.js";
import { parseRetryAfterMs } from "./retry.js";
import {
  type Account,
  AccountSchema,
  type AuditEntry,
  AuditEntrySchema,
  type ClaimedPickup,
  ClaimPickupResponseSchema,
  type CreateTokenRequest,
  CreateTokenResponseSchema,
  type DeliveryRecord,
  type OpenPickupRequestSchema,
  OpenPickupResponseSchema,
  OWNER_HEADER,
  type Page,
  type Pickup,
  PickupSchema,
  pageSchema,
  type RollTokenRequest,
  type Token,
  TokenSchema,
  type UpdateAccountRequest,
  type UpdateTokenRequest,
  type Usage,
  UsageSchema,
  type VerifyRequest,
  type VerifyResponse,
  VerifyResponseSchema,
  type Whoami,
  WhoamiSchema,
} from "./schemas.js";
import { SecretValue } from "./secret.js";

/** A key released to a pickup, with the client entry it is written into; the secret wrapped. */
export type PickedUpKey = Omit<ClaimedPickup["tokens"][number], "secret"> & { key: SecretValue };

/** `POST /v1/pickups`: request and answer. */
export type OpenPickupRequest = z.input<typeof OpenPickupRequestSchema>;
export type OpenPickupResponse = z.output<typeof OpenPickupResponseSchema>;

/** The `If-Match` header for a token version (the API's ETag is `"<version>"`); none without a version. */
function ifMatchHeader(version: number | undefined): Record<string, string> {
  return version === undefined ? {} : { "If-Match": `"${version}"` };
}

export interface TokenformClientOptions {
  /**
   * Base URL of the token service, e.g. `http://127.0.0.1:8787` (a trailing `/` or `/v1` is dropped; a value
   * that is not an http(s) URL throws a `ConfigError`).
   */
  baseUrl: string;
  /** Admin token (prefer a `SecretValue`). Optional only for loopback `verify` calls. */
  token?: string | SecretValue;
  /** Per-attempt timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2; 0 disables). */
  retries?: number;
  /** `User-Agent` header (default `tokenform-client/1`). */
  userAgent?: string;
  /** First backoff step in ms (default 200); attempt n waits up to base·2ⁿ, with jitter. */
  retryBaseMs?: number;
  /** Longest wait before a retry in ms (default 30 000). */
  maxRetryDelayMs?: number;
  /** undici dispatcher (Agent/Pool) to use; by default the client owns a keep-alive Agent that `close()` ends. */
  dispatcher?: Dispatcher;
  /**
   * The TokenSet owner every write declares it is made for (`Tokenform-Owner`): set by tokenform's own
   * writers (apply, the Action, the Terraform provider), never for hand edits. See `forOwner`.
   */
  owner?: string;
}

/** How a request may be repeated. */
type Repeat = "safe" | "unsafe";

interface RequestSpec<T> {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  repeat: Repeat;
  schema?: z.ZodType<T>;
  /** Status codes that are success (default: any 2xx). */
  okIf404AfterRetry?: boolean;
}

/** Connection errors that prove nothing reached the server. */
const UNSENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e.cause;
  }
  return undefined;
}

/** `ApiError.retryAfter` is in seconds (fractions kept); the header is read by the one parser. */
function retryAfterSeconds(value: string | string[] | undefined): number | undefined {
  const ms = parseRetryAfterMs(value);
  return ms === undefined ? undefined : ms / 1000;
}

const OWNER_HEADER_NAME = OWNER_HEADER.toLowerCase();
const TokenPageSchema = pageSchema(TokenSchema);
const AuditPageSchema = pageSchema(AuditEntrySchema);

/** A create or roll answer as an issued secret; a token waiting for its holder's pickup has none to give. */
function issued(out: { token: Token; secret?: string | undefined }, request: string): IssuedSecret {
  if (out.secret === undefined) {
    throw new ApiError(
      "conflict",
      `${out.token.name} is picked up by its holder (tokenform pickup): the service released no secret`,
      409,
      request,
    );
  }
  return { token: out.token, secret: new SecretValue(out.secret) };
}

export class TokenformClient implements TokenformApi {
  readonly baseUrl: string;
  readonly #token: SecretValue | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #userAgent: string;
  readonly #retryBaseMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #options: TokenformClientOptions;

  constructor(options: TokenformClientOptions) {
    this.#options = options;
    this.baseUrl = apiUrl(options.baseUrl, "the token service URL");
    this.#token = typeof options.token === "string" ? new SecretValue(options.token) : options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = Math.max(0, options.retries ?? 2);
    this.#userAgent = options.userAgent ?? "tokenform-client/1";
    this.#retryBaseMs = options.retryBaseMs ?? 200;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 4_000, connections: 16 });
  }

  /**
   * This client declaring each write as tokenform's own for `owner` (`Tokenform-Owner`), sharing its
   * connections: the service lets only such writes change `tokenform.dev/*` labels, and marks them in the
   * audit log so plans tell them from hand edits made with the same key.
   */
  forOwner(owner: string): TokenformClient {
    return new TokenformClient({ ...this.#options, owner, dispatcher: this.#dispatcher });
  }

  /** Closes the client's own connections (a dispatcher passed in options is left to its owner). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  // ------------------------------------------------------------------------------------------ TokenformApi

  whoami(): Promise<Whoami> {
    return this.#send({ method: "GET", path: "/v1/whoami", repeat: "safe", schema: WhoamiSchema });
  }

  /** The caller's account and its hourly rate limit. */
  getAccount(): Promise<Account> {
    return this.#send({ method: "GET", path: "/v1/account", repeat: "safe", schema: AccountSchema });
  }

  /** Changes the caller's account (its hourly rate limit; needs an admin key with tokens:*). */
  updateAccount(body: UpdateAccountRequest): Promise<Account> {
    // Setting a value is idempotent: repeating it leaves the same account.
    return this.#send({ method: "PATCH", path: "/v1/account", body, repeat: "safe", schema: AccountSchema });
  }

  /**
   * Opens a pickup of the keys waiting for `holder` (`tokenform pickup`); this client's key, when it has
   * one, is sent: a key of the holder's own approves the session at once.
   */
  openPickup(body: OpenPickupRequest): Promise<OpenPickupResponse> {
    return this.#send({
      method: "POST",
      path: "/v1/pickups",
      body,
      repeat: "unsafe",
      schema: OpenPickupResponseSchema,
    });
  }

  /** A pickup session by its user code (an approver's view). */
  getPickup(code: string): Promise<Pickup> {
    return this.#send({
      method: "GET",
      path: `/v1/pickups/${encodeURIComponent(code)}`,
      repeat: "safe",
      schema: PickupSchema,
    });
  }

  /** Approves a waiting pickup session. */
  approvePickup(code: string): Promise<Pickup> {
    return this.#send({
      method: "POST",
      path: `/v1/pickups/${encodeURIComponent(code)}/approve`,
      repeat: "unsafe",
      schema: PickupSchema,
    });
  }

  /**
   * Polls a pickup: `ApiError` `authorization_pending` until approved, then the released keys (once; never
   * retried, so a lost answer is never claimed twice).
   */
  async claimPickup(deviceCode: string): Promise<PickedUpKey[]> {
    const out = await this.#send({
      method: "POST",
      path: "/v1/pickups/claim",
      body: { deviceCode },
      repeat: "unsafe",
      schema: ClaimPickupResponseSchema,
    });
    return out.tokens.map(({ secret, ...token }) => ({ ...token, key: new SecretValue(secret) }));
  }

  /** Confirms that the keys `tokens` of a claimed pickup were written. */
  async confirmPickup(deviceCode: string, tokens: string[]): Promise<void> {
    await this.#send({
      method: "POST",
      path: "/v1/pickups/delivered",
      body: { deviceCode, tokens },
      repeat: "safe",
    });
  }

  listTokens(query: ListTokensQuery = {}): Promise<Page<Token>> {
    return this.#send({
      method: "GET",
      path: "/v1/tokens",
      query: { ...query },
      repeat: "safe",
      schema: TokenPageSchema,
    });
  }

  async listAllTokens(query: Omit<ListTokensQuery, "cursor"> = {}): Promise<Token[]> {
    const all: Token[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const page = await this.listTokens({ ...query, limit: query.limit ?? 500, cursor });
      all.push(...page.items);
      if (page.nextCursor === null) return all;
      if (seen.has(page.nextCursor)) throw new Error("the token service returned the same cursor twice");
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }

  getToken(id: string): Promise<Token> {
    return this.#send({
      method: "GET",
      path: `/v1/tokens/${encodeURIComponent(id)}`,
      repeat: "safe",
      schema: TokenSchema,
    });
  }

  async createToken(body: CreateTokenRequest): Promise<IssuedSecret> {
    const out = await this.#send({
      method: "POST",
      path: "/v1/tokens",
      body,
      repeat: "unsafe",
      schema: CreateTokenResponseSchema,
    });
    return issued(out, "POST /v1/tokens");
  }

  async createPickupToken(body: CreateTokenRequest): Promise<Token> {
    const out = await this.#send({
      method: "POST",
      path: "/v1/tokens",
      body,
      repeat: "unsafe",
      schema: CreateTokenResponseSchema,
    });
    return out.token;
  }

  updateToken(id: string, patch: UpdateTokenRequest, options: { ifMatch?: number } = {}): Promise<Token> {
    return this.#send({
      method: "PATCH",
      path: `/v1/tokens/${encodeURIComponent(id)}`,
      body: patch,
      headers: ifMatchHeader(options.ifMatch),
      repeat: "unsafe",
      schema: TokenSchema,
    });
  }

  confirmToken(
    id: string,
    deliveries?: DeliveryRecord[],
    options: { ifMatch?: number } = {},
  ): Promise<Token> {
    // Confirming is idempotent on the server (a second confirm changes nothing), so it is safe to repeat.
    return this.#send({
      method: "POST",
      path: `/v1/tokens/${encodeURIComponent(id)}/confirm`,
      body: deliveries === undefined ? {} : { deliveries },
      headers: ifMatchHeader(options.ifMatch),
      repeat: "safe",
      schema: TokenSchema,
    });
  }

  async rollToken(
    id: string,
    body: RollTokenRequest = {},
    options: { ifMatch?: number } = {},
  ): Promise<IssuedSecret> {
    const out = await this.#send({
      method: "POST",
      path: `/v1/tokens/${encodeURIComponent(id)}/roll`,
      body,
      headers: ifMatchHeader(options.ifMatch),
      repeat: "unsafe",
      schema: CreateTokenResponseSchema,
    });
    return issued(out, `POST /v1/tokens/${id}/roll`);
  }

  async rollToPickup(
    id: string,
    body: RollTokenRequest = {},
    options: { ifMatch?: number } = {},
  ): Promise<Token> {
    const out = await this.#send({
      method: "POST",
      path: `/v1/tokens/${encodeURIComponent(id)}/roll`,
      body,
      headers: ifMatchHeader(options.ifMatch),
      repeat: "unsafe",
      schema: CreateTokenResponseSchema,
    });
    return out.token;
  }

  async deleteToken(id: string, options: { ifMatch?: number } = {}): Promise<void> {
    await this.#send({
      method: "DELETE",
      path: `/v1/tokens/${encodeURIComponent(id)}`,
      headers: ifMatchHeader(options.ifMatch),
      repeat: "safe",
      okIf404AfterRetry: true,
    });
  }

  verify(body: VerifyRequest): Promise<VerifyResponse> {
    return this.#send({
      method: "POST",
      path: "/v1/verify",
      body,
      repeat: "safe",
      schema: VerifyResponseSchema,
    });
  }

  usage(id: string): Promise<Usage> {
    return this.#send({
      method: "GET",
      path: `/v1/tokens/${encodeURIComponent(id)}/usage`,
      repeat: "safe",
      schema: UsageSchema,
    });
  }

  audit(
    query: { cursor?: string; limit?: number; targetId?: string; actor?: string; action?: string } = {},
  ): Promise<Page<AuditEntry>> {
    return this.#send({ method: "GET", path: "/v1/audit", query, repeat: "safe", schema: AuditPageSchema });
  }

  // ------------------------------------------------------------------------------------------ transport

  #delay(attempt: number, retryAfter: number | undefined): number {
    const backoff = Math.random() * this.#retryBaseMs * 2 ** attempt;
    return Math.max(backoff, (retryAfter ?? 0) * 1000);
  }

  async #send<T>(spec: RequestSpec<T>): Promise<T> {
    const label = `${spec.method} ${spec.path}`;
    let uncertain = false;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(spec, label);
      if (outcome.ok) return outcome.value;
      const error = outcome.error;
      if (spec.okIf404AfterRetry && uncertain && error.status === 404) return undefined as T;
      const retryable =
        spec.repeat === "safe"
          ? error.transient
          : outcome.unsent || error.status === 429 || error.status === 503;
      if (!retryable || attempt >= this.#retries) throw error;
      const wait = this.#delay(attempt, error.retryAfter);
      if (wait > this.#maxRetryDelayMs) throw error;
      if (!outcome.unsent) uncertain = true;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** One request: sent, read, and parsed into the value or an `ApiError`. */
  async #attempt<T>(spec: RequestSpec<T>, label: string): Promise<Attempt<T>> {
    const sent = await this.#exchange(spec, label);
    if (!sent.ok) return sent;
    const { status, text } = sent;
    if (status >= 200 && status < 300) return parseSuccess(spec, text, status, label);
    return { ok: false, unsent: false, error: errorFromResponse(status, text, sent.retryAfter, label) };
  }

  /** Sends the request and reads the whole body; a failure says whether the request surely never left. */
  async #exchange(
    spec: RequestSpec<unknown>,
    label: string,
  ): Promise<
    | { ok: true; status: number; text: string; retryAfter: string | string[] | undefined }
    | { ok: false; error: ApiError; unsent: boolean }
  > {
    const url = new URL(this.baseUrl + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      "user-agent": this.#userAgent,
      accept: "application/json",
      ...spec.headers,
    };
    if (this.#options.owner !== undefined && spec.method !== "GET")
      headers[OWNER_HEADER_NAME] = this.#options.owner;
    if (this.#token) headers.authorization = `Bearer ${this.#token.reveal()}`;
    let payload: string | undefined;
    if (spec.body !== undefined) {
      payload = JSON.stringify(spec.body);
      headers["content-type"] = "application/json";
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: spec.method,
        headers,
        body: payload,
        dispatcher: this.#dispatcher,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.timeout(this.#timeoutMs + 1000),
      });
    } catch (error) {
      const code = errorCode(error);
      const timedOut =
        (code !== undefined && TIMEOUT_CODES.has(code)) ||
        (error instanceof Error && error.name === "TimeoutError");
      return {
        ok: false,
        unsent: code !== undefined && UNSENT_CODES.has(code),
        error: new ApiError(
          timedOut ? "timeout" : "network_error",
          timedOut
            ? `${label}: no response from the token service within ${this.#timeoutMs} ms`
            : `${label}: cannot reach the token service at ${this.baseUrl} (${code ?? (error instanceof Error ? error.message : "error")}): check that it is running and that its URL is right`,
          0,
          label,
        ),
      };
    }
    try {
      const text = await response.body.text();
      return { ok: true, status: response.statusCode, text, retryAfter: response.headers["retry-after"] };
    } catch (error) {
      const code = errorCode(error);
      return {
        ok: false,
        unsent: false,
        error: new ApiError(
          code !== undefined && TIMEOUT_CODES.has(code) ? "timeout" : "network_error",
          `${label}: the response was cut off (${code ?? "error"})`,
          0,
          label,
        ),
      };
    }
  }
}

/** The outcome of one attempt: the value, or the error and whether the request surely never left. */
type Attempt<T> = { ok: true; value: T } | { ok: false; error: ApiError; unsent: boolean };

/** A 2xx body checked against the request's response schema. */
function parseSuccess<T>(spec: RequestSpec<T>, text: string, status: number, label: string): Attempt<T> {
  if (!spec.schema) return { ok: true, value: undefined as T };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {
      ok: false,
      unsent: false,
      error: new ApiError("invalid_response", `${label}: the response is not JSON`, status, label),
    };
  }
  const parsed = spec.schema.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      unsent: false,
      error: new ApiError(
        "invalid_response",
        `${label}: unexpected response shape (${parsed.error.issues[0]?.message ?? "invalid"})`,
        status,
        label,
      ),
    };
  }
  return { ok: true, value: parsed.data };
}

/** The `ApiError` of a non-2xx answer: the service's JSON error body when there is one. */
function errorFromResponse(
  status: number,
  text: string,
  retryAfter: string | string[] | undefined,
  label: string,
): ApiError {
  let code = `http_${status}`;
  let message = `${label} failed with HTTP ${status}`;
  let details: unknown;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = `${label}: ${body.error.message}`;
    details = body.error?.details;
  } catch {
    // Not our JSON error body (a proxy's page): keep the generic message.
  }
  return new ApiError(code, message, status, label, retryAfterSeconds(retryAfter), details);
}
