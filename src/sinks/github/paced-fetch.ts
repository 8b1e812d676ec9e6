/**
 * The fetch the GitHub client sends through. It enforces GitHub's guidance for content-creating requests
 * where it can be enforced exactly, at the moment a request leaves: writes (anything but GET/HEAD) go out
 * one at a time, each at least `writeIntervalMs` after the previous one was sent, retries included. It
 * also bounds every request with a timeout, so a hung connection cannot stall an apply.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import Bottleneck from "bottleneck";

export interface PacedFetchOptions {
  /** The underlying fetch; looked up on `globalThis` at call time when absent. */
  fetch?: typeof globalThis.fetch;
  /** Minimum ms between two writes being sent. */
  writeIntervalMs: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
}

/** A fetch that paces and serialises writes and times out every request. */
export function pacedFetch(options: PacedFetchOptions): typeof globalThis.fetch {
  // Bottleneck serialises the writes; the spacing is measured here, at the moment of sending, with the
  // monotonic clock (Bottleneck's own `minTime` counts from when it launches a job, a few async hops
  // before the request actually leaves, so its gaps can come out shorter than asked).
  const writes = new Bottleneck({ maxConcurrent: 1 });
  let lastWriteSent = Number.NEGATIVE_INFINITY;
  return (input, init) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const send = () => (options.fetch ?? globalThis.fetch)(input, { ...init, signal });
    const method = (init?.method ?? "GET").toUpperCase();
    if (method === "GET" || method === "HEAD") return send();
    return writes.schedule(async () => {
      // Timers may fire up to a millisecond before the monotonic clock says they are due: loop until it agrees.
      for (;;) {
        const wait = lastWriteSent + options.writeIntervalMs - performance.now();
        if (wait <= 0) break;
        await sleep(Math.ceil(wait), undefined, init?.signal ? { signal: init.signal } : undefined);
      }
      lastWriteSent = performance.now();
      return send();
    });
  };
}
