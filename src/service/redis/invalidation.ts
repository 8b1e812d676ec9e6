/**
 * Cache invalidation over Redis pub/sub (`tokenform serve --redis`): every instance publishes the ids it
 * writes on `tokenform:invalidations:<db>` through the shared client and listens on a connection of its
 * own (a subscribed Redis connection can do nothing else). Pub/sub ignores the database number, so the
 * channel carries it: deployments sharing one Redis on different databases do not hear each other.
 *
 * The subscriber resubscribes itself after every reconnection (ioredis's automatic resubscription is off,
 * so "connected" means "subscribed"); it counts as down from the moment its connection closes or a
 * heartbeat PING goes unanswered until it has subscribed again.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { BroadcastInvalidation } from "../invalidation-channel.js";
import { clientOptions, describeRedis } from "./connection.js";

/** The channel of the Redis database `db`. */
export function redisInvalidationChannel(db: number): string {
  return `tokenform:invalidations:${db}`;
}

/** Options of `RedisInvalidation`. */
export interface RedisInvalidationOptions {
  /** The deployment's shared client: publishes go through it, the subscriber is a duplicate of it. */
  redis: Redis;
  logger: Logger;
}

/** Invalidations shared through Redis pub/sub. */
export class RedisInvalidation extends BroadcastInvalidation {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  #closed = false;

  constructor(options: RedisInvalidationOptions) {
    const { host, port, db } = options.redis.options;
    const channel = redisInvalidationChannel(db ?? 0);
    super(
      options.logger,
      `Redis pub/sub ${channel} on ${describeRedis(`redis://${host}:${port}/${db ?? 0}`)}`,
    );
    this.#channel = channel;
    this.#publisher = options.redis;
    this.#subscriber = options.redis.duplicate({
      ...clientOptions("tokenform-invalidation"),
      autoResubscribe: false,
    });
    this.#subscriber.on("message", (from: string, message: string) => {
      if (from === this.#channel) this.receive(message);
    });
    this.#subscriber.on("ready", () => void this.#subscribe());
    this.#subscriber.on("close", () => {
      if (!this.#closed) this.setConnected(false);
    });
    // Errors show as "close" (and are logged there once); without a listener they would be unhandled.
    this.#subscriber.on("error", () => undefined);
  }

  async start(): Promise<void> {
    try {
      await this.#subscriber.connect();
      await this.#subscribe();
    } catch (error) {
      this.logger.warn(
        { channel: this.description, err: { message: (error as Error).message } },
        "cannot subscribe to cache invalidations yet; cached keys live at most 1 s until it can",
      );
    }
    this.startHeartbeat();
  }

  async #subscribe(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#subscriber.subscribe(this.#channel);
      this.setConnected(true);
    } catch {
      // The connection went away meanwhile: it reconnects and "ready" subscribes again.
    }
  }

  protected async send(message: string): Promise<void> {
    await this.#publisher.publish(this.#channel, message);
  }

  protected async probe(): Promise<void> {
    await this.#subscriber.ping();
  }

  protected reconnect(): void {
    this.#subscriber.disconnect(true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.stopHeartbeat();
    this.#subscriber.disconnect();
  }
}
