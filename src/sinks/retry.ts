/**
 * The retry policy shared by the HTTP sinks: transient failures (5xx, 429, network errors, timeouts) are
 * retried a few times with exponential backoff; anything else fails at once. The GitHub sink hands these
 * numbers to octokit's retry plugin, the GitLab sink runs `withRetry` around each request.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** How often and how patiently a transient failure is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (so `retries + 1` attempts in all). */
  retries: number;
  /** Delay before the first retry in ms; each later one doubles (GitHub's plugin squares: 1×, 4×, 9×). */
  baseDelayMs: number;
  /** Upper bound for one wait, including a server's `Retry-After`, in ms. */
  maxDelayMs: number;
}

/**
 * Three retries starting at one second: a brief outage (a deploy, a load balancer hiccup) is ridden out
 * within about seven seconds, while a real outage still fails the run quickly enough for a person to look.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** One attempt's outcome as `withRetry` sees it. */
export type Attempt<T> =
  | { done: true; value: T }
  /** `retryAfterMs`: what the server asked for (`Retry-After`), when it did. */
  | { done: false; error: Error; retryAfterMs?: number };

/**
 * Runs `attempt` until it is done or the policy's retries are spent; returns the value or throws the last
 * error. `attempt` decides what is transient by returning `{ done: false }`; it throws for anything final.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<Attempt<T>>,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 0; ; n++) {
    const result = await attempt(n);
    if (result.done) return result.value;
    if (n >= policy.retries) throw result.error;
    const backoff = policy.baseDelayMs * 2 ** n;
    const wait = Math.min(policy.maxDelayMs, Math.max(backoff, result.retryAfterMs ?? 0));
    await sleep(wait, undefined, signal ? { signal } : undefined);
  }
}
