/**
 * Cache invalidation between the token manager (which publishes the id of every token it writes) and the
 * verifier's key cache (which subscribes and drops that token's cached secrets). The in-process default
 * delivers at once; a shared implementation (scale-out: src/service/invalidation-channel.ts over Redis
 * pub/sub or PostgreSQL LISTEN/NOTIFY) also carries the ids to other instances, and says whether it is
 * connected, so caches keep entries only briefly while it is not.
 */

/**
 * Called with the id of a token whose cached secrets must be dropped, and its account when the publisher
 * said (subscribers outside the service, such as `GET /v1/invalidations`, hear only their own account's).
 */
export type InvalidationHandler = (tokenId: string, account?: string) => void;

/** A channel of token-id invalidations. */
export interface Invalidation {
  /**
   * Announces that `tokenId` changed. Handlers subscribed on this instance must have run before `publish`
   * returns (or its promise settles), so a disabled key is refused on the very next request here; other
   * instances may learn of it later (their cache TTL bounds the delay).
   */
  publish(tokenId: string, account?: string): void | Promise<void>;
  /** Calls `handler` with every id published from now on. Returns a function that unsubscribes. */
  subscribe(handler: InvalidationHandler): () => void;
  /**
   * Follows whether ids published elsewhere reach this instance: calls `listener` at once with the current
   * state and again on every change; returns a function that stops. Absent on an in-process channel, which
   * never misses an id. After a loss, ids published meanwhile may have been missed.
   */
  watch?(listener: (connected: boolean) => void): () => void;
}

/** The in-process bus: `publish` calls every subscriber synchronously. */
export class LocalInvalidation implements Invalidation {
  readonly #handlers = new Set<InvalidationHandler>();

  publish(tokenId: string, account?: string): void {
    for (const handler of this.#handlers) handler(tokenId, account);
  }

  subscribe(handler: InvalidationHandler): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }
}
