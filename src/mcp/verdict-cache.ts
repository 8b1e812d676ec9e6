/**
 * The verdict cache of remote-mode guards (`cacheTtlMs`): positive verdicts of a remote token service,
 * kept per key and request shape (client address, scopes, write, tools) — never the key itself, only its
 * SHA-256 — and dropped when the service announces a write to the token (src/mcp/invalidations.ts). While
 * that announcement channel is down entries live at most DISCONNECTED_TTL_MS, and all are dropped when it
 * is back. Refusals and signed requests are never cached (a replay must reach the service).
 */
import { createHash } from "node:crypto";
import { DISCONNECTED_TTL_MS } from "../service/cache.js";
import type { InvalidationHandler } from "../service/invalidation.js";
import type { Verdict } from "../service/verifier.js";
import type { GuardVerifyInput } from "./guard.js";

/** Most verdicts kept (the oldest are dropped first). */
const MAX_ENTRIES = 10_000;

type Valid = Extract<Verdict, { valid: true }>;

interface Entry {
  verdict: Valid;
  at: number;
}

/** What the cache follows: a channel of token ids and whether it is connected. */
export interface InvalidationSource {
  subscribe(handler: InvalidationHandler): () => void;
  watch(listener: (connected: boolean) => void): () => void;
}

export class VerdictCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #byToken = new Map<string, Set<string>>();
  #disconnected = true;
  /** Bumped on every invalidation: a remote answer that raced one is not cached. */
  #epoch = 0;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** Follows `source`; returns a function that stops. */
  follow(source: InvalidationSource): () => void {
    const unsubscribe = source.subscribe((tokenId) => this.#invalidate(tokenId));
    const unwatch = source.watch((connected) => {
      if (connected && this.#disconnected) this.#clear();
      this.#disconnected = !connected;
    });
    return () => {
      unsubscribe();
      unwatch();
    };
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** The cache key of a request (undefined: never cached). */
  keyOf(input: GuardVerifyInput): string | undefined {
    if (input.signed !== undefined) return undefined;
    const digest = createHash("sha256").update(input.token).digest("base64url");
    const shape = JSON.stringify([
      input.ip ?? null,
      [...input.scopes].sort(),
      input.write,
      [...input.tools].sort(),
    ]);
    return `${digest} ${shape}`;
  }

  get(key: string, now: number): Valid | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const ttl = this.#disconnected ? Math.min(this.#ttlMs, DISCONNECTED_TTL_MS) : this.#ttlMs;
    const expiresAt = entry.verdict.token.expiresAt;
    if (now - entry.at > ttl || (expiresAt !== null && expiresAt <= now)) {
      this.#remove(key, entry);
      return undefined;
    }
    return entry.verdict;
  }

  /** Keeps a positive verdict (without its rate-limit state, which would be stale) unless it raced a write. */
  set(key: string, verdict: Verdict, epochAtAsk: number, now: number): void {
    if (!verdict.valid || epochAtAsk !== this.#epoch) return;
    if (this.#entries.size >= MAX_ENTRIES) {
      const [oldest] = this.#entries;
      if (oldest) this.#remove(oldest[0], oldest[1]);
    }
    this.#entries.set(key, { verdict: { valid: true, code: "VALID", token: verdict.token }, at: now });
    let keys = this.#byToken.get(verdict.token.id);
    if (!keys) {
      keys = new Set();
      this.#byToken.set(verdict.token.id, keys);
    }
    keys.add(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    const keys = this.#byToken.get(entry.verdict.token.id);
    keys?.delete(key);
    if (keys?.size === 0) this.#byToken.delete(entry.verdict.token.id);
  }

  #invalidate(tokenId: string): void {
    this.#epoch++;
    for (const key of this.#byToken.get(tokenId) ?? []) this.#entries.delete(key);
    this.#byToken.delete(tokenId);
  }

  #clear(): void {
    this.#epoch++;
    this.#entries.clear();
    this.#byToken.clear();
  }
}
