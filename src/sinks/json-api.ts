/**
 * A small JSON-over-HTTP client for the sinks that speak a plain REST API through `fetch` (Vault, Google
 * Secret Manager): JSON in and out, a per-request timeout, and the shared retry policy for transient
 * answers (5xx, 429, network errors, timeouts, honouring `Retry-After`). It returns every final answer,
 * success or not, for the sink to interpret; it throws only when no answer came, as a `SinkTransportError`
 * whose message names the origin and the cause, never the request (its headers carry the credential).
 */
import { isTransientStatus, parseRetryAfterMs } from "../api/retry.js";
import { type Attempt, type RetryPolicy, withRetry } from "./retry.js";

/** A final answer. `data` is the parsed JSON body (or text, or undefined when empty). */
export interface JsonResponse {
  status: number;
  data: unknown;
}

/** No answer came: network failure, timeout or cancellation. `message` never contains request data. */
export class SinkTransportError extends Error {
  override readonly name = "SinkTransportError";
  constructor(
    readonly reason: "network" | "timeout" | "cancelled",
    message: string,
  ) {
    super(message);
  }
}

/** Carries a transient answer through `withRetry` so the last one can be returned when retries run out. */
class TransientAnswer extends Error {
  constructor(readonly response: JsonResponse) {
    super(`answered ${response.status}`);
  }
}

export interface JsonApiOptions {
  /** Root every request path is appended to, e.g. `https://vault.example.com:8200`. */
  root: string;
  fetch: typeof globalThis.fetch;
  retry: RetryPolicy;
  timeoutMs: number;
}

/** One request: method, path under the root (already encoded), query, headers and JSON body. */
export interface JsonRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

export class JsonApi {
  constructor(private readonly options: JsonApiOptions) {}

  /** Sends `req`, retrying transient failures; returns the final answer or throws `SinkTransportError`. */
  async send(req: JsonRequest): Promise<JsonResponse> {
    const url = new URL(`${this.options.root.replace(/\/+$/, "")}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    try {
      return await withRetry(this.options.retry, () => this.#attempt(url, req), req.signal);
    } catch (error) {
      if (error instanceof TransientAnswer) return error.response;
      if (error instanceof SinkTransportError) throw error;
      if (req.signal?.aborted) throw new SinkTransportError("cancelled", "cancelled");
      throw error;
    }
  }

  async #attempt(url: URL, req: JsonRequest): Promise<Attempt<JsonResponse>> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.options.fetch(url, {
        method: req.method,
        headers: {
          accept: "application/json",
          "user-agent": "tokenform",
          ...(req.body !== undefined ? { "content-type": "application/json" } : {}),
          ...req.headers,
        },
        body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
        signal,
      });
    } catch (error) {
      if (req.signal?.aborted) throw new SinkTransportError("cancelled", "cancelled");
      if (timeout.aborted) {
        const ms = this.options.timeoutMs;
        const limit = ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
        return {
          done: false,
          error: new SinkTransportError("timeout", `no answer within ${limit} from ${url.origin}`),
        };
      }
      return { done: false, error: new SinkTransportError("network", networkMessage(error, url.origin)) };
    }
    const response: JsonResponse = { status: res.status, data: await readBody(res) };
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

/** `could not reach https://vault.example.com (ECONNREFUSED): …`: the cause, never the request. */
function networkMessage(error: unknown, origin: string): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const text = cause instanceof Error ? cause.message : String(cause);
  return `could not reach ${origin}${typeof code === "string" ? ` (${code})` : ""}: ${text}`;
}

/** A response body as JSON, its text when it is not JSON, undefined when empty. */
async function readBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => "");
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
