/**
 * The store contract: what the token service persists and how it reads it back. Every method is async so
 * that a networked database (PostgreSQL) can implement it without changing callers; the embedded SQLite
 * store simply resolves at once. Each write method is one atomic transaction that also appends its audit
 * entry, so a change and its audit record can never be separated.
 *
 * Records hold times as epoch milliseconds and never a raw secret: a secret is its digest (base64 of
 * SHA-256 or HMAC-SHA256), display prefix and fingerprint.
 */
import type { DeliveryRecord, TokenStatus } from "../../api/schemas.js";
import type { TokenType } from "../../spec/schema.js";
import type { LabelRequirement } from "../selector.js";
import type { AddressUse } from "./usage-merge.js";

/** Token prefixes an account issues, per type (e.g. `mcp_sk_`). */
export interface TokenPrefixes {
  mcp: string;
  agent: string;
  admin: string;
}

/** An account: the isolation boundary for tokens. */
export interface AccountRecord {
  /** Unique account name (a slug such as `default` or `acme`). */
  name: string;
  prefixes: TokenPrefixes;
  createdAt: number;
  /**
   * Requests per hour the account's keys may make together: a number, `"unlimited"`, or null (absent on
   * older records) for the server's default.
   */
  ratePerHour?: AccountRateLimit | null;
}

/** An account's hourly limit as set: a positive number of requests, or no limit at all. */
export type AccountRateLimit = number | "unlimited";

/**
 * Where a secret stands in its token's lifecycle:
 * - `current`: the token's secret (authenticates unless the token is pending/disabled/expired);
 * - `previous`: an older secret kept for a rotation overlap until `expiresAt` (null = until a pending
 *   roll is confirmed, then confirm time + overlap);
 * - `next`: a pending roll's new secret; authenticates only once the roll is confirmed.
 */
export type SecretState = "current" | "previous" | "next";

/** One secret of a token, as kept at rest. */
export interface SecretRecord {
  /** base64 digest of the raw secret (see `Digester`). */
  digest: string;
  displayPrefix: string;
  fingerprint: string;
  generation: number;
  state: SecretState;
  /** End of a previous secret's overlap; null for current/next secrets or an open-ended overlap. */
  expiresAt: number | null;
  /** For a `next` secret: overlap (seconds) the current secret gets when the roll is confirmed. */
  overlapSeconds: number | null;
  createdAt: number;
}

/** The settings and lifecycle of a token: everything a management write replaces. */
export interface TokenRecord {
  id: string;
  account: string;
  name: string;
  description: string;
  type: TokenType;
  scopes: string[];
  readOnly: boolean;
  labels: Record<string, string>;
  ipAllowlist: string[];
  /** MCP tools the key may call (names or `*` patterns); null = no restriction. */
  tools: string[] | null;
  /**
   * Destinations this token holds (claim ids, sorted): no other token of the account may claim them, but a
   * token with the same `tokenform.dev/owner` label takes one over (a rename or hand-over in one set).
   */
  destinations: string[];
  /** Per-key requests per minute; null = the service default. */
  ratePerMinute: number | null;
  /** Per-key requests per hour; null = none. */
  ratePerHour: number | null;
  enabled: boolean;
  /** Created pending and not yet confirmed. */
  pending: boolean;
  /** Deadline of an unconfirmed pending token or pending roll; null when nothing awaits confirmation. */
  pendingExpiresAt: number | null;
  expiresAt: number | null;
  deliveries: DeliveryRecord[];
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  rotatedAt: number;
  /** Highest generation ever issued (generations are never reused, even when a pending roll lapses). */
  lastGeneration: number;
  /** Optimistic-concurrency version: +1 on every change. */
  version: number;
  secrets: SecretRecord[];
  /** The person the key is for (`holder` in the spec, e.g. `alice@example.com`); null when none is named. */
  holder: string | null;
  /** Where the holder picks the key up into (an MCP client's configuration), and that pickup's state. */
  pickup: TokenPickup | null;
}

/** The MCP clients a key can be picked up into, and the header forms they send it with. */
export type PickupClient = "cursor" | "claude-desktop" | "vscode" | "windsurf";
export type PickupHeader = "bearer" | "x-api-key" | "api-token";

/**
 * A token delivered by its holder's pickup (`tokenform pickup`) instead of by apply: the client entry the
 * secret is written into, and whether a secret waits to be released. While `openedAt` is set, the next
 * approved pickup of the holder mints a new secret and releases it once (src/service/pickups.ts).
 */
export interface TokenPickup {
  client: PickupClient;
  /** The server's name in the client's configuration. */
  server: string;
  url: string;
  header: PickupHeader;
  /** When the waiting pickup was opened (token created, or rolled); null when nothing waits. */
  openedAt: number | null;
  /** Overlap (seconds) the current secret gets when the waiting secret is released (a roll). */
  overlapSeconds: number | null;
  /** When a secret was last released to a pickup. */
  releasedAt: number | null;
  /** When the holder's CLI last confirmed writing it. */
  deliveredAt: number | null;
}

/**
 * Where a pickup session stands: `waiting` for approval, `approved` (by an admin or the holder's own
 * key), `claimed` (the secrets were released, once), `delivered` (the holder's CLI confirmed writing them).
 */
export type PickupState = "waiting" | "approved" | "claimed" | "delivered";

/** One pickup session: a device-flow request by a holder's CLI for the keys waiting for them. */
export interface PickupRecord {
  /** `pku_…` */
  id: string;
  account: string;
  /** The short code shown to the holder and typed by the approver (8 letters, stored without the dash). */
  userCode: string;
  /** base64 digest of the device code, the secret only the requesting CLI holds. */
  deviceDigest: string;
  holder: string;
  /** The tokens waiting for this holder when the session was opened. */
  tokenIds: string[];
  state: PickupState;
  createdAt: number;
  expiresAt: number;
  requesterIp: string | null;
  /** Who approved it (a key's name), and when. */
  approvedBy: string | null;
  approvedAt: number | null;
  claimedAt: number | null;
  deliveredAt: number | null;
  /** Optimistic-concurrency version: +1 on every change. */
  version: number;
}

/** Usage counters, written only by the usage flush (never by settings writes). */
export interface UsageFields {
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  /** Successful verifications. */
  requestCount: number;
  /** Refused verifications of this key (disabled, expired, IP, scope, read-only, rate limit, signature). */
  failedAttempts: number;
}

/** A token as read from the store. */
export type StoredToken = TokenRecord & UsageFields & { /** Insertion order, for cursors. */ seq: number };

/** An audit entry. `changes` never holds a secret or a digest. */
export interface AuditRecord {
  id: string;
  account: string;
  at: number;
  actor: string;
  actorTokenId: string | null;
  action: string;
  targetId: string | null;
  targetName: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  sourceIp: string | null;
}

/** An audit entry as read from the store. */
export type StoredAudit = AuditRecord & { seq: number };

/** Filters for listing tokens; `now` decides `status` (expiry) and hides lapsed pending tokens. */
export interface TokenFilter {
  requirements: LabelRequirement[];
  /** Only the token holding this destination claim. */
  destination?: string;
  /** Only the token with this name. */
  name?: string;
  /** Only the tokens of this holder. */
  holder?: string;
  status?: TokenStatus;
  type?: TokenType;
  now: number;
}

/** Usage accumulated for one token since the last flush. */
export interface UsageDelta {
  tokenId: string;
  requests: number;
  failures: number;
  /** Time of the last successful use in this batch, if any. */
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  /** Per-hour counts: hour start (epoch ms) → counts. */
  hours: Map<number, { requests: number; failures: number }>;
  /** Successful uses per client IP in this batch (absent = none). */
  addresses?: ReadonlyMap<string, AddressUse>;
}

/** A client address a token was used from, as stored (at most `ADDRESSES_KEPT` per token). */
export interface TokenAddress extends AddressUse {
  ip: string;
}

/** One hourly usage bucket. */
export interface UsageBucket {
  start: number;
  requests: number;
  failures: number;
}

/** Result of a conditional write. */
export type WriteResult<T> = { ok: true; value: T } | { ok: false; reason: "not_found" | "version_mismatch" };

/** Thrown when a write would break a uniqueness rule (a token name already used in the account). */
export class StoreConflictError extends Error {
  override readonly name = "StoreConflictError";
  constructor(
    message: string,
    /** What collided: `name` (token name in an account), `account`, or `destination` (a claim). */
    readonly field: "name" | "account" | "destination" | "pickup",
    /** The token holding the name or destination, when it is one. */
    readonly holder?: ClaimHolder,
    /** The destination claimed, for `destination` conflicts. */
    readonly subject?: string,
  ) {
    super(message);
  }
}

import type { ClaimHolder } from "../../api/holder.js";

export { type ClaimHolder, describeHolder } from "../../api/holder.js";

/** Persistence for the token service. */
export interface TokenStore {
  /** Applies pending migrations. Called once before use. */
  init(): Promise<void>;
  /** Releases the database. */
  close(): Promise<void>;

  countAccounts(): Promise<number>;
  /** Throws `StoreConflictError` (field `account`) when the name exists. */
  createAccount(account: AccountRecord): Promise<void>;
  getAccount(name: string): Promise<AccountRecord | undefined>;
  /**
   * Sets an account's hourly limit (null: back to the server's default) with its audit entry, in one
   * transaction. False when the account does not exist.
   */
  setAccountRateLimit(name: string, perHour: AccountRateLimit | null, audit: AuditRecord): Promise<boolean>;

  /** Inserts a token with its secrets. Throws `StoreConflictError` (field `name`) on a duplicate name. */
  insertToken(token: TokenRecord, audit: AuditRecord | null): Promise<StoredToken>;
  /**
   * Replaces a token's settings and secrets if its stored version is `expectedVersion` (the caller sets
   * `token.version` to the new one). Usage counters are left alone. Throws `StoreConflictError` on a
   * duplicate name.
   */
  saveToken(
    token: TokenRecord,
    expectedVersion: number,
    audit: AuditRecord | null,
  ): Promise<WriteResult<StoredToken>>;
  /** Deletes a token (and its secrets and usage) if present and, when given, at `expectedVersion`. */
  deleteToken(
    account: string,
    id: string,
    expectedVersion: number | null,
    audit: AuditRecord | null,
  ): Promise<WriteResult<StoredToken>>;
  getToken(account: string, id: string): Promise<StoredToken | undefined>;
  /** The token holding the secret with `digest` (base64), and that secret. */
  findBySecret(digest: string): Promise<{ token: StoredToken; secret: SecretRecord } | undefined>;
  /** Up to `limit` tokens of `account` matching `filter`, in insertion order, after `afterSeq`. */
  listTokens(
    account: string,
    filter: TokenFilter,
    afterSeq: number | null,
    limit: number,
  ): Promise<StoredToken[]>;
  /** Tokens with something due at `now`: a lapsed pending deadline, a lapsed overlap, a lapsed session key. */
  listDue(now: number, limit: number): Promise<StoredToken[]>;

  /** Appends an audit entry on its own (a refused action: nothing else is written). */
  appendAudit(audit: AuditRecord): Promise<void>;
  /** Audit entries of `account`, newest first, before `beforeSeq`; each filter given must match exactly. */
  listAudit(
    account: string,
    query: { targetId?: string; actor?: string; action?: string; beforeSeq: number | null; limit: number },
  ): Promise<StoredAudit[]>;

  /** Adds a batch of usage in one transaction (deltas of deleted tokens are dropped). */
  applyUsage(deltas: readonly UsageDelta[]): Promise<void>;
  /** Hourly usage buckets of a token from `since` (epoch ms) on, oldest first. */
  usageBuckets(tokenId: string, since: number): Promise<UsageBucket[]>;
  /** The client addresses a token was used from (the `ADDRESSES_KEPT` last seen), most recent first. */
  tokenAddresses(tokenId: string): Promise<TokenAddress[]>;

  /**
   * Records that a signed request of `tokenId` with `signature` was admitted, until `expiresAt` (epoch
   * ms), in one atomic insert-if-absent: true when this call recorded it, false when it is already
   * recorded and not yet expired at `now` (a replay — on this instance, after a restart, or on another
   * instance sharing the database).
   */
  claimSignature(tokenId: string, signature: string, expiresAt: number, now: number): Promise<boolean>;
  /** Forgets recorded signatures that expired at or before `now` (the sweeper); returns how many. */
  pruneSignatures(now: number): Promise<number>;

  /**
   * Inserts a pickup session (with its audit entry, when given, in the same transaction). Throws
   * `StoreConflictError` (field `pickup`) when its user code or device digest is already in use.
   */
  insertPickup(pickup: PickupRecord, audit: AuditRecord | null): Promise<void>;
  /** The pickup session with this user code (in `account`) or device digest, expired or not. */
  findPickup(
    by: { account: string; userCode: string } | { deviceDigest: string },
  ): Promise<PickupRecord | undefined>;
  /**
   * Replaces a pickup session if its stored version is `expectedVersion` (the caller sets `pickup.version`
   * to the new one), with its audit entry; false when it is gone or was changed meanwhile.
   */
  savePickup(pickup: PickupRecord, expectedVersion: number, audit: AuditRecord | null): Promise<boolean>;
  /**
   * How many sessions for `holder` in `account` wait for approval, unexpired at `now`: in all, and of
   * those asked for from `requesterIp` (null: from an unknown address).
   */
  countWaitingPickups(
    account: string,
    holder: string,
    requesterIp: string | null,
    now: number,
  ): Promise<{ total: number; fromAddress: number }>;
  /** Deletes pickup sessions that expired at or before `now` (the sweeper); returns how many. */
  prunePickups(now: number): Promise<number>;
}

/** Label marking an embedded session admin key (see `startService`): deleted on close or once expired. */
export const SESSION_LABEL = "tokenform.dev/session";
