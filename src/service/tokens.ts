/**
 * `TokenManager`: the management operations behind the API — create, read, list, update, confirm, roll,
 * delete, audit, usage, accounts and the sweeper — with their rules (account isolation, optimistic
 * concurrency, two-phase creation and rolling, admin scope escalation). Each write is one store
 * transaction with its audit entry, followed by a cache invalidation so verification sees it on the next
 * request. Refusals are `ServiceError`s with API codes; the HTTP layer renders them.
 *
 * Pending rolls (`POST /roll` with `pending: true`): the new secret is issued as `next` and cannot
 * authenticate; the token presents it (displayPrefix/fingerprint/generation) and lists the still-working
 * current secret in `previousSecrets` with `expiresAt: null`. Confirming makes the new secret current
 * and starts the old one's overlap from the confirm time. An unconfirmed roll lapses after the pending
 * TTL: the new secret is discarded and the token is as it was (generation numbers are never reused).
 */
import type { z } from "zod";
import { holderOf } from "../api/holder.js";
import { PAGE_DEFAULT, PAGE_MAX } from "../api/routes.js";
import type {
  AuditEntry,
  CreateTokenRequestSchema,
  DeliveryRecord,
  Page,
  RollTokenRequestSchema,
  Token,
  TokenStatus,
  UpdateTokenRequestSchema,
  Usage,
} from "../api/schemas.js";
import { APPLIED_FOR_CHANGE, EMBEDDED_SESSION_PREFIX } from "../api/schemas.js";
import { displayPrefixOf, fingerprintOf, SecretValue } from "../api/secret.js";
import { checkCidr } from "../spec/address.js";
import { parseDuration } from "../spec/duration.js";
import { nameProblem } from "../spec/identifiers.js";
import type { PickupTarget as PickupTargetInput, TokenType } from "../spec/schema.js";
import { generateToken, randomBase62 } from "../spec/token-format.js";
import { normaliseTools } from "../spec/tools.js";
import { type Authority, exceedsAuthority, UNLIMITED } from "./authority.js";
import type { Clock } from "./clock.js";
import { iso } from "./clock.js";
import type { Digester } from "./digest.js";
import { ServiceError } from "./errors.js";
import { newAuditId, newTokenId } from "./ids.js";
import type { Invalidation } from "./invalidation.js";
import { LEAK_ACTOR, type LeakAction, type LeakReport, type LeakResponse, respondToLeak } from "./leaks.js";
import {
  effectiveToken,
  pickupTarget,
  presentedSecret,
  toApiToken,
  tokenStatus,
  waitingAgainForPickup,
} from "./lifecycle.js";
import { reservedLabelProblem } from "./ownership.js";
import { parseSelector } from "./selector.js";
import {
  type AccountRecord,
  type AuditRecord,
  describeHolder,
  SESSION_LABEL,
  type SecretRecord,
  StoreConflictError,
  type StoredToken,
  type TokenPickup,
  type TokenPrefixes,
  type TokenRecord,
  type TokenStore,
} from "./store/types.js";
import type { UsageSink } from "./usage-sink.js";

export type CreateTokenInput = z.output<typeof CreateTokenRequestSchema>;
export type UpdateTokenInput = z.output<typeof UpdateTokenRequestSchema>;
export type RollTokenInput = z.output<typeof RollTokenRequestSchema>;

/** Who performs a management action. */
export interface Actor {
  account: string;
  /** Name of the acting admin token (or `tokenform` for the service itself). */
  name: string;
  tokenId: string | null;
  scopes: readonly string[];
  /** Source address of the request, when there is one. */
  ip: string | null;
  /** The TokenSet owner the request declared it writes for (`Tokenform-Owner`: tokenform's own writers). */
  owner?: string;
}

/** Account names: lowercase slugs. */
export const ACCOUNT_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
/** Name of the admin key every new account starts with. */
export const FIRST_ADMIN_NAME = "bootstrap-admin";
/** Scopes of an account's first admin key. */
export const FIRST_ADMIN_SCOPES = ["tokens:*"];
/** The authority an account-wide change needs: the first admin key's (every token scope, no restriction). */
const ACCOUNT_AUTHORITY: Authority = Object.freeze({
  ...UNLIMITED,
  scopes: Object.freeze([...FIRST_ADMIN_SCOPES]),
});
/** The actor name for changes the service makes by itself (sweeper, bootstrap). */
export const SYSTEM_ACTOR = "tokenform";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Usage history returned: the last 48 hours by hour, the last 30 days by day. */
const USAGE_HOURS = 48;
const USAGE_DAYS = 30;

export interface TokenManagerOptions {
  store: TokenStore;
  /** Told the id of every token written, so caches drop its secrets (src/service/invalidation.ts). */
  invalidation: Invalidation;
  clock: Clock;
  digester: Digester;
  usage: UsageSink;
  /** How long an unconfirmed pending token or roll lives, in seconds. */
  pendingTtlSeconds: number;
  /** Prefixes for accounts created without their own. */
  defaultPrefixes: TokenPrefixes;
}

function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString("base64url");
}

function decodeCursor(cursor: string | undefined): number | null {
  if (cursor === undefined || cursor === "") return null;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^s:(\d{1,15})$/.exec(text);
  if (!match) throw new ServiceError("bad_request", "cursor is not one this API returned");
  return Number(match[1]);
}

/** Parses a page size: 1–500, default 100. */
export function pageLimit(limit: string | number | undefined): number {
  if (limit === undefined || limit === "") return PAGE_DEFAULT;
  const n = typeof limit === "number" ? limit : /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > PAGE_MAX) {
    throw new ServiceError("bad_request", `limit must be an integer from 1 to ${PAGE_MAX}`);
  }
  return n;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The audited, user-visible settings of a token (never a secret or digest). */
function auditedFields(token: TokenRecord, now: number): Record<string, unknown> {
  return {
    name: token.name,
    description: token.description,
    type: token.type,
    scopes: token.scopes,
    readOnly: token.readOnly,
    labels: token.labels,
    ipAllowlist: token.ipAllowlist,
    tools: token.tools,
    rateLimit: { perMinute: token.ratePerMinute, perHour: token.ratePerHour },
    enabled: token.enabled,
    expiresAt: token.expiresAt === null ? null : iso(token.expiresAt),
    status: tokenStatus(token, now),
    generation: presentedSecret(token).generation,
    deliveries: token.deliveries,
    destinations: token.destinations,
    holder: token.holder,
    pickup: token.pickup && pickupTarget(token.pickup),
  };
}

/** A pickup target as set on create or update, its state kept from `before` (fresh when none). */
function pickupOf(
  target: PickupTargetInput | null | undefined,
  before: TokenPickup | null,
  openedAt: number | null,
): TokenPickup | null {
  if (target === undefined) return before;
  if (target === null) return null;
  return {
    client: target.client,
    server: target.server,
    url: target.url,
    header: target.header ?? "bearer",
    openedAt: before ? before.openedAt : openedAt,
    overlapSeconds: before?.overlapSeconds ?? null,
    releasedAt: before?.releasedAt ?? null,
    deliveredAt: before?.deliveredAt ?? null,
  };
}

function diff(before: TokenRecord | null, after: TokenRecord | null, now: number): AuditRecord["changes"] {
  const from = before ? auditedFields(before, now) : {};
  const to = after ? auditedFields(after, now) : {};
  const changes: AuditRecord["changes"] = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (!same(from[key], to[key])) changes[key] = { from: from[key] ?? null, to: to[key] ?? null };
  }
  return changes;
}

function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** Merges delivery records by destination (a newer record for a destination replaces the older). */
function mergeDeliveries(existing: DeliveryRecord[], incoming: DeliveryRecord[]): DeliveryRecord[] {
  const byDestination = new Map(existing.map((d) => [d.destination, d]));
  for (const d of incoming) byDestination.set(d.destination, d);
  return [...byDestination.values()];
}

export class TokenManager {
  readonly #store: TokenStore;
  readonly #invalidation: Invalidation;
  readonly #clock: Clock;
  readonly #digester: Digester;
  readonly #usage: UsageSink;
  readonly #pendingTtlMs: number;
  readonly #defaultPrefixes: TokenPrefixes;
  readonly #accounts = new Map<string, AccountRecord>();

  constructor(options: TokenManagerOptions) {
    this.#store = options.store;
    this.#invalidation = options.invalidation;
    this.#clock = options.clock;
    this.#digester = options.digester;
    this.#usage = options.usage;
    this.#pendingTtlMs = options.pendingTtlSeconds * 1000;
    this.#defaultPrefixes = options.defaultPrefixes;
  }

  // ---------------------------------------------------------------------------------------------- accounts

  /** Creates an account and its first admin key (`bootstrapToken` when given, otherwise a fresh one). */
  async createAccount(
    name: string,
    options: { prefixes?: Partial<TokenPrefixes>; bootstrapToken?: string } = {},
  ): Promise<{ account: string; adminToken: SecretValue; token: Token }> {
    if (!ACCOUNT_NAME_PATTERN.test(name)) {
      throw new ServiceError(
        "unprocessable",
        `account names are lowercase slugs such as "acme" (got ${JSON.stringify(name)})`,
      );
    }
    const account: AccountRecord = {
      name,
      prefixes: { ...this.#defaultPrefixes, ...options.prefixes },
      createdAt: this.#clock.now(),
    };
    try {
      await this.#store.createAccount(account);
    } catch (error) {
      if (error instanceof StoreConflictError) throw new ServiceError("conflict", error.message);
      throw error;
    }
    this.#accounts.set(name, account);
    const actor: Actor = { account: name, name: SYSTEM_ACTOR, tokenId: null, scopes: ["*"], ip: null };
    const issued = await this.#insert(
      actor,
      {
        name: FIRST_ADMIN_NAME,
        type: "admin",
        description: `First admin key of account ${name}`,
        scopes: FIRST_ADMIN_SCOPES,
      },
      options.bootstrapToken,
    );
    return { account: name, adminToken: new SecretValue(issued.secret), token: issued.token };
  }

  /** Creates a short-lived admin key for an embedded session (deleted by `deleteToken` or once expired). */
  async createSessionKey(
    account: string,
    lifetimeSeconds: number,
  ): Promise<{ id: string; secret: SecretValue }> {
    const actor: Actor = { account, name: SYSTEM_ACTOR, tokenId: null, scopes: ["*"], ip: null };
    const issued = await this.#insert(actor, {
      name: `${EMBEDDED_SESSION_PREFIX}${randomBase62(8).toLowerCase()}`,
      type: "admin",
      description: "Admin key of an embedded tokenform session (removed when the session ends)",
      scopes: FIRST_ADMIN_SCOPES,
      labels: { [SESSION_LABEL]: "true" },
      expiresIn: `${lifetimeSeconds}s`,
    });
    return { id: issued.token.id, secret: new SecretValue(issued.secret) };
  }

  async #account(name: string): Promise<AccountRecord> {
    let account = this.#accounts.get(name);
    if (!account) {
      account = await this.#store.getAccount(name);
      if (!account) throw new ServiceError("not_found", `account ${name} does not exist`);
      this.#accounts.set(name, account);
    }
    return account;
  }

  // ---------------------------------------------------------------------------------------------- reads

  #view(token: StoredToken, now: number): Token {
    return toApiToken(token, now, this.#usage.peek(token.id));
  }

  async #load(actor: Actor, id: string): Promise<StoredToken> {
    const stored = await this.#store.getToken(actor.account, id);
    const token = stored && effectiveToken(stored, this.#clock.now());
    // Another account's token is "not found", never "forbidden": existence is not leaked.
    if (!token) throw new ServiceError("not_found", `no token with id ${JSON.stringify(id)}`);
    return token;
  }

  async get(actor: Actor, id: string): Promise<Token> {
    return this.#view(await this.#load(actor, id), this.#clock.now());
  }

  async list(
    actor: Actor,
    query: {
      selector?: string;
      status?: TokenStatus;
      type?: TokenType;
      name?: string;
      holder?: string;
      destination?: string;
      cursor?: string;
      limit?: string | number;
    },
  ): Promise<Page<Token>> {
    const parsed = parseSelector(query.selector ?? "");
    if (!parsed.ok) throw new ServiceError("bad_request", `invalid selector: ${parsed.message}`);
    const limit = pageLimit(query.limit);
    const afterSeq = decodeCursor(query.cursor);
    const now = this.#clock.now();
    const rows = await this.#store.listTokens(
      actor.account,
      {
        requirements: parsed.requirements,
        status: query.status,
        type: query.type,
        ...(query.name !== undefined ? { name: query.name } : {}),
        ...(query.holder !== undefined ? { holder: query.holder } : {}),
        ...(query.destination !== undefined ? { destination: query.destination } : {}),
        now,
      },
      afterSeq,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const items: Token[] = [];
    for (const row of page) {
      const token = effectiveToken(row, now);
      if (token) items.push(this.#view(token, now));
    }
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }

  async audit(
    actor: Actor,
    query: { cursor?: string; limit?: string | number; targetId?: string; actor?: string; action?: string },
  ): Promise<Page<AuditEntry>> {
    const limit = pageLimit(query.limit);
    const beforeSeq = decodeCursor(query.cursor);
    const rows = await this.#store.listAudit(actor.account, {
      targetId: query.targetId || undefined,
      actor: query.actor || undefined,
      action: query.action || undefined,
      beforeSeq,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(({ seq: _seq, at, ...entry }) => ({ ...entry, at: iso(at) })),
      nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null,
    };
  }

  async usage(actor: Actor, id: string): Promise<Usage> {
    await this.#load(actor, id);
    await this.#usage.flush();
    const token = await this.#load(actor, id);
    const now = this.#clock.now();
    const thisHour = now - (now % HOUR_MS);
    const today = now - (now % DAY_MS);
    const firstDay = today - (USAGE_DAYS - 1) * DAY_MS;
    const buckets = await this.#store.usageBuckets(id, firstDay);
    const hourly = buckets
      .filter((b) => b.start > thisHour - USAGE_HOURS * HOUR_MS)
      .map((b) => ({ start: iso(b.start), requests: b.requests, failures: b.failures }));
    const days = new Map<number, { requests: number; failures: number }>();
    for (const b of buckets) {
      const day = b.start - (b.start % DAY_MS);
      const into = days.get(day) ?? { requests: 0, failures: 0 };
      into.requests += b.requests;
      into.failures += b.failures;
      days.set(day, into);
    }
    return {
      tokenId: id,
      lastUsedAt: token.lastUsedAt === null ? null : iso(token.lastUsedAt),
      lastUsedIp: token.lastUsedIp,
      requestCount: token.requestCount,
      failedAttempts: token.failedAttempts,
      hourly,
      daily: [...days].sort((a, b) => a[0] - b[0]).map(([start, c]) => ({ start: iso(start), ...c })),
      addresses: (await this.#store.tokenAddresses(id)).map((a) => ({
        ip: a.ip,
        firstSeen: iso(a.firstSeen),
        lastSeen: iso(a.lastSeen),
        count: a.count,
      })),
    };
  }

  // ---------------------------------------------------------------------------------------------- writes

  #auditRecord(
    actor: Actor,
    action: string,
    target: TokenRecord,
    changes: AuditRecord["changes"],
  ): AuditRecord {
    return {
      id: newAuditId(),
      account: actor.account,
      at: this.#clock.now(),
      actor: actor.name,
      actorTokenId: actor.tokenId,
      action,
      targetId: target.id,
      targetName: target.name,
      // A write by tokenform's own apply says so, which tells it from a hand edit made with the same key.
      changes:
        actor.owner === undefined
          ? changes
          : { ...changes, [APPLIED_FOR_CHANGE]: { from: null, to: actor.owner } },
      sourceIp: actor.ip,
    };
  }

  /** Problems with settings that zod cannot see (422), collected so all are reported at once. */
  #checkSettings(actor: Actor, input: Partial<CreateTokenInput>, creating: boolean, now: number): void {
    const issues: Array<{ path: string; message: string }> = [];
    // Session keys act without limits (see #authorityOf): only the service makes them.
    if (actor.tokenId !== null && input.labels && Object.hasOwn(input.labels, SESSION_LABEL)) {
      issues.push({
        path: "labels",
        message: `${SESSION_LABEL} is reserved for the service's own session keys`,
      });
    }
    // The API's schema checks names already; this keeps library callers to the same rule.
    const nameIssue = input.name === undefined ? undefined : nameProblem(input.name);
    if (nameIssue) issues.push({ path: "name", message: nameIssue });
    if (input.ipAllowlist) {
      for (const entry of input.ipAllowlist) {
        const check = checkCidr(entry);
        if (!check.ok) issues.push({ path: "ipAllowlist", message: check.message });
      }
    }
    if (input.labels) {
      for (const key of Object.keys(input.labels)) {
        if (key.trim() === "") issues.push({ path: "labels", message: "label keys must not be empty" });
      }
    }
    if (input.expiresAt != null && input.expiresIn !== undefined) {
      issues.push({ path: "expiresIn", message: "give expiresAt or expiresIn, not both" });
    }
    if (creating && input.expiresAt != null && Date.parse(input.expiresAt) <= now) {
      issues.push({ path: "expiresAt", message: "expiresAt is in the past" });
    }
    if (input.expiresIn !== undefined && parseDuration(input.expiresIn) === undefined) {
      issues.push({ path: "expiresIn", message: "expiresIn is not a duration" });
    }
    if (issues.length > 0) {
      throw new ServiceError(
        "unprocessable",
        issues.map((i) => `${i.path}: ${i.message}`).join("; "),
        {},
        { issues },
      );
    }
  }

  /**
   * The acting key's authority, read afresh. The service itself (no actor id) and an embedded session key
   * — minted in-process for the CLI run that owns the local database, deleted when it ends, its short
   * expiry a clean-up deadline rather than a limit — act without limits.
   */
  async #authorityOf(actor: Actor): Promise<Authority> {
    if (actor.tokenId === null) return UNLIMITED;
    const stored = await this.#store.getToken(actor.account, actor.tokenId);
    const own = stored && effectiveToken(stored, this.#clock.now());
    if (own?.labels[SESSION_LABEL] === "true") return UNLIMITED;
    // A key deleted while its request ran holds no authority at all.
    return own ?? { ...UNLIMITED, scopes: [], readOnly: true, ipAllowlist: ["0.0.0.0/32"] };
  }

  /**
   * Refuses (403 `authority_exceeded`, audited) when `target` — a key as it is, or as a write would leave
   * it — exceeds the acting key's authority (src/service/authority.ts).
   */
  async #requireAuthority(actor: Actor, action: string, target: TokenRecord): Promise<void> {
    if (target.type !== "admin") return;
    const excess = exceedsAuthority(await this.#authorityOf(actor), target);
    if (excess === undefined) return;
    const verb = action.replace(/^token\./, "");
    const message = `this key may not ${verb} ${target.name}: ${excess.message}`;
    await this.#store.appendAudit(
      this.#auditRecord(actor, "token.refused", target, {
        action: { from: null, to: action },
        [excess.part]: { from: null, to: excess.message },
      }),
    );
    throw new ServiceError("authority_exceeded", message, {}, { part: excess.part });
  }

  /**
   * Refuses (403 `authority_exceeded`, audited as `account.refused`) an account-wide change — it loosens or
   * tightens every key at once — by a key with less than the first admin key's authority: every token
   * scope and no restriction of its own (src/service/authority.ts, the rule for keys).
   */
  async requireAccountAuthority(actor: Actor, what: string): Promise<void> {
    const excess = exceedsAuthority(await this.#authorityOf(actor), ACCOUNT_AUTHORITY);
    if (excess === undefined) return;
    await this.#store.appendAudit({
      id: newAuditId(),
      account: actor.account,
      at: this.#clock.now(),
      actor: actor.name,
      actorTokenId: actor.tokenId,
      action: "account.refused",
      targetId: null,
      targetName: actor.account,
      changes: { action: { from: null, to: what }, [excess.part]: { from: null, to: excess.message } },
      sourceIp: actor.ip,
    });
    throw new ServiceError(
      "authority_exceeded",
      `this key may not ${what}, which needs a full admin key (tokens:*, no restriction of its own): ${excess.message}`,
      {},
      { part: excess.part },
    );
  }

  #newSecret(raw: string, generation: number, state: SecretRecord["state"], now: number): SecretRecord {
    return {
      digest: this.#digester.digest(raw),
      displayPrefix: displayPrefixOf(raw),
      fingerprint: fingerprintOf(raw),
      generation,
      state,
      expiresAt: null,
      overlapSeconds: null,
      createdAt: now,
    };
  }

  /**
   * Creates a token with its secret. A token its holder picks up (`pickup`) is pending until a pickup
   * releases a new secret, so the one minted here never authenticates: the API does not return it.
   */
  async create(actor: Actor, input: CreateTokenInput): Promise<{ token: Token; secret: string }> {
    return this.#insert(actor, input);
  }

  async #insert(
    actor: Actor,
    input: Omit<CreateTokenInput, "type"> & { type?: TokenType },
    presetSecret?: string,
  ): Promise<{ token: Token; secret: string }> {
    const now = this.#clock.now();
    const type = input.type ?? "mcp";
    this.#checkSettings(actor, input, true, now);
    const account = await this.#account(actor.account);
    const raw = presetSecret ?? generateToken(account.prefixes[type]);
    const lifetime = input.expiresIn === undefined ? undefined : parseDuration(input.expiresIn);
    const record: TokenRecord = {
      id: newTokenId(),
      account: actor.account,
      name: input.name,
      description: input.description ?? "",
      type,
      scopes: input.scopes ?? [],
      readOnly: input.readOnly ?? type === "mcp",
      labels: input.labels ?? {},
      ipAllowlist: normaliseAllowlist(input.ipAllowlist) ?? [],
      tools: normaliseTools(input.tools),
      ratePerMinute: input.rateLimit?.perMinute ?? null,
      ratePerHour: input.rateLimit?.perHour ?? null,
      enabled: input.enabled ?? true,
      // A key its holder picks up waits, pending without a deadline, until its secret is released to them.
      pending: input.pending === true || Boolean(input.pickup),
      pendingExpiresAt: input.pending === true && !input.pickup ? now + this.#pendingTtlMs : null,
      expiresAt:
        input.expiresAt != null
          ? Date.parse(input.expiresAt)
          : lifetime !== undefined
            ? now + lifetime * 1000
            : null,
      deliveries: input.deliveries ?? [],
      destinations: uniqueSorted(input.destinations ?? []),
      createdAt: now,
      createdBy: actor.name,
      updatedAt: now,
      rotatedAt: now,
      lastGeneration: 1,
      version: 1,
      secrets: [this.#newSecret(raw, 1, "current", now)],
      holder: input.holder ?? null,
      pickup: pickupOf(input.pickup, null, now),
    };
    await this.#requireAuthority(actor, "token.create", record);
    try {
      const stored = await this.#store.insertToken(
        record,
        this.#auditRecord(actor, "token.create", record, diff(null, record, now)),
      );
      return { token: this.#view(stored, now), secret: raw };
    } catch (error) {
      if (error instanceof StoreConflictError) throw await this.#conflict(error, record);
      throw error;
    }
  }

  /** A 409 that names who holds the name or destination the write wanted. */
  async #conflict(error: StoreConflictError, token: TokenRecord): Promise<ServiceError> {
    let holder = error.holder;
    if (error.field === "name" && holder === undefined) {
      const [found] = await this.#store.listTokens(
        token.account,
        { requirements: [], name: token.name, now: this.#clock.now() },
        null,
        1,
      );
      if (found) holder = holderOf(found);
    }
    const message =
      error.field === "destination" && holder
        ? `${token.name} cannot claim ${error.subject}: it is held by ${describeHolder(holder)}`
        : holder
          ? `the name ${token.name} is held by ${describeHolder(holder)} (id ${holder.id})`
          : error.message;
    return new ServiceError(
      "conflict",
      message,
      {},
      holder ? { field: error.field, holder } : { field: error.field },
    );
  }

  /** Writes `next` over `current` (compare-and-swap on the version) and invalidates the cache. */
  async #save(
    actor: Actor,
    action: string,
    current: StoredToken,
    next: TokenRecord,
    changes?: AuditRecord["changes"],
  ) {
    const now = this.#clock.now();
    try {
      const result = await this.#store.saveToken(
        next,
        current.version,
        this.#auditRecord(actor, action, next, changes ?? diff(current, next, now)),
      );
      if (!result.ok) {
        throw result.reason === "not_found"
          ? new ServiceError("not_found", `no token with id ${JSON.stringify(current.id)}`)
          : new ServiceError(
              "precondition_failed",
              "the token was changed by someone else; read it again and retry",
            );
      }
      return this.#view(result.value, now);
    } catch (error) {
      if (error instanceof StoreConflictError) throw await this.#conflict(error, next);
      throw error;
    } finally {
      await this.#invalidation.publish(current.id, current.account);
    }
  }

  #checkVersion(token: StoredToken, ifMatch: number | undefined): void {
    if (ifMatch !== undefined && ifMatch !== token.version) {
      throw new ServiceError(
        "precondition_failed",
        `If-Match "${ifMatch}" does not match the token's current version "${token.version}"`,
        { ETag: `"${token.version}"` },
      );
    }
  }

  async update(actor: Actor, id: string, patch: UpdateTokenInput, ifMatch?: number): Promise<Token> {
    const current = await this.#load(actor, id);
    this.#checkVersion(current, ifMatch);
    const now = this.#clock.now();
    this.#checkSettings(actor, patch, false, now);
    await this.#requireAuthority(actor, "token.update", current);
    const next: TokenRecord = {
      ...current,
      name: patch.name ?? current.name,
      description: patch.description ?? current.description,
      scopes: patch.scopes ?? current.scopes,
      readOnly: patch.readOnly ?? current.readOnly,
      labels: patch.labels ?? current.labels,
      ipAllowlist: normaliseAllowlist(patch.ipAllowlist) ?? current.ipAllowlist,
      tools: patch.tools === undefined ? current.tools : normaliseTools(patch.tools),
      ratePerMinute:
        patch.rateLimit?.perMinute !== undefined ? patch.rateLimit.perMinute : current.ratePerMinute,
      ratePerHour: patch.rateLimit?.perHour !== undefined ? patch.rateLimit.perHour : current.ratePerHour,
      expiresAt:
        patch.expiresAt === undefined
          ? current.expiresAt
          : patch.expiresAt === null
            ? null
            : Date.parse(patch.expiresAt),
      enabled: patch.enabled ?? current.enabled,
      deliveries: patch.deliveries ?? current.deliveries,
      destinations:
        patch.destinations === undefined ? current.destinations : uniqueSorted(patch.destinations),
      holder: patch.holder === undefined ? current.holder : patch.holder,
      pickup: pickupOf(patch.pickup, current.pickup, null),
    };
    const changes = diff(current, next, now);
    if (Object.keys(changes).length === 0) return this.#view(current, now);
    const reserved = reservedLabelProblem(
      { system: actor.tokenId === null, declared: actor.owner },
      current.labels,
      next.labels,
    );
    if (reserved !== undefined) {
      throw new ServiceError(
        "unprocessable",
        `labels: ${reserved}`,
        {},
        {
          issues: [{ path: "labels", message: reserved }],
        },
      );
    }
    // No key may be left beyond the actor's authority, its own included: nobody widens their own limits.
    await this.#requireAuthority(actor, "token.update", next);
    next.version = current.version + 1;
    next.updatedAt = now;
    return this.#save(actor, "token.update", current, next, changes);
  }

  async confirm(
    actor: Actor,
    id: string,
    deliveries: DeliveryRecord[] | undefined,
    ifMatch?: number,
  ): Promise<Token> {
    const current = await this.#load(actor, id);
    this.#checkVersion(current, ifMatch);
    const now = this.#clock.now();
    await this.#requireAuthority(actor, "token.confirm", current);
    const nextSecret = current.secrets.find((s) => s.state === "next");
    if (!current.pending && !nextSecret && (deliveries === undefined || deliveries.length === 0)) {
      return this.#view(current, now); // Already confirmed: confirming again is a no-op.
    }
    let secrets = current.secrets;
    if (nextSecret) {
      const overlapMs = (nextSecret.overlapSeconds ?? 0) * 1000;
      secrets = current.secrets.flatMap((s): SecretRecord[] => {
        if (s === nextSecret) return [{ ...s, state: "current", overlapSeconds: null }];
        if (s.state === "current")
          return overlapMs > 0 ? [{ ...s, state: "previous", expiresAt: now + overlapMs }] : [];
        return [s];
      });
    }
    const next: TokenRecord = {
      ...current,
      pending: false,
      pendingExpiresAt: null,
      secrets,
      deliveries: deliveries ? mergeDeliveries(current.deliveries, deliveries) : current.deliveries,
      version: current.version + 1,
      updatedAt: now,
    };
    return this.#save(actor, "token.confirm", current, next);
  }

  async roll(
    actor: Actor,
    id: string,
    input: RollTokenInput,
    ifMatch?: number,
  ): Promise<{ token: Token; secret?: string }> {
    const current = await this.#load(actor, id);
    this.#checkVersion(current, ifMatch);
    await this.#requireAuthority(actor, "token.roll", current);
    const overlapSeconds = parseDuration(input.overlap);
    if (overlapSeconds === undefined) throw new ServiceError("unprocessable", "overlap is not a duration");
    const now = this.#clock.now();
    if (current.pickup)
      return { token: await this.#openPickup(actor, current, overlapSeconds, input.overlap, now) };
    const account = await this.#account(current.account);
    const raw = generateToken(account.prefixes[current.type]);
    const generation = current.lastGeneration + 1;
    // An unconfirmed roll's secret never authenticated: a new roll replaces it.
    const kept = current.secrets.filter((s) => s.state !== "next");
    let secrets: SecretRecord[];
    let pendingExpiresAt: number | null = null;
    if (current.pending) {
      // Never confirmed: the old secret never worked, so there is nothing to overlap.
      secrets = [this.#newSecret(raw, generation, "current", now)];
      pendingExpiresAt = now + this.#pendingTtlMs;
    } else if (input.pending === true) {
      secrets = [{ ...this.#newSecret(raw, generation, "next", now), overlapSeconds }, ...kept];
      pendingExpiresAt = now + this.#pendingTtlMs;
    } else {
      secrets = [this.#newSecret(raw, generation, "current", now)];
      for (const s of kept) {
        if (s.state === "current") {
          if (overlapSeconds > 0)
            secrets.push({ ...s, state: "previous", expiresAt: now + overlapSeconds * 1000 });
        } else secrets.push(s);
      }
    }
    const next: TokenRecord = {
      ...current,
      secrets,
      pendingExpiresAt,
      lastGeneration: generation,
      rotatedAt: now,
      updatedAt: now,
      version: current.version + 1,
    };
    const changes = {
      ...diff(current, next, now),
      overlap: { from: null, to: input.overlap },
      ...(input.pending === true ? { pending: { from: false, to: true } } : {}),
    };
    const token = await this.#save(actor, "token.roll", current, next, changes);
    return { token, secret: raw };
  }

  /**
   * A roll of a key its holder picks up: nothing is minted now. The pickup opens (again), and the next
   * approved pickup releases a new secret, the current one then living through `overlapSeconds`. With no
   * overlap the current secret stops at once instead: the key waits like a new one (`waitingAgainForPickup`).
   */
  async #openPickup(
    actor: Actor,
    current: StoredToken,
    overlapSeconds: number,
    overlap: string,
    now: number,
  ): Promise<Token> {
    const pickup = current.pickup!;
    const changes = {
      overlap: { from: null, to: overlap },
      pickup: { from: pickup.openedAt === null ? null : "waiting", to: "waiting" },
    };
    if (overlapSeconds === 0 && !current.pending) {
      // No overlap (a leaked key): its secrets stop now, not when the holder picks up the next one.
      const account = await this.#account(current.account);
      const placeholder = this.#newSecret(
        generateToken(account.prefixes[current.type]),
        current.lastGeneration + 1,
        "current",
        now,
      );
      const next: TokenRecord = {
        ...waitingAgainForPickup({ ...current, pickup }, placeholder, now),
        updatedAt: now,
        version: current.version + 1,
      };
      return this.#save(actor, "token.roll", current, next, { ...diff(current, next, now), ...changes });
    }
    const next: TokenRecord = {
      ...current,
      pickup: { ...pickup, openedAt: now, overlapSeconds: current.pending ? null : overlapSeconds },
      updatedAt: now,
      version: current.version + 1,
    };
    return this.#save(actor, "token.roll", current, next, changes);
  }

  // ---------------------------------------------------------------------------------------------- pickups

  /** The keys of `holder` in `account` whose secret waits for a pickup (at most 100, in creation order). */
  async waitingFor(account: string, holder: string): Promise<StoredToken[]> {
    const now = this.#clock.now();
    const tokens = await this.#store.listTokens(account, { requirements: [], holder, now }, null, PAGE_MAX);
    return tokens.filter((t) => t.pickup?.openedAt != null).slice(0, 100);
  }

  /** A token of `account` as stored (effective now), or undefined. */
  async stored(account: string, id: string): Promise<StoredToken | undefined> {
    const stored = await this.#store.getToken(account, id);
    return stored && effectiveToken(stored, this.#clock.now());
  }

  /**
   * Refuses (403, audited) an approver without authority over a key a pickup would release — the same rule
   * as rolling it.
   */
  async requirePickupAuthority(actor: Actor, token: TokenRecord): Promise<void> {
    await this.#requireAuthority(actor, "token.pickup", token);
  }

  /**
   * Mints the secret waiting in a pickup of token `id` and returns it — the only time it is ever seen. A
   * new key becomes active; a rolled one takes over, the previous secret living through the roll's
   * overlap. Undefined when nothing waits any more for `holder` (released already, the token gone, or
   * given to another holder since the session was opened).
   */
  async releaseToPickup(
    account: string,
    id: string,
    holder: string,
    approvedBy: string,
  ): Promise<{ token: StoredToken; secret: string } | undefined> {
    const now = this.#clock.now();
    const current = await this.stored(account, id);
    const pickup = current?.pickup;
    if (!current || !pickup || pickup.openedAt === null || current.holder !== holder) return undefined;
    const accountRecord = await this.#account(account);
    const raw = generateToken(accountRecord.prefixes[current.type]);
    const generation = current.lastGeneration + 1;
    const overlapMs = current.pending ? 0 : (pickup.overlapSeconds ?? 0) * 1000;
    const secrets = [this.#newSecret(raw, generation, "current", now)];
    for (const s of current.secrets) {
      if (s.state === "previous") secrets.push(s);
      else if (s.state === "current" && overlapMs > 0)
        secrets.push({ ...s, state: "previous", expiresAt: now + overlapMs });
    }
    const next: TokenRecord = {
      ...current,
      pending: false,
      pendingExpiresAt: null,
      secrets,
      lastGeneration: generation,
      rotatedAt: now,
      updatedAt: now,
      version: current.version + 1,
      pickup: { ...pickup, openedAt: null, overlapSeconds: null, releasedAt: now },
    };
    const actor: Actor = { account, name: approvedBy, tokenId: null, scopes: ["*"], ip: null };
    const changes = { ...diff(current, next, now), pickup: { from: "waiting", to: "released" } };
    const result = await this.#store.saveToken(
      next,
      current.version,
      this.#auditRecord(actor, "token.pickup", next, changes),
    );
    await this.#invalidation.publish(current.id, account);
    return result.ok ? { token: result.value, secret: raw } : undefined;
  }

  /** Records that the holder's CLI wrote the released secret of token `id` (audited as `token.picked_up`). */
  async markPickedUp(account: string, id: string, by: string, releasedSince: number): Promise<boolean> {
    const now = this.#clock.now();
    const current = await this.stored(account, id);
    // Only a secret released to the confirming session (at or after its claim) counts as picked up.
    const releasedAt = current?.pickup?.releasedAt ?? null;
    if (!current?.pickup || releasedAt === null || releasedAt < releasedSince) return false;
    const next: TokenRecord = {
      ...current,
      pickup: { ...current.pickup, deliveredAt: now },
      updatedAt: now,
      version: current.version + 1,
    };
    const actor: Actor = { account, name: by, tokenId: null, scopes: ["*"], ip: null };
    await this.#store.saveToken(
      next,
      current.version,
      this.#auditRecord(actor, "token.picked_up", next, {
        pickup: { from: "released", to: "delivered" },
      }),
    );
    return true;
  }

  /**
   * Answers a report that `raw` leaked (src/service/leaks.ts): undefined when no token of any account has
   * that secret (a false positive), else what was done. The write is the service's own, audited as
   * `token.leak` by `github-secret-scanning`.
   */
  async reportLeak(
    raw: string,
    report: LeakReport,
    action: LeakAction,
  ): Promise<{ token: Token; handled: LeakResponse["handled"] } | undefined> {
    const found = await this.#store.findBySecret(this.#digester.digest(raw));
    if (!found) return undefined;
    const current = found.token;
    const actor: Actor = {
      account: current.account,
      name: LEAK_ACTOR,
      tokenId: null,
      scopes: ["*"],
      ip: null,
    };
    const now = this.#clock.now();
    let rolled: { secret: SecretRecord; generation: number } | undefined;
    if (action === "roll" && found.secret.state === "current") {
      const account = await this.#account(current.account);
      const generation = current.lastGeneration + 1;
      rolled = {
        secret: this.#newSecret(generateToken(account.prefixes[current.type]), generation, "current", now),
        generation,
      };
    }
    const response = respondToLeak(current, found.secret, report, action, now, rolled);
    const token = await this.#save(actor, "token.leak", current, response.next, response.changes);
    return { token, handled: response.handled };
  }

  async delete(actor: Actor, id: string, ifMatch?: number): Promise<void> {
    const current = await this.#load(actor, id);
    this.#checkVersion(current, ifMatch);
    await this.#requireAuthority(actor, "token.delete", current);
    const now = this.#clock.now();
    try {
      const result = await this.#store.deleteToken(
        actor.account,
        id,
        ifMatch ?? null,
        this.#auditRecord(actor, "token.delete", current, diff(current, null, now)),
      );
      if (!result.ok) {
        throw result.reason === "not_found"
          ? new ServiceError("not_found", `no token with id ${JSON.stringify(id)}`)
          : new ServiceError(
              "precondition_failed",
              "the token was changed by someone else; read it again and retry",
            );
      }
    } finally {
      await this.#invalidation.publish(id, actor.account);
    }
  }

  // ---------------------------------------------------------------------------------------------- sweeper

  /**
   * Deletes lapsed pending tokens and lapsed session keys, and drops secrets whose pending roll or overlap
   * lapsed; deletes expired pickup sessions. Versions are left alone for the latter (what the API shows does not change: lapsed parts were
   * already hidden), so a sweep never makes a client's If-Match fail. Also forgets signed requests whose
   * replay window has passed. Returns how many tokens it touched.
   */
  async sweep(): Promise<number> {
    const now = this.#clock.now();
    await this.#store.pruneSignatures(now);
    await this.#store.prunePickups(now);
    let touched = 0;
    for (;;) {
      const due = await this.#store.listDue(now, 200);
      if (due.length === 0) break;
      let progressed = false;
      for (const stored of due) {
        const actor: Actor = {
          account: stored.account,
          name: SYSTEM_ACTOR,
          tokenId: null,
          scopes: ["*"],
          ip: null,
        };
        const token = effectiveToken(stored, now);
        const sessionOver =
          stored.labels[SESSION_LABEL] === "true" && stored.expiresAt !== null && stored.expiresAt <= now;
        if (token === undefined || sessionOver) {
          const action = token === undefined ? "token.pending_expired" : "token.delete";
          const result = await this.#store.deleteToken(
            stored.account,
            stored.id,
            stored.version,
            this.#auditRecord(actor, action, stored, diff(stored, null, now)),
          );
          if (result.ok) progressed = true;
        } else if (token !== stored) {
          const rollLapsed = stored.pendingExpiresAt !== null && token.pendingExpiresAt === null;
          const result = await this.#store.saveToken(
            token,
            stored.version,
            rollLapsed
              ? this.#auditRecord(actor, "token.roll_expired", token, {
                  generation: {
                    from: presentedSecret(stored).generation,
                    to: presentedSecret(token).generation,
                  },
                })
              : null,
          );
          if (result.ok) progressed = true;
        }
        await this.#invalidation.publish(stored.id, stored.account);
        touched++;
      }
      if (!progressed || due.length < 200) break;
    }
    return touched;
  }

  /** Deletes a token without an actor check (embedded session clean-up). */
  async deleteSystem(account: string, id: string): Promise<void> {
    const actor: Actor = { account, name: SYSTEM_ACTOR, tokenId: null, scopes: ["*"], ip: null };
    const current = await this.#store.getToken(account, id);
    if (!current) return;
    await this.#store.deleteToken(
      account,
      id,
      null,
      this.#auditRecord(actor, "token.delete", current, diff(current, null, this.#clock.now())),
    );
    await this.#invalidation.publish(id, account);
  }
}

/** Allowlist entries as the spec writes them (`src/spec/address.ts`); `#checkSettings` refused bad ones. */
function normaliseAllowlist(entries: readonly string[] | undefined): string[] | undefined {
  return entries?.map((entry) => {
    const check = checkCidr(entry);
    return check.ok ? check.cidr : entry;
  });
}
