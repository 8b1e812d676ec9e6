/** What a route handler receives and returns. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Actor } from "../tokens.js";

/** One request as handlers see it. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters (e.g. `id`). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The client address (X-Forwarded-For honoured only from trusted proxies). */
  clientIp: string | undefined;
  requestId: string;
  /** Reads and parses the JSON body; undefined when the body is empty. */
  json(): Promise<unknown>;
  /** The raw body bytes once `json()` has been called. */
  rawBody: Buffer | undefined;
  /** The authenticated admin token, for routes that require one. */
  actor: Actor | undefined;
}

/** A handler's answer. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
