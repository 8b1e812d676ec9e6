/**
 * Reading request bodies, bounded in size and time, and the one `Content-Type` rule. A body over the limit
 * is refused with 413 — from the `Content-Length` alone when it is declared — after the rest is drained
 * (up to a hard cap) so the client reliably reads the 413 instead of a reset connection. A body that does
 * not arrive within the body timeout is refused with 408 and the connection is closed. A client that hangs
 * up mid-body is its own doing: `ClientGone`, which the server logs at debug level and answers no one.
 */
import type { IncomingMessage } from "node:http";
import { BODY_TIMEOUT_MS, MAX_BODY_BYTES } from "../../spec/limits.js";
import { ServiceError } from "../errors.js";

/** Default body limit: 1 MiB, far above any management request (see src/spec/limits.ts). */
export const DEFAULT_BODY_LIMIT = MAX_BODY_BYTES;
/** Default time a client has to send a body once its headers are in. */
export const DEFAULT_BODY_TIMEOUT_MS = BODY_TIMEOUT_MS;
/** Beyond this many bytes an oversized body is no longer drained; the connection is dropped instead. */
const DRAIN_CAP = 64 * 1024 * 1024;

/** The client closed the connection before its body was read: nothing to answer, nothing to alarm. */
export class ClientGone extends Error {
  override readonly name = "ClientGone";
  constructor() {
    super("the client closed the connection before its request body was read");
  }
}

function tooLarge(limit: number): ServiceError {
  return new ServiceError("payload_too_large", `request body exceeds the ${limit}-byte limit`, {
    Connection: "close",
  });
}

/**
 * True when `header` is `application/json`, with any parameters (`charset` only as UTF-8). Matched exactly
 * on the media type: `text/plain; x=json` or `application/jsonx` are not JSON.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  // What clients send nearly always: decided without splitting (this runs on every verify).
  if (header === "application/json" || header === "application/json; charset=utf-8") return true;
  const [type, ...parameters] = header.split(";");
  if (type!.trim().toLowerCase() !== "application/json") return false;
  for (const parameter of parameters) {
    const eq = parameter.indexOf("=");
    const name = parameter
      .slice(0, eq < 0 ? undefined : eq)
      .trim()
      .toLowerCase();
    const value =
      eq < 0
        ? ""
        : parameter
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, "$1")
            .toLowerCase();
    if (name === "charset" && value !== "utf-8" && value !== "utf8") return false;
  }
  return true;
}

/** An empty body, shared (never written). */
const EMPTY = Buffer.alloc(0);

/**
 * The whole body when it has already arrived and nobody has read from it yet, taken at once — no stream
 * events, promise or timer (undefined otherwise: then `readBody`). A small body nearly always comes in the
 * read of its headers, and Node's parser has buffered it once that read is processed — after the `request`
 * event and its microtasks, so one event-loop turn later (server.ts). Over `limit`, undefined too:
 * `readBody` refuses it as ever.
 */
export function bodyAtHand(req: IncomingMessage, limit: number): Buffer | undefined {
  if (!req.complete || req.readableFlowing !== null || req.readableLength > limit) return undefined;
  if (req.readableObjectMode || req.readableEncoding !== null) return undefined;
  const bytes = req.read() as Buffer | null;
  return bytes ?? EMPTY;
}

/** Reads the whole body: at most `limit` bytes, within `timeoutMs` (0 = no timer). */
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number = DEFAULT_BODY_TIMEOUT_MS,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Gone before its body was asked for: its close has been and will not come again.
    if (req.destroyed) {
      reject(new ClientGone());
      return;
    }
    const declared = Number(req.headers["content-length"]);
    let over = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      fn();
    };
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            // Stop reading; the 408 goes out with `Connection: close` and the socket is closed after it.
            req.pause();
            settle(() =>
              reject(
                new ServiceError(
                  "request_timeout",
                  `the request body did not arrive within ${timeoutMs} ms`,
                  { Connection: "close" },
                ),
              ),
            );
          }, timeoutMs)
        : undefined;
    timer?.unref();
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (over) {
        chunks.length = 0;
        if (size > DRAIN_CAP) {
          req.destroy();
          settle(() => reject(tooLarge(limit)));
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      settle(() => (over ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks, size))));
    });
    req.on("error", () => settle(() => reject(new ClientGone())));
    req.on("close", () => settle(() => reject(new ClientGone())));
  });
}
