/**
 * A small GitLab REST v4 client for the variables endpoints: `PRIVATE-TOKEN` auth, JSON in and out, a
 * per-request timeout, and the shared retry policy for transient answers (5xx, 429, network errors,
 * timeouts) — the shared JSON client's (`src/sinks/json-api.ts`). It returns every final answer, success
 * or not, for the sink to interpret; it throws only when no answer came (network, timeout, cancellation),
 * as a `GitlabTransportError` with a safe message.
 *
 * Requests go through WHATWG `fetch` (Node's built-in fetch is undici). It is injectable so a caller can
 * pass undici's own `fetch` with a dispatcher (a proxy agent, custom TLS), and so tests intercept it.
 */
import { JsonApi, type JsonResponse, SinkTransportError } from "../json-api.js";
import type { RetryPolicy } from "../retry.js";

/** GitLab.com, the default when `GITLAB_URL` is not set. */
export const GITLAB_DEFAULT_URL = "https://gitlab.com";

/** 30 s per request: GitLab answers variable calls in well under a second; a hung connection must not hang apply. */
export const DEFAULT_GITLAB_TIMEOUT_MS = 30_000;

/** The REST root for an instance URL (`https://gitlab.example.com` → `https://gitlab.example.com/api/v4`). */
export function gitlabApiRoot(instanceUrl: string): string {
  const base = instanceUrl.replace(/\/+$/, "");
  return base.endsWith("/api/v4") ? base : `${base}/api/v4`;
}

/** A final answer from GitLab. `data` is the parsed JSON body (or text, or undefined when empty). */
export type GitlabResponse = JsonResponse;

/** No answer came: network failure, timeout or cancellation (the shared JSON client's error). */
export { SinkTransportError as GitlabTransportError };

export interface GitlabApiOptions {
  token: string;
  /** REST root, e.g. `https://gitlab.com/api/v4`. */
  apiRoot: string;
  fetch: typeof globalThis.fetch;
  retry: RetryPolicy;
  timeoutMs: number;
}

/** One request: method, path under the API root (already encoded), query and JSON body. */
export interface GitlabRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** The shared JSON client (`src/sinks/json-api.ts`) with GitLab's `PRIVATE-TOKEN` on every request. */
export class GitlabApi {
  readonly #api: JsonApi;
  readonly #token: string;

  constructor(options: GitlabApiOptions) {
    this.#token = options.token;
    this.#api = new JsonApi({
      root: options.apiRoot,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
    });
  }

  /** Sends `req`, retrying transient failures; returns the final answer or throws `GitlabTransportError`. */
  send(req: GitlabRequest): Promise<GitlabResponse> {
    return this.#api.send({ ...req, headers: { "PRIVATE-TOKEN": this.#token } });
  }
}
