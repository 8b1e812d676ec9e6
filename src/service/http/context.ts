/** What a route handler receives and returns. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Actor } from "../tokens.js";

/**
 * One request as handlers see it, its inputs already read and checked as the route declares them
 * (src/api/routes.ts): `Body` is the validated body, `Query` the declared query parameters.
 */
export interface RequestContext<Body = unknown, Query = Record<string, string | undefined>> {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters (e.g. `id`), decoded. */
  params: Record<string, string>;
  /** The declared query parameters that were sent. */
  query: Query;
  /** The client address (X-Forwarded-For honoured only from trusted proxies). */
  clientIp: string | undefined;
  requestId: string;
  /** The validated body; undefined for routes without one. */
  body: Body;
  /** The body's bytes as sent, for routes that declare `body.raw` (a signature over them). */
  rawBody?: Buffer;
  /** The version `If-Match` names, for routes that honour it; undefined when absent or `*`. */
  ifMatch: number | undefined;
  /** The authenticated admin token, for routes that require one. */
  actor: Actor | undefined;
}

/** A handler's answer. */
export interface Reply {
  status: number;
  body?: unknown;
  /** The body already serialised as JSON (sent as it is, in place of `body`). */
  json?: string;
  headers?: Record<string, string>;
}
