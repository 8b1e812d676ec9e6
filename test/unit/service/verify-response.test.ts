/**
 * The `/v1/verify` answer put together from a cached key's serialised `token` part is the same text as
 * serialising the whole response, for admitted keys (with and without rate-limit state, labels and names
 * that need escaping, expiry and tool lists) and for refusals.
 */
import { describe, expect, it } from "vitest";
import type { VerifiedKey } from "../../../src/service/cache.js";
import { verifyResponseJson, verifyResponseOf } from "../../../src/service/http/verdict.js";
import type { Verdict } from "../../../src/service/verifier.js";

const plain: VerifiedKey = Object.freeze({
  id: "tok_a",
  name: "bench",
  type: "mcp",
  scopes: Object.freeze(["tools:call"]),
  labels: Object.freeze({}),
  account: "default",
  readOnly: true,
  tools: null,
  expiresAt: null,
});

const unusual: VerifiedKey = Object.freeze({
  id: "tok_b",
  name: 'a "quoted" name \\ with ünïcode \u2028 and \n newline',
  type: "admin",
  scopes: Object.freeze(["tokens:*", "tools:call"]),
  labels: Object.freeze({ "tokenform.dev/owner": "acme/infra", 'odd"key': "v\u0000" }),
  account: "acme",
  readOnly: false,
  tools: Object.freeze(["search_*", "read_file"]),
  expiresAt: Date.UTC(2031, 4, 6, 7, 8, 9, 123),
});

describe("verifyResponseJson", () => {
  it("writes exactly what JSON.stringify(verifyResponseOf(verdict)) writes", () => {
    const verdicts: Verdict[] = [
      { valid: true, code: "VALID", token: plain },
      { valid: true, code: "VALID", token: plain, ratelimit: { limit: 100, remaining: 0, reset: 60 } },
      {
        valid: true,
        code: "VALID",
        token: unusual,
        ratelimit: { limit: 1_000_000_000, remaining: 999_999_999, reset: 3600 },
      },
      { valid: true, code: "VALID", token: unusual },
      { valid: false, code: "MISSING", message: "no API key was sent" },
      {
        valid: false,
        code: "RATE_LIMITED",
        message: "rate limit of 100 requests exceeded; retry in 3 s",
        token: plain,
        ratelimit: { limit: 100, remaining: 0, reset: 60 },
        retryAfter: 3,
      },
      { valid: false, code: "INSUFFICIENT_SCOPE", message: "missing scope", token: unusual },
    ];
    for (const verdict of verdicts) {
      // Twice: the second answer comes from the cached serialisation of the key.
      expect(verifyResponseJson(verdict)).toBe(JSON.stringify(verifyResponseOf(verdict)));
      expect(verifyResponseJson(verdict)).toBe(JSON.stringify(verifyResponseOf(verdict)));
    }
  });
});
