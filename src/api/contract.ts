/**
 * `TokenformApi`: what the plan, apply, provider and Action need from the token service. The HTTP client
 * (`client.ts`) implements it; so can an in-process adapter. Secrets come back wrapped in `SecretValue`.
 */

import type {
  AuditEntry,
  CreateTokenRequest,
  DeliveryRecord,
  Page,
  RollTokenRequest,
  Token,
  TokenStatus,
  UpdateTokenRequest,
  Usage,
  VerifyRequest,
  VerifyResponse,
  Whoami,
} from "./schemas.js";
import type { SecretValue } from "./secret.js";

/** Filters for listing tokens. `selector` is a label selector such as `tokenform.dev/owner=acme/infra,team=x`. */
export interface ListTokensQuery {
  selector?: string;
  status?: TokenStatus;
  type?: "mcp" | "agent" | "admin";
  /** Only the token with this name. */
  name?: string;
  /** Only the tokens of this holder. */
  holder?: string;
  /** Only the token holding this destination (a claim id). */
  destination?: string;
  cursor?: string;
  /** Page size, 1–500 (default 100). */
  limit?: number;
}

export interface IssuedSecret {
  token: Token;
  secret: SecretValue;
}

export interface TokenformApi {
  whoami(): Promise<Whoami>;
  listTokens(query?: ListTokensQuery): Promise<Page<Token>>;
  /** Follows cursors until the end. */
  listAllTokens(query?: Omit<ListTokensQuery, "cursor">): Promise<Token[]>;
  /** Throws `ApiError` with code `not_found` when absent. */
  getToken(id: string): Promise<Token>;
  createToken(request: CreateTokenRequest): Promise<IssuedSecret>;
  /** `ifMatch` is the token's `version`; a stale one fails with `precondition_failed`. */
  updateToken(id: string, patch: UpdateTokenRequest, options?: { ifMatch?: number }): Promise<Token>;
  /** `ifMatch` (as for every write below) makes the call fail with `precondition_failed` if the token moved. */
  confirmToken(id: string, deliveries?: DeliveryRecord[], options?: { ifMatch?: number }): Promise<Token>;
  rollToken(id: string, request?: RollTokenRequest, options?: { ifMatch?: number }): Promise<IssuedSecret>;
  /**
   * Creates a token its holder picks up (`request.pickup` set): no secret comes back; it waits for the
   * holder's `tokenform pickup`.
   */
  createPickupToken(request: CreateTokenRequest): Promise<Token>;
  /** Rolls a picked-up token: the new secret waits for the holder's next pickup (none comes back). */
  rollToPickup(id: string, request?: RollTokenRequest, options?: { ifMatch?: number }): Promise<Token>;
  deleteToken(id: string, options?: { ifMatch?: number }): Promise<void>;
  verify(request: VerifyRequest): Promise<VerifyResponse>;
  usage(id: string): Promise<Usage>;
  audit(query?: {
    cursor?: string;
    limit?: number;
    targetId?: string;
    actor?: string;
    action?: string;
  }): Promise<Page<AuditEntry>>;
  /**
   * The same API with every write declared as tokenform's own for `owner` (the `Tokenform-Owner` header):
   * needed to change `tokenform.dev/*` labels, and how plans tell apply's writes from hand edits.
   */
  forOwner?(owner: string): TokenformApi;
}

/** `api` writing as tokenform's own for `owner` (as is, for an adapter that declares nothing). */
export function ownerApi(api: TokenformApi, owner: string): TokenformApi {
  return api.forOwner?.(owner) ?? api;
}
