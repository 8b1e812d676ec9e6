/**
 * What the cross-instance invalidation channels (Redis pub/sub: src/service/redis/invalidation.ts;
 * PostgreSQL LISTEN/NOTIFY: src/service/store/postgres-invalidation.ts) share: local handlers run
 * synchronously on `publish` (the `Invalidation` contract) before the id is sent to the others; messages
 * carry the sending instance's id so its own echo is skipped; the connection state is told to watchers
 * (the key cache shortens its lifetimes while down) and logged once per loss and once per restore; a
 * heartbeat notices a connection that died without closing.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Invalidation, InvalidationHandler } from "./invalidation.js";

/** How often the subscription's connection is probed (a silent network loss is noticed within ~2×). */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** How long a probe may take before the connection counts as lost. */
export const HEARTBEAT_TIMEOUT_MS = 3_000;

/**
 * How long a write waits for its broadcast to be sent (a connection that went silent must not hold the
 * write's response; the others, cut off too, refuse the key within DISCONNECTED_TTL_MS anyway).
 */
export const PUBLISH_TIMEOUT_MS = 1_000;

/** A token id as the manager writes them (`tok_` and base62); anything else on the channel is ignored. */
const TOKEN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A channel of invalidations shared by the instances of one deployment. */
export abstract class BroadcastInvalidation implements Invalidation {
  readonly #handlers = new Set<InvalidationHandler>();
  readonly #watchers = new Set<(connected: boolean) => void>();
  /** This instance's id on the channel (its own messages come back and are skipped). */
  readonly #origin = randomUUID();
  #connected = false;
  #everConnected = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #probing = false;
  protected readonly logger: Logger;
  /** What the channel is, for logs (no credentials), e.g. `Redis pub/sub on redis://cache:6379/0`. */
  protected readonly description: string;

  protected constructor(logger: Logger, description: string) {
    this.logger = logger;
    this.description = description;
  }

  /** Sends a message to every instance (this one included). */
  protected abstract send(message: string): Promise<void>;
  /** Checks the subscription's connection answers; rejects (or never settles) when it does not. */
  protected abstract probe(): Promise<void>;
  /** Drops the subscription's connection after a failed probe, so that it reconnects. */
  protected abstract reconnect(): void;
  /** Subscribes; resolves once subscribed or once the first attempt failed (then it keeps trying). */
  abstract start(): Promise<void>;
  /** Unsubscribes and closes what the channel opened. */
  abstract close(): Promise<void>;

  /** Runs this instance's handlers, then sends the id to the others (a failure to send is logged). */
  async publish(tokenId: string, account?: string): Promise<void> {
    for (const handler of this.#handlers) handler(tokenId, account);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.send(`${this.#origin} ${tokenId}${account === undefined ? "" : ` ${account}`}`),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer in time")), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn(
        { channel: this.description, tokenId, err: { message: (error as Error).message } },
        "could not broadcast a cache invalidation; other instances refuse the key once their cache entry ages out",
      );
    } finally {
      clearTimeout(timer);
    }
  }

  subscribe(handler: InvalidationHandler): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }

  watch(listener: (connected: boolean) => void): () => void {
    this.#watchers.add(listener);
    listener(this.#connected);
    return () => {
      this.#watchers.delete(listener);
    };
  }

  /** Whether ids from other instances arrive now. */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * A message from the channel (`<origin> <token id>[ <account>]`): another instance's runs the handlers;
   * this instance's own is skipped.
   */
  protected receive(message: string): void {
    const [origin, tokenId, ...rest] = message.split(" ");
    if (origin === this.#origin || tokenId === undefined || !TOKEN_ID.test(tokenId)) return;
    const account = rest.length > 0 ? rest.join(" ") : undefined;
    for (const handler of this.#handlers) handler(tokenId, account);
  }

  /** Records a change of connection state: logged once per loss and restore, told to the watchers. */
  protected setConnected(connected: boolean): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    if (connected) {
      this.logger.info(
        { channel: this.description },
        this.#everConnected ? "cache invalidation channel restored" : "cache invalidation channel connected",
      );
      this.#everConnected = true;
    } else if (this.#everConnected) {
      this.logger.warn(
        { channel: this.description },
        "lost the cache invalidation channel; cached keys live at most 1 s until it is back",
      );
    }
    for (const watcher of this.#watchers) watcher(connected);
  }

  /** Starts probing the connection every HEARTBEAT_INTERVAL_MS (it is dropped when a probe fails). */
  protected startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => void this.#beat(), HEARTBEAT_INTERVAL_MS);
    this.#heartbeat.unref();
  }

  protected stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  async #beat(): Promise<void> {
    if (!this.#connected || this.#probing) return;
    this.#probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("heartbeat timed out")), HEARTBEAT_TIMEOUT_MS);
        }),
      ]);
    } catch {
      if (this.#connected) {
        this.setConnected(false);
        this.reconnect();
      }
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }
}
