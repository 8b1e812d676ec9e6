/**
 * Reading request bodies with a size limit. A body over the limit is refused with 413 — from the
 * `Content-Length` alone when it is declared — after the rest is drained (up to a hard cap) so the
 * client reliably reads the 413 instead of a reset connection.
 */
import type { IncomingMessage } from "node:http";
import { ServiceError } from "../errors.js";

/** Default body limit: 1 MiB, far above any management request. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Beyond this many bytes an oversized body is no longer drained; the connection is dropped instead. */
const DRAIN_CAP = 64 * 1024 * 1024;

function tooLarge(limit: number): ServiceError {
  return new ServiceError("payload_too_large", `request body exceeds the ${limit}-byte limit`, {
    Connection: "close",
  });
}

/** Reads the whole body (at most `limit` bytes). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    let over = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (over) {
        chunks.length = 0;
        if (size > DRAIN_CAP) {
          req.destroy();
          reject(tooLarge(limit));
        }
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on("end", () => {
      ended = true;
      if (over) reject(tooLarge(limit));
      else resolve(Buffer.concat(chunks, size));
    });
    req.on("error", reject);
    // A client that hangs up mid-body is its own doing: a 400 (nobody reads it), not a logged fault.
    req.on("close", () => {
      if (!ended) reject(new ServiceError("bad_request", "the request body was cut off"));
    });
  });
}
