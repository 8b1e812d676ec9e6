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

export function newRequestId(): string {
  return `req_${randomBase62(16)}`;
}
