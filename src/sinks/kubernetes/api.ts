/**
 * The Kubernetes API as the Kubernetes sink calls it: the server and credentials of a kubeconfig context
 * or the in-cluster service account (`./kubeconfig.ts`), requests over `node:https` with its TLS material
 * and bearer token. Transient answers (429, 5xx) and network failures are retried with the shared policy.
 * Only the documented REST paths of `v1` Secrets are used.
 */
import http from "node:http";
import https from "node:https";
import { isTransientStatus, parseRetryAfterMs } from "../../api/retry.js";
import { type JsonResponse, SinkTransportError } from "../json-api.js";
import { type Attempt, type RetryPolicy, withRetry } from "../retry.js";
import type { KubeCredentials } from "./kubeconfig.js";

/** 30 s per request: a hung API server must not hang apply. */
export const DEFAULT_KUBERNETES_TIMEOUT_MS = 30_000;

/** One request under the API server's root. */
export interface KubeRequest {
  method: "GET" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string>;
  contentType?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** A cluster to talk to: its server URL and a request function carrying its credentials. */
export interface KubeCluster {
  server: string;
  send(req: KubeRequest): Promise<JsonResponse>;
}

/** A client for the cluster `kc` describes. */
export function kubeCluster(kc: KubeCredentials, retry: RetryPolicy, timeoutMs: number): KubeCluster {
  const server = kc.server;
  const send = async (req: KubeRequest): Promise<JsonResponse> => {
    const url = new URL(`${server}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    try {
      return await withRetry(retry, () => attempt(kc, url, req, timeoutMs), req.signal);
    } catch (error) {
      if (error instanceof TransientAnswer) return error.response;
      throw error;
    }
  };
  return { server, send };
}

class TransientAnswer extends Error {
  constructor(readonly response: JsonResponse) {
    super(`answered ${response.status}`);
  }
}

async function attempt(
  kc: KubeCredentials,
  url: URL,
  req: KubeRequest,
  timeoutMs: number,
): Promise<Attempt<JsonResponse>> {
  const options: https.RequestOptions = {
    ...(kc.ca ? { ca: kc.ca } : {}),
    ...(kc.cert ? { cert: kc.cert } : {}),
    ...(kc.key ? { key: kc.key } : {}),
    rejectUnauthorized: !kc.insecure,
  };
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  const token = kc.token ? await kc.token() : undefined;
  const headers: Record<string, string> = {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    accept: "application/json",
    "user-agent": "tokenform",
    ...(req.contentType ? { "content-type": req.contentType } : {}),
  };
  const client = url.protocol === "http:" ? http : https;
  try {
    const res = await new Promise<{ status: number; text: string; retryAfter: string | undefined }>(
      (resolve, reject) => {
        const request = client.request(
          url,
          {
            ...options,
            method: req.method,
            headers,
            timeout: timeoutMs,
            ...(req.signal ? { signal: req.signal } : {}),
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (c: Buffer) => chunks.push(c));
            response.on("end", () =>
              resolve({
                status: response.statusCode ?? 0,
                text: Buffer.concat(chunks).toString("utf8"),
                retryAfter: response.headers["retry-after"],
              }),
            );
            response.on("error", reject);
          },
        );
        request.on("timeout", () =>
          request.destroy(
            new SinkTransportError(
              "timeout",
              `no answer within ${Math.round(timeoutMs / 1000)} s from ${url.origin}`,
            ),
          ),
        );
        request.on("error", reject);
        request.end(body);
      },
    );
    let data: unknown;
    try {
      data = res.text === "" ? undefined : (JSON.parse(res.text) as unknown);
    } catch {
      data = res.text;
    }
    const response = { status: res.status, data };
    if (isTransientStatus(res.status)) {
      const retryAfterMs = parseRetryAfterMs(res.retryAfter);
      return {
        done: false,
        error: new TransientAnswer(response),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    return { done: true, value: response };
  } catch (error) {
    if (req.signal?.aborted) throw new SinkTransportError("cancelled", "cancelled");
    if (error instanceof SinkTransportError) return { done: false, error };
    const code = (error as { code?: unknown }).code;
    const text = error instanceof Error ? error.message : String(error);
    return {
      done: false,
      error: new SinkTransportError(
        "network",
        `could not reach ${url.origin}${typeof code === "string" ? ` (${code})` : ""}: ${text}`,
      ),
    };
  }
}
