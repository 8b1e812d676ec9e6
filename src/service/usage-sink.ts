/**
 * What the verifier and the token manager need of usage accounting: record an outcome on the request path
 * (no I/O there), show counts not yet written, and write them. The service's default is the in-memory
 * `UsageAccumulator` (src/service/usage.ts), flushed to the store on a timer; with Redis, `SharedUsage`
 * (src/service/redis/usage.ts) wraps it so a usage read on any instance includes every instance's counts.
 */
import type { PendingUsage } from "./lifecycle.js";

export interface UsageSink {
  /** A successful verification of `tokenId` from `ip` at `now` (ms). Must not block: called per request. */
  success(tokenId: string, ip: string | undefined, now: number): void;
  /** A refused verification of a key that exists. Must not block. */
  failure(tokenId: string, now: number): void;
  /** Counts recorded but not yet written for a token, merged into API reads; undefined when none. */
  peek(tokenId: string): PendingUsage | undefined;
  /** Writes everything recorded so far (before a read that must see it, and at shutdown). */
  flush(): Promise<void>;
  /** Starts background writing (the service calls it once it listens). */
  start(): void;
  /** Stops background writing (the service then calls `flush()` once more). */
  stop(): void;
}
