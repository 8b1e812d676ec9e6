/**
 * Writing answers: a handler's `Reply` as JSON, and the one error handler that renders every failure as
 * `{"error": {code, message, type}}` with the status from the shared code table (src/api/errors.ts).
 */
import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import { API_ERROR_STATUS, errorBody } from "../../api/errors.js";
import { maskSecrets } from "../../api/secret.js";
import { ServiceError } from "../errors.js";
import { Refused } from "./authenticate.js";
import { ClientGone } from "./body.js";
import type { Reply } from "./context.js";
import { refusalResponse } from "./verdict.js";

/** `Content-Type` of every JSON answer. */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Sends a reply (once: a response whose headers are out is left alone). Headers go to `writeHead` as one
 * flat list (name, value, …), in the order X-Request-Id, the reply's own, Content-Type, Content-Length.
 */
export function send(res: ServerResponse, requestId: string, reply: Reply): void {
  if (res.headersSent) return;
  const headers: Array<string | number> = ["X-Request-Id", requestId];
  if (reply.headers !== undefined) {
    for (const name in reply.headers) headers.push(name, reply.headers[name]!);
  }
  const payload = reply.json ?? (reply.body === undefined ? undefined : JSON.stringify(reply.body));
  if (payload === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  headers.push("Content-Type", JSON_TYPE, "Content-Length", Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * The one error handler: every failure becomes a JSON error with the status from the code table. Messages
 * and details pass through `maskSecrets`, so no refusal repeats a key (or a near-key) it was sent.
 */
export function sendError(res: ServerResponse, requestId: string, error: unknown, logger: Logger): void {
  if (error instanceof ClientGone) {
    logger.debug({ requestId }, error.message);
    return;
  }
  if (error instanceof Refused) {
    const refusal = refusalResponse(error.verdict);
    send(res, requestId, { status: refusal.status, headers: refusal.headers, body: refusal.body });
    return;
  }
  if (error instanceof ServiceError) {
    send(res, requestId, {
      status: API_ERROR_STATUS[error.code],
      headers: error.headers,
      body: errorBody(error.code, maskSecrets(error.message), maskDetails(error.details)),
    });
    return;
  }
  logger.error({ err: error, requestId }, "request failed");
  send(res, requestId, {
    status: 500,
    body: errorBody("internal", `internal error; quote request id ${requestId} when reporting it`),
  });
}

/** An error's details with secrets masked (details are plain JSON: issues, conflicts). */
function maskDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  try {
    return JSON.parse(maskSecrets(JSON.stringify(details)));
  } catch {
    return undefined;
  }
}
