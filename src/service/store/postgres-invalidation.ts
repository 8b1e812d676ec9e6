/**
 * Cache invalidation over PostgreSQL LISTEN/NOTIFY, for a deployment on the PostgreSQL store without
 * Redis: ids are sent with `pg_notify` through the store's pool and heard on a connection of the
 * instance's own (a LISTEN lasts as long as its session, so it cannot be a pooled one). Notifications
 * belong to the database, so deployments on other databases of the same server do not hear each other.
 *
 * When that connection ends (the server restarted, `pg_terminate_backend`, a network loss found by the
 * heartbeat) the channel counts as down and a new connection is opened with a capped back-off until it
 * listens again.
 */
import type { Client, Notification } from "pg";
import type { Logger } from "pino";
import { BroadcastInvalidation } from "../invalidation-channel.js";
import type { PostgresStore } from "./postgres.js";

/** The notification channel (an SQL identifier: lower case, no quoting needed). */
export const POSTGRES_INVALIDATION_CHANNEL = "tokenform_invalidations";
/** `application_name` of the listening session (to find it in `pg_stat_activity`). */
export const LISTENER_APPLICATION_NAME = "tokenform-invalidation";
/** First and longest pause between attempts to listen again. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/** Invalidations shared through PostgreSQL LISTEN/NOTIFY. */
export class PostgresInvalidation extends BroadcastInvalidation {
  readonly #store: PostgresStore;
  #client: Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #delay = RETRY_MIN_MS;
  #closed = false;

  constructor(options: { store: PostgresStore; logger: Logger }) {
    super(options.logger, `PostgreSQL LISTEN ${POSTGRES_INVALIDATION_CHANNEL} on ${options.store.location}`);
    this.#store = options.store;
  }

  async start(): Promise<void> {
    await this.#listen();
    if (!this.connected) {
      this.logger.warn(
        { channel: this.description },
        "cannot listen for cache invalidations yet; cached keys live at most 1 s until it can",
      );
    }
    this.startHeartbeat();
  }

  /** Opens the listening session; on failure, tries again later. */
  async #listen(): Promise<void> {
    this.#retry = undefined;
    if (this.#closed) return;
    let client: Client | undefined;
    try {
      client = await this.#store.dedicatedClient(LISTENER_APPLICATION_NAME);
      const listening = client;
      listening.on("notification", (note: Notification) => {
        if (note.channel === POSTGRES_INVALIDATION_CHANNEL && note.payload) this.receive(note.payload);
      });
      listening.on("error", () => this.#lost(listening));
      listening.on("end", () => this.#lost(listening));
      await listening.query(`LISTEN ${POSTGRES_INVALIDATION_CHANNEL}`);
      if (this.#closed) {
        await listening.end().catch(() => undefined);
        return;
      }
      this.#client = listening;
      this.#delay = RETRY_MIN_MS;
      this.setConnected(true);
    } catch (error) {
      if (client) this.#lost(client);
      else this.#again(error);
    }
  }

  /** The session `client` failed or ended: down until a new one listens. */
  #lost(client: Client): void {
    if (this.#client !== undefined && this.#client !== client) return;
    this.#client = undefined;
    client.removeAllListeners("notification");
    client.on("error", () => undefined);
    client.end().catch(() => undefined);
    if (this.#closed) return;
    this.setConnected(false);
    this.#again();
  }

  #again(error?: unknown): void {
    if (this.#closed || this.#retry !== undefined) return;
    if (error !== undefined) {
      this.logger.debug(
        { channel: this.description, err: { message: (error as Error).message } },
        "listen failed",
      );
    }
    this.#retry = setTimeout(() => void this.#listen(), this.#delay);
    this.#retry.unref();
    this.#delay = Math.min(this.#delay * 2, RETRY_MAX_MS);
  }

  protected async send(message: string): Promise<void> {
    await this.#store.notify(POSTGRES_INVALIDATION_CHANNEL, message);
  }

  protected async probe(): Promise<void> {
    const client = this.#client;
    if (!client) throw new Error("not listening");
    await client.query("SELECT 1");
  }

  protected reconnect(): void {
    if (this.#client) this.#lost(this.#client);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.stopHeartbeat();
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
