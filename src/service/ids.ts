/** Opaque identifiers for tokens, audit entries and request ids: a type prefix and random base62. */
import { randomBase62 } from "../spec/token-format.js";

/** 20 base62 characters ≈ 119 bits: collisions are not a practical concern, and ids reveal nothing. */
const ID_LENGTH = 20;

export function newTokenId(): string {
  return `tok_${randomBase62(ID_LENGTH)}`;
}

export function newAuditId(): string {
  return `aud_${randomBase62(ID_LENGTH)}`;
}

/** Request ids only need to be unique per process run: a random run prefix and a counter (no syscall). */
const RUN = randomBase62(8);
let sequence = 0;

export function newRequestId(): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `req_${RUN}${sequence.toString(36)}`;
}
