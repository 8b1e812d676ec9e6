/**
 * The verifier's key cache: digest → a compact snapshot of what verification needs (never the raw key).
 * Writes invalidate by token id, so a disabled, deleted or rolled key is refused on the very next request
 * on this instance. A global epoch guards the lookup race: a store read that started before an
 * invalidation is used for its own request but never cached. Entries also age out after `ttlMs`, which
 * bounds staleness when another instance changed the shared store and its invalidation did not arrive.
 * While the channel that carries other instances' invalidations is down (`follow`), entries live at most
 * `disconnectedTtlMs`, and everything is dropped when it is back (ids sent meanwhile were missed).
 */
import type { TokenType } from "../spec/schema.js";
import type { Invalidation } from "./invalidation.js";
import type { IpRange } from "./ip.js";
import type { RateRule } from "./ratelimit.js";
import type { SecretState } from "./store/types.js";

/** The verified key's public description (what `/v1/verify` returns and the middleware attaches). */
export interface VerifiedKey {
  id: string;
  name: string;
  type: TokenType;
  scopes: readonly string[];
  labels: Readonly<Record<string, string>>;
  account: string;
  readOnly: boolean;
  /** The key's tool allowlist; null = any tool its type and scopes allow. */
  tools: readonly string[] | null;
  /** When the key expires (epoch ms); null = never. */
  expiresAt: number | null;
}

/** What the verifier keeps per secret digest. */
export interface CachedKey {
  digest: string;
  key: VerifiedKey;
  enabled: boolean;
  pending: boolean;
  pendingExpiresAt: number | null;
  expiresAt: number | null;
  secretState: SecretState;
  secretExpiresAt: number | null;
  /** Parsed allowlist; null when the token has none (any address). */
  ranges: IpRange[] | null;
  requireSignature: boolean;
  /** Rate rules for this key (per key per minute/hour, per account per hour). */
  rules: RateRule[];
  /** When the snapshot was taken (clock ms), for the TTL. */
  cachedAt: number;
}

export interface KeyCacheOptions {
  /** Maximum age of an entry in ms (bounds staleness across instances). */
  ttlMs: number;
  /** Maximum entries; the oldest are evicted first. */
  maxEntries: number;
  /** Maximum age while the invalidation channel is down (default and cap: `DISCONNECTED_TTL_MS`). */
  disconnectedTtlMs?: number;
}

/**
 * How long an entry lives while other instances' invalidations cannot arrive: the revocation lag then
 * stays within the one second the scale-out target allows at worst, and a busy key costs one store read
 * per second per instance.
 */
export const DISCONNECTED_TTL_MS = 1_000;

export class KeyCache {
  readonly #entries = new Map<string, CachedKey>();
  readonly #byToken = new Map<string, Set<string>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #disconnectedTtlMs: number;
  #epoch = 0;
  /** Whether the invalidation channel followed is down (entries then live `#disconnectedTtlMs`). */
  #disconnected = false;

  constructor(options: KeyCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#disconnectedTtlMs = Math.min(options.disconnectedTtlMs ?? DISCONNECTED_TTL_MS, options.ttlMs);
  }

  /**
   * Drops a token's entries whenever `invalidation` announces it; while the channel says it is
   * disconnected, entries live at most `disconnectedTtlMs`, and all are dropped when it reconnects.
   * Returns a function that stops following.
   */
  follow(invalidation: Invalidation): () => void {
    const unsubscribe = invalidation.subscribe((tokenId) => this.invalidateToken(tokenId));
    const unwatch = invalidation.watch?.((connected) => {
      if (!connected) {
        this.#disconnected = true;
      } else if (this.#disconnected) {
        this.#disconnected = false;
        this.clear();
      }
    });
    return () => {
      unsubscribe();
      unwatch?.();
    };
  }

  /** Whether entries currently live the short `disconnectedTtlMs` (the channel followed is down). */
  get disconnected(): boolean {
    return this.#disconnected;
  }

  /** Current invalidation epoch; pass it back to `set` to refuse caching a read that raced a write. */
  get epoch(): number {
    return this.#epoch;
  }

  get(digest: string, now: number): CachedKey | undefined {
    const entry = this.#entries.get(digest);
    if (entry === undefined) return undefined;
    if (now - entry.cachedAt > (this.#disconnected ? this.#disconnectedTtlMs : this.#ttlMs)) {
      this.#remove(digest, entry.key.id);
      return undefined;
    }
    return entry;
  }

  set(entry: CachedKey, epochAtRead: number): void {
    if (epochAtRead !== this.#epoch || this.#ttlMs <= 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#remove(oldest.value, this.#entries.get(oldest.value)!.key.id);
    }
    this.#entries.set(entry.digest, entry);
    let digests = this.#byToken.get(entry.key.id);
    if (!digests) {
      digests = new Set();
      this.#byToken.set(entry.key.id, digests);
    }
    digests.add(entry.digest);
  }

  /** Drops every cached secret of a token (after any write to it). */
  invalidateToken(tokenId: string): void {
    this.#epoch++;
    const digests = this.#byToken.get(tokenId);
    if (!digests) return;
    for (const digest of digests) this.#entries.delete(digest);
    this.#byToken.delete(tokenId);
  }

  /** Drops everything (e.g. after an account-wide change). */
  clear(): void {
    this.#epoch++;
    this.#entries.clear();
    this.#byToken.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #remove(digest: string, tokenId: string): void {
    this.#entries.delete(digest);
    const digests = this.#byToken.get(tokenId);
    digests?.delete(digest);
    if (digests?.size === 0) this.#byToken.delete(tokenId);
  }
}
