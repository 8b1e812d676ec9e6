/**
 * Usage counters of a scaled-out deployment: what "shared through Redis" means for usage.
 *
 * Counts stay where they are durable. Each instance accumulates its verifications in memory (no I/O per
 * request, as with one instance) and writes them to the store, where PostgreSQL adds every instance's
 * counts into one row per token and hour — so totals are never counted apart at rest. Redis coordinates:
 * a usage read on any instance (`flush()`, which `GET /v1/tokens/{id}/usage` calls) raises a flush
 * request in Redis (`tokenform:usage:flush`, a number that only grows: the wall clock in ms, or one more
 * than the last request — so it still grows after a Redis restart lost it), every instance polls it every `pollMs`, writes its
 * counts to the store and acknowledges (`tokenform:usage:ack:<instance>`, with a TTL that is also the
 * instance's heartbeat); the read waits until every live instance has acknowledged (at most `waitMs`),
 * then reads the store — so it includes every instance's verifications up to the moment of the read.
 *
 * Why not counters in Redis (HINCRBY, then one flusher to the store)? Redis would then hold the only copy
 * of up to a flush interval of counts, and a Redis that dies (or restarts without persistence) would lose
 * them. Here Redis never holds a count: when it is down, reads fall back to this instance's counts plus
 * what the others' own timers wrote (each within its flush interval), a warning is logged once, and no
 * verification is lost. Token reads (`requestCount` in `GET /v1/tokens/{id}`) merge this instance's
 * pending counts as before; other instances' counts reach them within one flush interval.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { PendingUsage } from "../lifecycle.js";
import type { UsageSink } from "../usage-sink.js";

/** Key of the flush-request counter. */
export const FLUSH_KEY = "tokenform:usage:flush";
/** Set of the instances that acknowledge flush requests. */
export const INSTANCES_KEY = "tokenform:usage:instances";
/** Prefix of each instance's acknowledgement (the highest flush request it has written). */
export const ACK_PREFIX = "tokenform:usage:ack:";

/** KEYS: the flush-request key. ARGV: the wall clock (ms). Raises and returns the next request. */
const RAISE = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local next = math.max(last + 1, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], next)
return next
`;

/** The client with the script defined (`defineCommand` adds a method ioredis cannot type). */
interface ScriptedRedis {
  tokenformUsageFlush(key: string, now: number): Promise<number>;
}

export interface SharedUsageOptions {
  /** This instance's counts, written to the store (a `UsageAccumulator`). */
  local: UsageSink;
  redis: Redis;
  logger: Logger;
  /** How often this instance looks for flush requests (default 100 ms). */
  pollMs?: number;
  /** How long a read waits for the other instances (default 2000 ms). */
  waitMs?: number;
}

export class SharedUsage implements UsageSink {
  readonly #local: UsageSink;
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #waitMs: number;
  readonly #id = randomBytes(8).toString("base64url");
  /** The highest flush request this instance has written. */
  #acked = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;
  #down = false;

  constructor(options: SharedUsageOptions) {
    this.#local = options.local;
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? 100;
    this.#waitMs = options.waitMs ?? 2000;
    this.#redis.defineCommand("tokenformUsageFlush", { lua: RAISE, numberOfKeys: 1 });
  }

  success(tokenId: string, ip: string | undefined, now: number): void {
    this.#local.success(tokenId, ip, now);
  }

  failure(tokenId: string, now: number): void {
    this.#local.failure(tokenId, now);
  }

  peek(tokenId: string): PendingUsage | undefined {
    return this.#local.peek(tokenId);
  }

  start(): void {
    this.#local.start();
    if (this.#timer) return;
    const poll = () => {
      this.#polling ??= this.#poll().finally(() => {
        this.#polling = undefined;
      });
    };
    // Join the set at once: a read started right after this instance's first verify must wait for it.
    poll();
    this.#timer = setInterval(poll, this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#local.stop();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // Leave the set at once, so no read waits for an instance that is going away.
    this.#redis
      .pipeline()
      .srem(INSTANCES_KEY, this.#id)
      .del(`${ACK_PREFIX}${this.#id}`)
      .exec()
      .catch(() => {});
  }

  /**
   * Writes this instance's counts, and — while running — every other live instance's, before resolving.
   * After `stop()` only this instance's (shutdown).
   */
  async flush(): Promise<void> {
    if (this.#stopped) return this.#local.flush();
    let request: number;
    try {
      request = await (this.#redis as unknown as ScriptedRedis).tokenformUsageFlush(FLUSH_KEY, Date.now());
    } catch (error) {
      this.#failed(error);
      return this.#local.flush();
    }
    await this.#local.flush();
    await this.#acknowledge(request);
    await this.#awaitOthers(request);
  }

  /** Looks for a flush request newer than the last one written; writes and acknowledges it. */
  async #poll(): Promise<void> {
    let request: number;
    try {
      request = Number((await this.#redis.get(FLUSH_KEY)) ?? 0);
    } catch (error) {
      this.#failed(error);
      return;
    }
    // Stopped meanwhile: the service's own last flush writes what is left, before the store closes.
    if (this.#stopped) return;
    if (request > this.#acked) {
      try {
        await this.#local.flush();
      } catch (error) {
        this.#logger.error({ err: error }, "usage flush failed");
        return;
      }
    }
    await this.#acknowledge(Math.max(request, this.#acked)).catch((error: unknown) => this.#failed(error));
  }

  /** Records that this instance's counts up to flush request `request` are in the store; heartbeat. */
  async #acknowledge(request: number): Promise<void> {
    if (this.#stopped) return;
    if (request > this.#acked) this.#acked = request;
    await this.#redis
      .pipeline()
      .set(`${ACK_PREFIX}${this.#id}`, String(this.#acked), "PX", Math.max(1000, this.#pollMs * 20))
      .sadd(INSTANCES_KEY, this.#id)
      .exec();
    if (this.#down) this.#logger.info("Redis reachable again: usage reads include every instance again");
    this.#down = false;
  }

  /** Waits until every live instance has acknowledged `request` (or `waitMs` has passed). */
  async #awaitOthers(request: number): Promise<void> {
    const deadline = Date.now() + this.#waitMs;
    for (;;) {
      let missing: number;
      try {
        missing = await this.#behind(request);
      } catch (error) {
        this.#failed(error);
        return;
      }
      if (missing === 0) return;
      if (Date.now() >= deadline) {
        this.#logger.warn(
          { instances: missing },
          "usage read: some instances did not write their counts in time; their latest counts are missing",
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, this.#pollMs)));
    }
  }

  /** How many live instances have not acknowledged `request`; forgets instances whose heartbeat lapsed. */
  async #behind(request: number): Promise<number> {
    const ids = await this.#redis.smembers(INSTANCES_KEY);
    if (ids.length === 0) return 0;
    const acks = await this.#redis.mget(ids.map((id) => `${ACK_PREFIX}${id}`));
    const gone = ids.filter((_, i) => acks[i] === null);
    if (gone.length > 0) await this.#redis.srem(INSTANCES_KEY, ...gone);
    return acks.filter((ack) => ack !== null && Number(ack) < request).length;
  }

  #failed(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#logger.warn(
      { err: { message: error instanceof Error ? error.message : String(error) } },
      "Redis unreachable: usage reads show this instance's counts and what the others have written",
    );
  }
}
