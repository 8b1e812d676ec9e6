/**
 * Builds the octokit client the GitHub sink talks through: @octokit/rest with the throttling plugin
 * (primary and secondary rate limits: wait and retry as GitHub asks) and the retry plugin (5xx, 429 and
 * network errors, timeouts: retry with backoff), sending through `pacedFetch` (writes one at a time,
 * spaced). Policy is injected as numbers and callbacks, octokit-style.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck";
import type { SinkLogger } from "../logger.js";
import type { RetryPolicy } from "../retry.js";
import { pacedFetch } from "./paced-fetch.js";

/** The REST API version this sink was written against (GitHub's dated versioning header). */
export const GITHUB_API_VERSION = "2022-11-28";

/** Octokit with both plugins (the sink holds it as a plain `Octokit`: it needs no plugin API). */
const PluggedOctokit = Octokit.plugin(throttling, retry);

/** How the client waits when GitHub says "too many". */
export interface RateLimitPolicy {
  /** Retries after a secondary rate limit (403/429 "You have exceeded a secondary rate limit"). */
  secondaryRetries: number;
  /** A primary limit is waited out once, only if it resets within this many seconds; else the run fails. */
  maxPrimaryWaitSeconds: number;
  /** Milliseconds per second of `Retry-After` / reset time (1000; tests and benchmarks lower it). */
  retryAfterUnitMs: number;
}

/**
 * Two retries after a secondary limit: GitHub's `Retry-After` is usually a minute, so an apply waits at
 * most about two minutes before failing with a transient error. A primary limit that resets within a
 * minute is waited out; one an hour away is reported, since holding a pipeline for an hour helps no one.
 */
export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = {
  secondaryRetries: 2,
  maxPrimaryWaitSeconds: 60,
  retryAfterUnitMs: 1000,
};

/** What `createGithubClient` needs. */
export interface GithubClientOptions {
  token: string;
  /** API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  baseUrl: string;
  /** The fetch implementation (Node's global fetch by default). */
  fetch?: typeof globalThis.fetch;
  logger: SinkLogger;
  retry: RetryPolicy;
  rateLimit: RateLimitPolicy;
  /** Minimum ms between two content-creating requests being sent (retries included). */
  writeIntervalMs: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
}

/** A new client. Each has its own write pacing, so two sinks (or tests) never share a queue. */
export function createGithubClient(options: GithubClientOptions): Octokit {
  const { logger, rateLimit } = options;
  const octokit = new PluggedOctokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    userAgent: "tokenform",
    request: {
      fetch: pacedFetch({
        ...(options.fetch ? { fetch: options.fetch } : {}),
        writeIntervalMs: options.writeIntervalMs,
        timeoutMs: options.timeoutMs,
      }),
    },
    // Octokit's own warnings (deprecations, plugin notes) go to our logger instead of the console.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn({ sink: "github" }, message),
      error: (message: string) => logger.warn({ sink: "github" }, message),
    },
    throttle: {
      id: "tokenform",
      retryAfterBaseValue: rateLimit.retryAfterUnitMs,
      // Writes are paced in `pacedFetch`, where the moment of sending is known exactly; this replaces the
      // plugin's process-wide default group (1 s apart, shared by every client) with a no-op one.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        const retrying = retryCount < rateLimit.secondaryRetries;
        logger.warn(
          { sink: "github", request: `${request.method} ${request.url}`, retryAfter, retryCount, retrying },
          "GitHub secondary rate limit hit",
        );
        return retrying;
      },
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        const retrying = retryCount < 1 && retryAfter <= rateLimit.maxPrimaryWaitSeconds;
        logger.warn(
          { sink: "github", request: `${request.method} ${request.url}`, retryAfter, retryCount, retrying },
          "GitHub API rate limit exhausted",
        );
        return retrying;
      },
    },
    retry: {
      retries: options.retry.retries,
      retryAfterBaseValue: options.retry.baseDelayMs,
      // The retry plugin owns 5xx and network errors; 403/429 rate limits belong to the throttling plugin
      // alone (GitHub marks them with "secondary rate limit" or x-ratelimit-remaining: 0), so the two never
      // stack their retries on the same response.
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
  });
  octokit.hook.before("request", (request) => {
    request.headers["x-github-api-version"] = GITHUB_API_VERSION;
  });
  return octokit;
}
