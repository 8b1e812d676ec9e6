/**
 * `GET /v1/invalidations`: the service's cache invalidations as a Server-Sent Events stream, for the
 * verdict caches of remote-mode middleware and gateways (src/mcp/invalidations.ts). Events:
 *
 * - `status` `{"connected": boolean}` — first on every stream, then on each change: whether this instance
 *   hears the other instances' invalidations (always true for a single instance). A subscriber keeps
 *   verdicts only briefly while it is false, and drops them all when it turns true again.
 * - `invalidate` `{"tokenId": "tok_…"}` — a token of the caller's account was written: drop its verdicts.
 * - a comment line every HEARTBEAT_MS, so a subscriber notices a dead connection.
 *
 * An authenticated caller hears only its own account's tokens. Streams end when the service closes (a
 * subscriber reconnects, to this instance or another).
 */
import type { ServerResponse } from "node:http";
import type { Invalidation } from "../invalidation.js";
import type { Reply, RequestContext } from "./context.js";

/** How often an idle stream carries a comment (subscribers count it lost after 3 silent intervals). */
export const STREAM_HEARTBEAT_MS = 10_000;
/** What a reconnecting EventSource waits (the SSE `retry` field), in ms. */
const RETRY_MS = 1_000;

/** The open invalidation streams of one service. */
export class InvalidationStreams {
  readonly #invalidation: Invalidation;
  readonly #heartbeatMs: number;
  readonly #open = new Set<ServerResponse>();

  constructor(invalidation: Invalidation, heartbeatMs = STREAM_HEARTBEAT_MS) {
    this.#invalidation = invalidation;
    this.#heartbeatMs = heartbeatMs;
  }

  /** Starts a stream for the request; the reply is already sent when this resolves. */
  async open(ctx: RequestContext): Promise<Reply> {
    const { res, requestId } = ctx;
    const account = ctx.actor?.account;
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      // The stream is the last answer on its connection: ending it (the service closing) frees the socket.
      Connection: "close",
      "X-Accel-Buffering": "no",
      "X-Request-Id": requestId,
    });
    res.flushHeaders();
    res.write(`retry: ${RETRY_MS}\n\n`);
    const write = (event: string, data: unknown) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = this.#invalidation.subscribe((tokenId, of) => {
      if (account === undefined || of === undefined || of === account) write("invalidate", { tokenId });
    });
    let unwatch = () => {};
    if (this.#invalidation.watch) {
      unwatch = this.#invalidation.watch((connected) => write("status", { connected }));
    } else {
      write("status", { connected: true });
    }
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), this.#heartbeatMs);
    heartbeat.unref();
    this.#open.add(res);
    res.once("close", () => {
      clearInterval(heartbeat);
      unsubscribe();
      unwatch();
      this.#open.delete(res);
    });
    return { status: 200 };
  }

  /** Ends every open stream (the service is closing). */
  closeAll(): void {
    for (const res of this.#open) res.end();
  }

  /** How many streams are open. */
  get size(): number {
    return this.#open.size;
  }
}
