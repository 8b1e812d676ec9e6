/**
 * A small GitLab REST v4 client for the variables endpoints: `PRIVATE-TOKEN` auth, JSON in and out, a
 * per-request timeout, and the shared retry policy for transient answers (5xx, 429, network errors,
 * timeouts). It returns every final answer, success or not, for the sink to interpret; it throws only
 * when no answer came (network, timeout, cancellation), as a `GitlabTransportError` with a safe message.
 *
 * Requests go through WHATWG `fetch` (Node's built-in fetch is undici). It is injectable so a caller can
 * pass undici's own `fetch` with a dispatcher (a proxy agent, custom TLS), and so tests intercept it.
 */
import { isTransientStatus, parseRetryAfterMs } from "../../api/retry.js";
import { networkMessage, readBody } from "../json-api.js";
import { type Attempt, type RetryPolicy, withRetry } from "../retry.js";

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
export interface GitlabResponse {
  status: number;
  data: unknown;
}

/** No answer came: network failure, timeout or cancellation. `message` never contains request data. */
export class GitlabTransportError extends Error {
  override readonly name = "GitlabTransportError";
  constructor(
    readonly reason: "network" | "timeout" | "cancelled",
    message: string,
  ) {
    super(message);
  }
}

/** Carries a transient answer through `withRetry` so the last one can be returned when retries run out. */
class TransientAnswer extends Error {
  constructor(readonly response: GitlabResponse) {
    super(`GitLab answered ${response.status}`);
  }
}

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

export class GitlabApi {
  constructor(private readonly options: GitlabApiOptions) {}

  /** Sends `req`, retrying transient failures; returns the final answer or throws `GitlabTransportError`. */
  async send(req: GitlabRequest): Promise<GitlabResponse> {
    const url = new URL(`${this.options.apiRoot}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    try {
      return await withRetry(this.options.retry, (n) => this.#attempt(url, req, n), req.signal);
    } catch (error) {
      if (error instanceof TransientAnswer) return error.response;
      if (error instanceof GitlabTransportError) throw error;
      if (req.signal?.aborted) throw new GitlabTransportError("cancelled", "cancelled");
      throw error;
    }
  }

  async #attempt(url: URL, req: GitlabRequest, _n: number): Promise<Attempt<GitlabResponse>> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.options.fetch(url, {
        method: req.method,
        headers: {
          "PRIVATE-TOKEN": this.options.token,
          accept: "application/json",
          "user-agent": "tokenform",
          ...(req.body ? { "content-type": "application/json" } : {}),
        },
        body: req.body ? JSON.stringify(req.body) : undefined,
        signal,
      });
    } catch (error) {
      if (req.signal?.aborted) throw new GitlabTransportError("cancelled", "cancelled");
      if (timeout.aborted) {
        const ms = this.options.timeoutMs;
        const limit = ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
        return {
          done: false,
          error: new GitlabTransportError("timeout", `no answer within ${limit} from ${url.origin}`),
        };
      }
      return { done: false, error: new GitlabTransportError("network", networkMessage(error, url.origin)) };
    }
    const data = await readBody(res);
    const response: GitlabResponse = { status: res.status, data };
    if (isTransientStatus(res.status)) {
      const retryAfterMs = parseRetryAfterMs(res.headers.get("retry-after"));
      return {
        done: false,
        error: new TransientAnswer(response),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    return { done: true, value: response };
  }
}
