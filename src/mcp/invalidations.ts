/**
 * A remote token service's cache invalidations, heard by remote-mode middleware and gateways over its
 * `GET /v1/invalidations` Server-Sent Events stream (src/service/http/invalidation-stream.ts), with the
 * same key they verify with. Reconnects by itself (capped back-off); counts as disconnected while the
 * stream is down, while the service says it cannot hear its own peers, and when the stream goes silent
 * for three heartbeats (undici's body timeout). Each loss and each restore is logged once.
 */
import type { Logger } from "pino";
import { request } from "undici";
import type { SecretValue } from "../api/secret.js";
import { STREAM_HEARTBEAT_MS } from "../service/http/invalidation-stream.js";
import type { InvalidationHandler } from "../service/invalidation.js";

/** First and longest pause before connecting again. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface RemoteInvalidationsOptions {
  /** Base URL of the token service. */
  url: string;
  /** The key the guard verifies with (`tokens:verify` or `tokens:read`); optional over loopback. */
  token?: string | SecretValue;
  logger: Logger;
  /** Silence after which the stream counts as dead (default three heartbeats). */
  silenceMs?: number;
}

/** The service refused the stream (a status other than 200). */
class StreamRefused extends Error {}

/** The invalidations of a remote service. `start()` once; `close()` when done. */
export class RemoteInvalidations {
  readonly #options: RemoteInvalidationsOptions;
  readonly #handlers = new Set<InvalidationHandler>();
  readonly #watchers = new Set<(connected: boolean) => void>();
  #connected = false;
  #everConnected = false;
  /** The last refusal logged (each distinct one is logged once). */
  #lastRefusal: string | undefined;
  #closed = false;
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(options: RemoteInvalidationsOptions) {
    this.#options = options;
  }

  /** Connects in the background (and again after every loss). */
  start(): void {
    this.#running ??= this.#run();
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

  get connected(): boolean {
    return this.#connected;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort?.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.#closed) {
      try {
        await this.#stream(() => {
          delay = RETRY_MIN_MS;
        });
      } catch (error) {
        if (!this.#closed) this.#failed(error);
      }
      this.#setConnected(false);
      if (this.#closed) return;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  /** Logs why the stream could not be opened: a refusal (a key without tokens:verify) once as a warning. */
  #failed(error: unknown): void {
    const message = (error as Error).message;
    if (error instanceof StreamRefused) {
      if (message !== this.#lastRefusal) this.#options.logger.warn({ service: this.#options.url }, message);
      this.#lastRefusal = message;
      return;
    }
    this.#options.logger.debug(
      { service: this.#options.url, err: { message } },
      "invalidation stream failed",
    );
  }

  /** One stream, until it ends or fails. */
  async #stream(opened: () => void): Promise<void> {
    const { url, token } = this.#options;
    this.#abort = new AbortController();
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (token !== undefined)
      headers.authorization = `Bearer ${typeof token === "string" ? token : token.reveal()}`;
    const res = await request(`${url.replace(/\/+$/, "")}/v1/invalidations`, {
      method: "GET",
      headers,
      signal: this.#abort.signal,
      bodyTimeout: this.#options.silenceMs ?? 3 * STREAM_HEARTBEAT_MS,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new StreamRefused(
        `the token service answered ${res.statusCode} to GET /v1/invalidations: cached verdicts live at most 1 s (the key needs tokens:verify or tokens:read)`,
      );
    }
    this.#lastRefusal = undefined;
    opened();
    let buffer = "";
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString("utf8");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        this.#event(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
      }
    }
  }

  /** One event block of the stream (`event:` and `data:` lines; comments and `retry:` are ignored). */
  #event(block: string): void {
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (data === "") return;
    let parsed: { tokenId?: unknown; connected?: unknown };
    try {
      parsed = JSON.parse(data) as typeof parsed;
    } catch {
      return;
    }
    if (event === "status" && typeof parsed.connected === "boolean") this.#setConnected(parsed.connected);
    if (event === "invalidate" && typeof parsed.tokenId === "string") {
      for (const handler of this.#handlers) handler(parsed.tokenId);
    }
  }

  #setConnected(connected: boolean): void {
    if (connected === this.#connected) return;
    this.#connected = connected;
    const { logger, url } = this.#options;
    if (connected) {
      logger.info(
        { service: url },
        this.#everConnected
          ? "token service invalidations restored"
          : "following token service invalidations",
      );
      this.#everConnected = true;
    } else if (this.#everConnected && !this.#closed) {
      logger.warn(
        { service: url },
        "lost the token service's invalidations; cached verdicts live at most 1 s until they are back",
      );
    }
    for (const watcher of this.#watchers) watcher(connected);
  }
}
