/**
 * The collaborators a scaled-out service builds on its Redis (`startService({ redis })`): the shared rate
 * limiter with the failure mode applied, the signed-request replay window, and usage reads that include
 * every instance. Cache invalidation over Redis is wired separately.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Limiter } from "../ratelimit.js";
import { type ReplayWindow, storeReplayWindow } from "../replay.js";
import type { TokenStore } from "../store/types.js";
import type { UsageSink } from "../usage-sink.js";
import { FallbackLimiter, type RedisFailureMode } from "./failure.js";
import { RedisLimiter } from "./limiter.js";
import { RedisReplayWindow } from "./replay.js";
import { SharedUsage } from "./usage.js";

export interface SharedState {
  limiter: Limiter;
  replay: ReplayWindow;
  /** Wraps this instance's usage sink so reads include every instance. */
  usage(local: UsageSink): UsageSink;
}

export function sharedState(
  redis: Redis,
  options: { store: TokenStore; logger: Logger; failure: RedisFailureMode },
): SharedState {
  const { store, logger, failure } = options;
  return {
    limiter: new FallbackLimiter(new RedisLimiter(redis), failure, logger),
    replay: new RedisReplayWindow(redis, storeReplayWindow(store), failure, logger),
    usage: (local) => new SharedUsage({ local, redis, logger }),
  };
}
