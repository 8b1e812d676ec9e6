/**
 * The signed-request replay window in Redis: `SET tokenform:replay:<token id>:<signature> 1 NX PX <ttl>`,
 * one atomic round trip that every instance on the same Redis shares; the key expires with the window, so
 * Redis does not fill up. While Redis is down the failure mode decides (failure.ts): `closed` answers 503;
 * `local` falls back to the store's window (still shared by the instances on one database; a signature
 * first admitted through Redis before the outage is not in it, so such a signature could be admitted
 * once more during the outage — the price of staying up).
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ReplayWindow } from "../replay.js";
import { OutageLog, type RedisFailureMode, redisUnavailable } from "./failure.js";

/** Prefix of every remembered signature in Redis. */
export const REPLAY_KEY_PREFIX = "tokenform:replay:";

export class RedisReplayWindow implements ReplayWindow {
  readonly #outage: OutageLog;

  constructor(
    private readonly redis: Redis,
    /** The store's window, used while Redis is down in `local` mode. */
    private readonly fallback: ReplayWindow,
    private readonly mode: RedisFailureMode,
    logger: Logger,
  ) {
    this.#outage = new OutageLog(logger, "signed-request replay checks", mode);
  }

  async claim(tokenId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    let answer: string | null;
    try {
      answer = await this.redis.set(
        `${REPLAY_KEY_PREFIX}${tokenId}:${signature}`,
        "1",
        "PX",
        Math.max(1, expiresAt - now),
        "NX",
      );
    } catch (error) {
      this.#outage.failed(error);
      if (this.mode === "closed") throw redisUnavailable();
      return this.fallback.claim(tokenId, signature, expiresAt, now);
    }
    this.#outage.succeeded();
    return answer === "OK";
  }
}
