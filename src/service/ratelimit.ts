/**
 * Rate limiting with an exact sliding window log: a key admitted at most `limit` requests in any window
 * of `periodMs` ending now. Admissions in the same millisecond are coalesced into one entry, so memory is
 * bounded by min(limit, distinct milliseconds in the window) per key, and each check is amortised O(1).
 * Several rules (per key per minute, per key per hour, per account per hour) are checked together and a
 * request is counted against all of them only when all admit it, so a refused request consumes nothing.
 *
 * State is in memory and the process is single-threaded, so concurrent requests can never over-admit.
 * (Several instances share one window through Redis: `RedisLimiter` in src/service/redis/limiter.ts, the
 * same sliding log in one Lua script, which `startService({ redis })` uses. Any other shared limiter
 * implements `Limiter` below and is passed to `startService` as `limiter`.)
 */

/** One limit to enforce: `limit` requests per `periodMs` for the bucket named `key`. */
export interface RateRule {
  key: string;
  limit: number;
  periodMs: number;
}

/** Outcome of a check: the binding rule's state, as sent in RateLimit-* headers. */
export interface RateDecision {
  allowed: boolean;
  /** Limit of the binding rule (the one with the fewest requests left). */
  limit: number;
  /** Requests left in the binding rule's window after this one. */
  remaining: number;
  /** Seconds until the binding rule's window has fully recovered. */
  reset: number;
  /** Seconds to wait before a retry can succeed (only when refused; at least 1). */
  retryAfter?: number;
}

/**
 * What the verifier needs of a rate limiter. `check` and `release` may answer at once (the in-memory
 * limiter) or with a promise (a shared limiter needs a round trip); the verifier awaits only a promise.
 */
export interface Limiter {
  /** Checks `rules` at time `now` (ms) and, when all admit, counts the request against each. */
  check(rules: readonly RateRule[], now: number): RateDecision | Promise<RateDecision>;
  /** Gives back the admission a `check(rules, at)` made (the request was refused by a later step). */
  release(rules: readonly RateRule[], at: number): void | Promise<void>;
  /** Forgets idle buckets; the service's sweeper calls it when present. */
  prune?(now: number): void | Promise<void>;
  /**
   * True when `check` never returns a promise, so the verifier's synchronous path (`verifyCached`) may
   * call it. Absent or false: cached keys are verified through `verify`, which awaits the answer.
   */
  readonly synchronous?: boolean;
}

/** The admission log of one bucket. */
class WindowLog {
  constructor(
    /** Window length of the rule this bucket belongs to. */
    readonly periodMs: number,
  ) {}
  times: number[] = [];
  counts: number[] = [];
  head = 0;
  total = 0;

  /** Drops admissions at or before `cutoff`. */
  expire(cutoff: number): void {
    const { times, counts } = this;
    let head = this.head;
    while (head < times.length && times[head]! <= cutoff) {
      this.total -= counts[head]!;
      head++;
    }
    if (head > 64 && head * 2 > times.length) {
      this.times = times.slice(head);
      this.counts = counts.slice(head);
      head = 0;
    }
    this.head = head;
  }

  admit(now: number): void {
    const last = this.times.length - 1;
    if (last >= this.head && this.times[last] === now) this.counts[last]!++;
    else {
      this.times.push(now);
      this.counts.push(1);
    }
    this.total++;
  }

  /** Time of the oldest admission still in the window. */
  oldest(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }
}

/** In-memory sliding-window-log limiter (the service's default `Limiter`; answers synchronously). */
export class RateLimiter implements Limiter {
  readonly synchronous = true;
  readonly #logs = new Map<string, WindowLog>();
  readonly #scratch: WindowLog[] = [];

  /** Checks `rules` at time `now` (ms) and, when all admit, counts the request against each. */
  check(rules: readonly RateRule[], now: number): RateDecision {
    const logs = this.#scratch;
    logs.length = 0;
    let binding = -1;
    let bindingRemaining = Number.POSITIVE_INFINITY;
    let refused = -1;
    let retryAt = 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      let log = this.#logs.get(rule.key);
      if (!log) {
        log = new WindowLog(rule.periodMs);
        this.#logs.set(rule.key, log);
      }
      log.expire(now - rule.periodMs);
      logs.push(log);
      if (log.total >= rule.limit) {
        // Enough of the oldest admissions must leave the window to free one slot.
        let excess = log.total - rule.limit + 1;
        let at = now;
        for (let j = log.head; j < log.times.length && excess > 0; j++) {
          excess -= log.counts[j]!;
          at = log.times[j]! + rule.periodMs;
        }
        if (refused < 0 || at > retryAt) {
          refused = i;
          retryAt = at;
        }
      }
      const remaining = rule.limit - log.total - 1;
      if (remaining < bindingRemaining) {
        bindingRemaining = remaining;
        binding = i;
      }
    }
    if (refused >= 0) {
      const rule = rules[refused]!;
      const log = logs[refused]!;
      return {
        allowed: false,
        limit: rule.limit,
        remaining: 0,
        reset: Math.max(1, Math.ceil(((log.oldest() ?? now) + rule.periodMs - now) / 1000)),
        retryAfter: Math.max(1, Math.ceil((retryAt - now) / 1000)),
      };
    }
    for (const log of logs) log.admit(now);
    if (binding < 0) return { allowed: true, limit: 0, remaining: 0, reset: 0 };
    const rule = rules[binding]!;
    const oldest = logs[binding]!.oldest() ?? now;
    return {
      allowed: true,
      limit: rule.limit,
      remaining: Math.max(0, bindingRemaining),
      reset: Math.max(1, Math.ceil((oldest + rule.periodMs - now) / 1000)),
    };
  }

  /**
   * Gives back the admission `check(rules, at)` made, for a request admitted here and refused by a later
   * step (a replayed signature): a refused request consumes nothing.
   */
  release(rules: readonly RateRule[], at: number): void {
    for (const rule of rules) {
      const log = this.#logs.get(rule.key);
      if (!log) continue;
      for (let i = log.times.length - 1; i >= log.head; i--) {
        if (log.times[i] !== at) continue;
        log.total--;
        if (--log.counts[i]! === 0) {
          log.times.splice(i, 1);
          log.counts.splice(i, 1);
        }
        break;
      }
    }
  }

  /** Forgets buckets whose windows are empty (called periodically by the service's sweeper). */
  prune(now: number): void {
    for (const [key, log] of this.#logs) {
      log.expire(now - log.periodMs);
      if (log.total === 0) this.#logs.delete(key);
    }
  }

  /** Number of buckets held (for tests and metrics). */
  get size(): number {
    return this.#logs.size;
  }
}
