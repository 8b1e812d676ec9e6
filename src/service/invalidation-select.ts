/**
 * Which cache invalidation channel a service uses when none is given: Redis pub/sub when the deployment
 * has Redis, else PostgreSQL LISTEN/NOTIFY when the store is PostgreSQL (the instances already share it),
 * else the in-process channel (one instance: nobody else to tell). The shared channels are subscribed
 * before this resolves (or keep trying, counting as down meanwhile); the drivers are loaded only when used.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { type Invalidation, LocalInvalidation } from "./invalidation.js";
import { PostgresStore } from "./store/postgres.js";
import type { TokenStore } from "./store/types.js";

/** A channel, with `close` when it holds connections of its own. */
export type OpenedInvalidation = Invalidation & { close?(): Promise<void> };

/** The default channel for a service on `store`, with `redis` when the deployment has one. */
export async function defaultInvalidation(
  redis: Redis | undefined,
  store: TokenStore,
  logger: Logger,
): Promise<OpenedInvalidation> {
  if (redis !== undefined) {
    const { RedisInvalidation } = await import("./redis/invalidation.js");
    const channel = new RedisInvalidation({ redis, logger });
    await channel.start();
    return channel;
  }
  if (store instanceof PostgresStore) {
    const { PostgresInvalidation } = await import("./store/postgres-invalidation.js");
    const channel = new PostgresInvalidation({ store, logger });
    await channel.start();
    return channel;
  }
  return new LocalInvalidation();
}
