/**
 * `Verifier`: decides whether a presented key may make a request. Used by `POST /v1/verify`, by the
 * management API's own authentication, by the middleware in-process, and later by a gateway. All of its
 * collaborators (store, cache, limiter, clock, logger, usage accumulator) come through one options object.
 *
 * Order: parse → checksum (no store access for a mistyped or forged key) → cache, else store lookup with a
 * constant-time digest comparison → account → status and expiry → IP allowlist → signature (when the
 * token requires it) → rate limits → scopes, tool allowlist and read-only rule (`checkGrant`) → allow. A
 * refusal is an ordinary verdict (`{valid: false, code}`), never an exception. (On the hot path the cache is probed before the checksum
 * is computed: a hit proves the key was issued, so the outcome is the same and the check is skipped.)
 *
 * The hot path for a cached key is synchronous: one SHA-256, a few `Map` operations, no
 * awaiting and no disk (usage is accumulated in memory and flushed elsewhere). Keys that require signed
 * requests are the exception: an admitted request records its signature in the replay window (the store's,
 * or Redis's when configured: it survives restarts and is shared by instances), and only an admitted one does.
 */
import type { Logger } from "pino";
import type { VerifyCode } from "../api/schemas.js";
import { checkToken } from "../spec/token-format.js";
import type { CachedKey, KeyCache, VerifiedKey } from "./cache.js";
import type { Clock } from "./clock.js";
import { type Digester, digestsEqual } from "./digest.js";
import { checkGrant } from "./grant.js";
import { ipAllowed, parseRanges } from "./ip.js";
import { effectiveToken } from "./lifecycle.js";
import type { Limiter, RateDecision, RateRule } from "./ratelimit.js";
import { type ReplayWindow, storeReplayWindow } from "./replay.js";
import { checkSignature, SIGNATURE_LABEL, type SignatureCheck, type SignedRequest } from "./signing.js";
import type { AccountRateLimit, SecretRecord, StoredToken, TokenStore } from "./store/types.js";
import type { UsageSink } from "./usage-sink.js";

/** Service-wide rate limits; per-token settings override `keyPerMinute`, an account's own `accountPerHour`. */
export interface RateDefaults {
  /** Requests per minute per key when the token sets none; null = unlimited (seeds: 100). */
  keyPerMinute: number | null;
  /** Requests per hour per account across all its keys when the account sets none; null = unlimited (seeds: 1000). */
  accountPerHour: number | null;
}

export interface VerifierOptions {
  store: TokenStore;
  cache: KeyCache;
  /** Rate limiter; one that answers with a promise is awaited (see `Limiter.synchronous`). */
  limiter: Limiter;
  clock: Clock;
  logger: Logger;
  digester: Digester;
  usage: UsageSink;
  rateDefaults: RateDefaults;
  /** Where admitted signatures are remembered (default: the store, `TokenStore.claimSignature`). */
  replay?: ReplayWindow;
  /** Also accept version-1 request signatures (`"<timestamp>.<body>"`, no method or path); default false. */
  allowLegacySignatures?: boolean;
  /** How long an account's own rate limit, once read, is believed (ms; default 60 000, the key cache's). */
  accountTtlMs?: number;
}

/** A verification request. */
export interface VerifyInput {
  /** The presented key; undefined when the request carried none. */
  token: string | undefined;
  /** The client's address, checked against the token's allowlist (a token with an allowlist needs one). */
  ip?: string;
  /** Scopes the request needs; all must be granted. */
  scopes?: readonly string[];
  /** The request modifies data (refused for read-only keys). */
  write?: boolean;
  /** MCP tools the request calls; each must be allowed by the key's tool allowlist. */
  tools?: readonly string[];
  /** Only accept keys of this account (others are NOT_FOUND, with no usage counted). */
  account?: string;
  /** Count the request against rate limits (default true; the management API passes false). */
  rateLimit?: boolean;
  /** Signing headers and body, for tokens that require signed requests. */
  signed?: SignedRequest;
}

/** Rate-limit state of the binding rule, as returned by verify and sent in RateLimit-* headers. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window has fully recovered. */
  reset: number;
}

export type Verdict =
  | { valid: true; code: "VALID"; token: VerifiedKey; ratelimit?: RateLimitState }
  | {
      valid: false;
      code: Exclude<VerifyCode, "VALID">;
      /** Why, in words safe to show the caller (never contains the key). */
      message: string;
      /** Present when the key was found (and belongs to the account asked about). */
      token?: VerifiedKey;
      ratelimit?: RateLimitState;
      /** Seconds to wait, with RATE_LIMITED. */
      retryAfter?: number;
    };

type Refusal = Extract<Verdict, { valid: false }>;

const MINUTE_MS = 60_000;
/** Longer candidates are refused unhashed (tokens are ~45 characters; custom prefixes add at most 24). */
const MAX_KEY_LENGTH = 512;
const HOUR_MS = 3_600_000;

const MISSING: Refusal = Object.freeze({ valid: false, code: "MISSING", message: "no API key was sent" });
const MALFORMED: Refusal = Object.freeze({
  valid: false,
  code: "MALFORMED",
  message: "the API key is malformed",
});
const BAD_CHECKSUM: Refusal = Object.freeze({
  valid: false,
  code: "BAD_CHECKSUM",
  message: "the API key's checksum does not match (mistyped or forged key)",
});
const NOT_FOUND: Refusal = Object.freeze({
  valid: false,
  code: "NOT_FOUND",
  message: "the API key is invalid or has been revoked",
});

export class Verifier {
  readonly #store: TokenStore;
  readonly #cache: KeyCache;
  readonly #limiter: Limiter;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #digester: Digester;
  readonly #usage: UsageSink;
  readonly #allowLegacySignatures: boolean;
  readonly #rateDefaults: RateDefaults;
  readonly #replay: ReplayWindow;
  /** Each account's own hourly limit (`undefined`: the server's default), as read from the store and when. */
  readonly #accountLimits = new Map<string, { perHour: AccountRateLimit | null; at: number }>();
  readonly #accountTtlMs: number;

  constructor(options: VerifierOptions) {
    this.#store = options.store;
    this.#cache = options.cache;
    this.#limiter = options.limiter;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#digester = options.digester;
    this.#usage = options.usage;
    this.#allowLegacySignatures = options.allowLegacySignatures ?? false;
    this.#rateDefaults = options.rateDefaults;
    this.#replay = options.replay ?? storeReplayWindow(options.store);
    this.#accountTtlMs = options.accountTtlMs ?? 60_000;
  }

  /**
   * An account's hourly limit changed on this instance: forget what was read and drop every cached key, so
   * the next request of each key is checked against the new limit. (Other instances see it once their
   * cached keys and accounts age out, within the cache's max age.)
   */
  accountChanged(account: string): void {
    this.#accountLimits.delete(account);
    this.#cache.clear();
  }

  /** The account's own hourly limit (null: the server default), from the store at most once per max age. */
  async #accountLimit(account: string, now: number): Promise<AccountRateLimit | null> {
    const known = this.#accountLimits.get(account);
    if (known !== undefined && now - known.at < this.#accountTtlMs) return known.perHour;
    const record = await this.#store.getAccount(account);
    const perHour = record?.ratePerHour ?? null;
    this.#accountLimits.set(account, { perHour, at: now });
    return perHour;
  }

  /**
   * Verifies a request. Resolves at once (no I/O) when the key is cached or refused offline, and is not a
   * key that requires signed requests (admitting one records its signature in the store).
   */
  verify(input: VerifyInput): Promise<Verdict> {
    const fast = this.#fast(input, false);
    if (typeof fast === "string") return this.#lookup(fast, input);
    if (fast instanceof Promise) return fast;
    if ("valid" in fast) return Promise.resolve(fast);
    return this.#decideSigned(fast, input, this.#clock.now());
  }

  /**
   * The synchronous fast path: the verdict when it needs no store access (cached key, or refused
   * offline), otherwise undefined — then call `verify`. Keys that require signed requests always need
   * `verify`: the replay window needs a round trip; so do rate-limited requests when the limiter is not
   * synchronous (`Limiter.synchronous`).
   */
  verifyCached(input: VerifyInput): Verdict | undefined {
    const fast = this.#fast(input, true);
    return typeof fast === "string" || fast instanceof Promise || !("valid" in fast) ? undefined : fast;
  }

  /**
   * Everything that needs no store: a verdict, or the digest to look up. The cache is consulted before the
   * checksum because a cache hit proves the key was issued here (its digest matches an issued key's), and
   * issued keys always carry a valid checksum; on a miss the checksum is checked before any store access,
   * so a mistyped or forged key never reaches the store. (Cached digests are found by `Map` lookup: what
   * is compared there is a SHA-256 of the candidate, never the secret; store hits are compared with
   * `timingSafeEqual`.) With `sync`, a cached key whose rate check would need a round trip is returned
   * undecided, like a key that requires signing.
   */
  #fast(input: VerifyInput, sync: boolean): Verdict | Promise<Verdict> | string | CachedKey {
    const token = input.token;
    if (token === undefined || token === "") return MISSING;
    if (token.length > MAX_KEY_LENGTH) return MALFORMED;
    const digest = this.#digester.digest(token);
    const now = this.#clock.now();
    const entry = this.#cache.get(digest, now);
    if (entry !== undefined) {
      const undecided =
        entry.requireSignature ||
        (sync && input.rateLimit !== false && entry.rules.length > 0 && this.#limiter.synchronous !== true);
      return undecided ? entry : this.#decide(entry, input, now);
    }
    const check = checkToken(token);
    if (!check.ok) return check.reason === "malformed" ? MALFORMED : BAD_CHECKSUM;
    return digest;
  }

  async #lookup(digest: string, input: VerifyInput): Promise<Verdict> {
    const epoch = this.#cache.epoch;
    const found = await this.#store.findBySecret(digest);
    if (!found || !digestsEqual(found.secret.digest, digest)) return NOT_FOUND;
    const now = this.#clock.now();
    const accountLimit = await this.#accountLimit(found.token.account, now);
    const entry = this.#snapshot(found.token, found.secret, digest, now, accountLimit);
    if (entry === undefined) return NOT_FOUND;
    this.#cache.set(entry, epoch);
    return entry.requireSignature ? this.#decideSigned(entry, input, now) : this.#decide(entry, input, now);
  }

  /**
   * A key that requires signed requests: the signature is checked in its place in the order, and only a
   * request every other check admits records it in the replay window (an atomic insert-if-absent shared
   * by restarts and instances). A replay found there is refused and gives its rate-limit admission back, so a
   * request refused for any reason — rate limit, scope, IP, replay — consumes neither.
   */
  async #decideSigned(entry: CachedKey, input: VerifyInput, now: number): Promise<Verdict> {
    const signature = checkSignature(input.token!, input.signed, now, this.#allowLegacySignatures);
    const verdict = await this.#decide(entry, input, now, signature);
    if (!verdict.valid || !signature.ok) return verdict;
    let claimed: boolean;
    try {
      claimed = await this.#replay.claim(entry.key.id, signature.replayId, signature.expiresAt, now);
    } catch (error) {
      await this.#release(entry, input, now);
      throw error;
    }
    if (!claimed) {
      await this.#release(entry, input, now);
      return this.#refuse(entry, { code: "REPLAYED", message: "this signed request was already used" }, now);
    }
    this.#usage.success(entry.key.id, input.ip, now);
    return verdict;
  }

  /** Gives back a rate-limit admission (a failure to do so is logged: the caller's outcome stands). */
  async #release(entry: CachedKey, input: VerifyInput, at: number): Promise<void> {
    if (input.rateLimit === false) return;
    try {
      await this.#limiter.release(entry.rules, at);
    } catch (error) {
      this.#logger.error({ err: error, tokenId: entry.key.id }, "rate-limit release failed");
    }
  }

  /** Builds the cache entry for a secret of a token (undefined when the secret no longer counts). */
  #snapshot(
    stored: StoredToken,
    secret: SecretRecord,
    digest: string,
    now: number,
    accountLimit: AccountRateLimit | null,
  ): CachedKey | undefined {
    const token = effectiveToken(stored, now);
    if (token === undefined || !token.secrets.some((s) => s.digest === secret.digest)) return undefined;
    const key: VerifiedKey = Object.freeze({
      id: token.id,
      name: token.name,
      type: token.type,
      scopes: Object.freeze([...token.scopes]),
      labels: Object.freeze({ ...token.labels }),
      account: token.account,
      readOnly: token.readOnly,
      tools: token.tools === null ? null : Object.freeze([...token.tools]),
      expiresAt: token.expiresAt,
    });
    const rules: RateRule[] = [];
    const perMinute = token.ratePerMinute ?? this.#rateDefaults.keyPerMinute;
    if (perMinute !== null) rules.push({ key: `k:${token.id}:m`, limit: perMinute, periodMs: MINUTE_MS });
    if (token.ratePerHour !== null)
      rules.push({ key: `k:${token.id}:h`, limit: token.ratePerHour, periodMs: HOUR_MS });
    const perHour = accountLimit ?? this.#rateDefaults.accountPerHour;
    if (perHour !== null && perHour !== "unlimited") {
      rules.push({ key: `a:${token.account}:h`, limit: perHour, periodMs: HOUR_MS });
    }
    return {
      digest,
      key,
      enabled: token.enabled,
      pending: token.pending,
      pendingExpiresAt: token.pendingExpiresAt,
      expiresAt: token.expiresAt,
      secretState: secret.state,
      secretExpiresAt: secret.expiresAt,
      ranges: token.ipAllowlist.length > 0 ? parseRanges(token.ipAllowlist).ranges : null,
      requireSignature: token.labels[SIGNATURE_LABEL] === "true",
      rules,
      cachedAt: now,
    };
  }

  /**
   * Everything after the key is known: account, status, IP, signature, rate limits, scopes, type. With
   * `signature` (a key that requires signing, checked by the caller) success is the caller's to record.
   * A promise only when the limiter answers with one.
   */
  #decide(
    entry: CachedKey,
    input: VerifyInput,
    now: number,
    signature?: SignatureCheck,
  ): Verdict | Promise<Verdict> {
    const key = entry.key;
    if (input.account !== undefined && input.account !== key.account) return NOT_FOUND;
    const status = this.#status(entry, now);
    if (status !== undefined) return this.#refuse(entry, status, now);
    if (entry.ranges !== null && (input.ip === undefined || !ipAllowed(input.ip, entry.ranges))) {
      return this.#refuse(
        entry,
        {
          code: "IP_NOT_ALLOWED",
          message: `requests from ${input.ip ?? "an unknown address"} are not allowed for this key`,
        },
        now,
      );
    }
    if (signature !== undefined && !signature.ok) return this.#refuse(entry, signature, now);
    if (input.rateLimit === false || entry.rules.length === 0)
      return this.#grant(entry, input, now, signature);
    const decision = this.#limiter.check(entry.rules, now);
    return decision instanceof Promise
      ? decision.then((d) => this.#limited(entry, input, now, signature, d))
      : this.#limited(entry, input, now, signature, decision);
  }

  /** The rest of `#decide` once the limiter has answered. */
  #limited(
    entry: CachedKey,
    input: VerifyInput,
    now: number,
    signature: SignatureCheck | undefined,
    decision: RateDecision,
  ): Verdict {
    const ratelimit = { limit: decision.limit, remaining: decision.remaining, reset: decision.reset };
    if (!decision.allowed) {
      this.#usage.failure(entry.key.id, now);
      return {
        valid: false,
        code: "RATE_LIMITED",
        message: `rate limit of ${decision.limit} requests exceeded; retry in ${decision.retryAfter} s`,
        token: entry.key,
        ratelimit,
        retryAfter: decision.retryAfter ?? 1,
      };
    }
    return this.#grant(entry, input, now, signature, ratelimit);
  }

  /** Scopes, tool allowlist and read-only rule, then the verdict (and the success, unless signed). */
  #grant(
    entry: CachedKey,
    input: VerifyInput,
    now: number,
    signature: SignatureCheck | undefined,
    ratelimit?: RateLimitState,
  ): Verdict {
    const key = entry.key;
    const refusal = checkGrant(key, input);
    if (refusal !== undefined) return this.#refuse(entry, refusal, now, ratelimit);
    if (signature === undefined) this.#usage.success(key.id, input.ip, now);
    return ratelimit === undefined
      ? { valid: true, code: "VALID", token: key }
      : { valid: true, code: "VALID", token: key, ratelimit };
  }

  #status(entry: CachedKey, now: number): { code: Refusal["code"]; message: string } | undefined {
    if (entry.secretState === "next" || entry.pending) {
      if (entry.pendingExpiresAt !== null && entry.pendingExpiresAt <= now) return NOT_FOUND;
      return { code: "PENDING", message: "the API key is pending: its delivery has not been confirmed yet" };
    }
    if (!entry.enabled) return { code: "DISABLED", message: "the API key is disabled" };
    if (entry.expiresAt !== null && entry.expiresAt <= now)
      return { code: "EXPIRED", message: "the API key has expired" };
    if (entry.secretState === "previous" && entry.secretExpiresAt !== null && entry.secretExpiresAt <= now) {
      return { code: "EXPIRED", message: "the API key was rotated and its overlap has ended" };
    }
    return undefined;
  }

  #refuse(
    entry: CachedKey,
    why: { code: Refusal["code"]; message: string },
    now: number,
    ratelimit?: RateLimitState,
  ): Refusal {
    if (why.code === "NOT_FOUND") return NOT_FOUND;
    this.#usage.failure(entry.key.id, now);
    if (this.#logger.isLevelEnabled("debug")) {
      this.#logger.debug({ tokenId: entry.key.id, code: why.code }, "key refused");
    }
    return ratelimit === undefined
      ? { valid: false, code: why.code, message: why.message, token: entry.key }
      : { valid: false, code: why.code, message: why.message, token: entry.key, ratelimit };
  }
}
