/**
 * What a verify does while Redis cannot be reached (`tokenform serve --redis-failure`, or
 * TOKENFORM_REDIS_FAILURE): the one place that maps a failed Redis call to an outcome.
 *
 * - `closed` (the default, the safe one): a verify that needs the shared state — a rate-limited verify, a
 *   signed request's replay check — is answered 503 with `Retry-After` and a JSON error body. Nothing is
 *   admitted that a shared limit could not count.
 * - `local`: each instance falls back to its own in-memory limits (so a key may get up to N times its limit
 *   across N instances during the outage) and the replay window falls back to the store's; one warning is
 *   logged when the outage starts and one info line when Redis answers again.
 *
 * Either way a verify never fails with a 500, and nothing waits on a dead Redis: the client fails commands
 * at once while disconnected and reconnects by itself (connection.ts).
 */
import type { Logger } from "pino";
import { ConfigError } from "../../errors.js";
import { ServiceError } from "../errors.js";
import { type Limiter, type RateDecision, RateLimiter, type RateRule } from "../ratelimit.js";

/** The failure modes, default first. */
export const REDIS_FAILURE_MODES = ["closed", "local"] as const;
export type RedisFailureMode = (typeof REDIS_FAILURE_MODES)[number];

/** `value` as a failure mode, or a usage error naming `source`. */
export function parseRedisFailure(value: string, source = "--redis-failure"): RedisFailureMode {
  if ((REDIS_FAILURE_MODES as readonly string[]).includes(value)) return value as RedisFailureMode;
  throw new ConfigError(
    `${source} must be "closed" (answer 503 while Redis is down) or "local" (fall back to per-instance limits), not ${JSON.stringify(value)}`,
    2,
  );
}

/** The refusal of a verify while Redis is down in `closed` mode (503, `Retry-After`, JSON body). */
export function redisUnavailable(): ServiceError {
  return new ServiceError(
    "unavailable",
    "the shared rate limits cannot be checked right now (Redis is unreachable); retry shortly",
    { "Retry-After": "1" },
  );
}

/**
 * Tracks one Redis-backed collaborator's outage for logging: a warning when calls start failing, an info
 * line when they succeed again — one line each per outage, not one per request.
 */
export class OutageLog {
  #down = false;
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly mode: RedisFailureMode,
  ) {}

  failed(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.logger.warn(
      { err: { message: error instanceof Error ? error.message : String(error) }, redisFailure: this.mode },
      this.mode === "closed"
        ? `Redis unreachable: ${this.what} answer 503 until it is back`
        : `Redis unreachable: ${this.what} fall back to this instance until it is back`,
    );
  }

  succeeded(): void {
    if (!this.#down) return;
    this.#down = false;
    this.logger.info(`Redis reachable again: ${this.what} are shared again`);
  }
}

/** A shared limiter with the failure mode applied: its errors become a 503 or a local check. */
export class FallbackLimiter implements Limiter {
  readonly synchronous = false;
  readonly #shared: Limiter;
  readonly #local = new RateLimiter();
  readonly #mode: RedisFailureMode;
  readonly #outage: OutageLog;
  /** Checks answered locally are released locally: times of such admissions still in a window. */
  #localTimes = new Set<number>();

  constructor(shared: Limiter, mode: RedisFailureMode, logger: Logger) {
    this.#shared = shared;
    this.#mode = mode;
    this.#outage = new OutageLog(logger, "rate limits", mode);
  }

  async check(rules: readonly RateRule[], now: number): Promise<RateDecision> {
    try {
      const decision = await this.#shared.check(rules, now);
      this.#outage.succeeded();
      return decision;
    } catch (error) {
      this.#outage.failed(error);
      if (this.#mode === "closed") throw redisUnavailable();
      const decision = this.#local.check(rules, now);
      // Releases follow checks at once; a long outage without a sweeper must not grow this without bound.
      if (this.#localTimes.size >= 10_000) this.#localTimes.clear();
      if (decision.allowed) this.#localTimes.add(now);
      return decision;
    }
  }

  async release(rules: readonly RateRule[], at: number): Promise<void> {
    if (this.#localTimes.delete(at)) {
      this.#local.release(rules, at);
      return;
    }
    await this.#shared.release(rules, at);
  }

  prune(now: number): void {
    this.#local.prune(now);
    this.#localTimes.clear();
  }
}
