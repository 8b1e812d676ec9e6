/**
 * Usage accounting off the request path: verifications add to an in-memory accumulator (a couple of
 * `Map` operations, no I/O) and a timer flushes it to the store every `flushIntervalMs` in one
 * transaction. `flush()` is also called on graceful shutdown, so a SIGTERM loses no counts. A failed
 * flush puts its counts back to be retried by the next one.
 */
import type { Logger } from "pino";
import type { PendingUsage } from "./lifecycle.js";
import type { TokenStore, UsageDelta } from "./store/types.js";
import { type AddressUse, isLaterUse, mergeUsage } from "./store/usage-merge.js";
import type { UsageSink } from "./usage-sink.js";

const HOUR_MS = 3_600_000;

interface Counter {
  requests: number;
  failures: number;
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  hour: number;
  hourCounts: { requests: number; failures: number };
  hours: Map<number, { requests: number; failures: number }>;
  addresses: Map<string, AddressUse>;
}

export interface UsageAccumulatorOptions {
  store: TokenStore;
  flushIntervalMs: number;
  logger: Logger;
}

export class UsageAccumulator implements UsageSink {
  #counters = new Map<string, Counter>();
  readonly #store: TokenStore;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(options: UsageAccumulatorOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#flushIntervalMs = options.flushIntervalMs;
  }

  #counter(tokenId: string, now: number): Counter {
    let c = this.#counters.get(tokenId);
    const hour = now - (now % HOUR_MS);
    if (c === undefined) {
      const hourCounts = { requests: 0, failures: 0 };
      c = {
        requests: 0,
        failures: 0,
        lastUsedAt: null,
        lastUsedIp: null,
        hour,
        hourCounts,
        hours: new Map([[hour, hourCounts]]),
        addresses: new Map(),
      };
      this.#counters.set(tokenId, c);
    } else if (c.hour !== hour) {
      let counts = c.hours.get(hour);
      if (!counts) {
        counts = { requests: 0, failures: 0 };
        c.hours.set(hour, counts);
      }
      c.hour = hour;
      c.hourCounts = counts;
    }
    return c;
  }

  /** A successful verification of `tokenId` from `ip` at `now`. */
  success(tokenId: string, ip: string | undefined, now: number): void {
    const c = this.#counter(tokenId, now);
    c.requests++;
    c.hourCounts.requests++;
    const lastUsedIp = ip ?? null;
    if (ip !== undefined) {
      // Per request: update the entry in place (this counter owns it) rather than allocate a merged copy.
      const seen = c.addresses.get(ip);
      if (seen === undefined) c.addresses.set(ip, { firstSeen: now, lastSeen: now, count: 1 });
      else {
        seen.count++;
        if (now > seen.lastSeen) seen.lastSeen = now;
        if (now < seen.firstSeen) seen.firstSeen = now;
      }
    }
    if (isLaterUse({ lastUsedAt: now, lastUsedIp }, c)) {
      c.lastUsedAt = now;
      c.lastUsedIp = lastUsedIp;
    }
  }

  /** A refused verification of a key that exists. */
  failure(tokenId: string, now: number): void {
    const c = this.#counter(tokenId, now);
    c.failures++;
    c.hourCounts.failures++;
  }

  /** Counts not yet flushed for a token (merged into API reads). */
  peek(tokenId: string): PendingUsage | undefined {
    return this.#counters.get(tokenId);
  }

  /** Starts the periodic flush (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer || this.#flushIntervalMs <= 0) return;
    this.#timer = setInterval(() => {
      this.flush().catch((error: unknown) => this.#logger.error({ err: error }, "usage flush failed"));
    }, this.#flushIntervalMs);
    this.#timer.unref();
  }

  /** Stops the timer (call `flush()` afterwards to write what is left). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Writes everything accumulated so far in one transaction. Concurrent calls are serialised. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#counters.size === 0) return;
    const batch = this.#counters;
    this.#counters = new Map();
    const deltas: UsageDelta[] = [];
    for (const [tokenId, c] of batch) {
      deltas.push({
        tokenId,
        requests: c.requests,
        failures: c.failures,
        lastUsedAt: c.lastUsedAt,
        lastUsedIp: c.lastUsedIp,
        hours: c.hours,
        addresses: c.addresses,
      });
    }
    this.#flushing = this.#store.applyUsage(deltas).then(
      () => undefined,
      (error: unknown) => {
        this.#restore(batch);
        throw error;
      },
    );
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Puts a failed batch back, merged with anything counted meanwhile. */
  #restore(batch: Map<string, Counter>): void {
    for (const [tokenId, old] of batch) {
      const now = this.#counters.get(tokenId);
      if (!now) {
        this.#counters.set(tokenId, old);
        continue;
      }
      const merged = mergeUsage(old, now);
      this.#counters.set(tokenId, { ...merged, hour: now.hour, hourCounts: merged.hours.get(now.hour)! });
    }
  }
}
