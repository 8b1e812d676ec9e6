/** Pure pieces of the token service: scopes, selectors, IP ranges, credentials, rate limiting, signing. */
import { describe, expect, it } from "vitest";
import { API_ERROR_STATUS, errorTypeOf, VERDICT_ERROR } from "../../../src/api/errors.js";
import { API_ERROR_CODES, VERIFY_CODES } from "../../../src/api/schemas.js";
import { clientAddress, proxyTrust } from "../../../src/service/client-address.js";
import { credentialFromHeaders } from "../../../src/service/credentials.js";
import { ipAllowed, isLoopback, parseRange, parseRanges } from "../../../src/service/ip.js";
import { RateLimiter } from "../../../src/service/ratelimit.js";
import { hasScopes, missingScopes, scopeCovers } from "../../../src/service/scopes.js";
import { matchesSelector, parseSelector } from "../../../src/service/selector.js";
import { checkSignature, signLegacyRequest, signRequest } from "../../../src/service/signing.js";

describe("scopes", () => {
  it("matches exact scopes and the three wildcard forms", () => {
    expect(scopeCovers("tools:call", "tools:call")).toBe(true);
    expect(scopeCovers("tools:*", "tools:call")).toBe(true);
    expect(scopeCovers("*:read", "contexts:read")).toBe(true);
    expect(scopeCovers("*", "anything:at-all")).toBe(true);
    expect(scopeCovers("tools:*", "contexts:read")).toBe(false);
    expect(scopeCovers("*:read", "contexts:write")).toBe(false);
    expect(scopeCovers("tools:call", "tools:*")).toBe(false);
    expect(scopeCovers("tools:*", "tools:*")).toBe(true);
    expect(hasScopes(["a:b"], [])).toBe(true);
    expect(missingScopes(["tools:*"], ["tools:x", "files:read"])).toEqual(["files:read"]);
  });
});

describe("label selectors", () => {
  it("parses equality, inequality, existence and absence", () => {
    expect(parseSelector("a=b, c==d ,e!=f,g,!h")).toEqual({
      ok: true,
      requirements: [
        { op: "eq", key: "a", value: "b" },
        { op: "eq", key: "c", value: "d" },
        { op: "neq", key: "e", value: "f" },
        { op: "exists", key: "g" },
        { op: "absent", key: "h" },
      ],
    });
    expect(parseSelector("tokenform.dev/owner=acme/infra")).toEqual({
      ok: true,
      requirements: [{ op: "eq", key: "tokenform.dev/owner", value: "acme/infra" }],
    });
    expect(parseSelector("").ok).toBe(true);
    for (const bad of ["=x", "a=b,,c", "!", "!=x"]) expect(parseSelector(bad).ok, bad).toBe(false);
  });

  it("matches labels", () => {
    const parsed = parseSelector("team=x,env!=prod,!legacy");
    if (!parsed.ok) throw new Error(parsed.message);
    expect(matchesSelector({ team: "x" }, parsed.requirements)).toBe(true);
    expect(matchesSelector({ team: "x", env: "prod" }, parsed.requirements)).toBe(false);
    expect(matchesSelector({ team: "x", legacy: "" }, parsed.requirements)).toBe(false);
  });
});

describe("IP ranges", () => {
  it("parses addresses and CIDRs, refusing legacy and out-of-range forms", () => {
    expect(parseRange("10.0.0.0/8")?.[1]).toBe(8);
    expect(parseRange("2001:db8::/32")?.[1]).toBe(32);
    expect(parseRange("203.0.113.7")?.[1]).toBe(32);
    expect(
      parseRanges(["10.0.0.0/33", "0x7f.1", "1.2.3", "2001:db8::/129", "x", "10.0.0.0/-1"]).invalid,
    ).toHaveLength(6);
    const { ranges } = parseRanges(["10.0.0.0/8", "2001:db8::/32"]);
    expect(ipAllowed("10.2.3.4", ranges)).toBe(true);
    expect(ipAllowed("::ffff:10.2.3.4", ranges)).toBe(true);
    expect(ipAllowed("11.0.0.1", ranges)).toBe(false);
    expect(ipAllowed("2001:db8::1", ranges)).toBe(true);
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("10.0.0.1")).toBe(false);
  });

  it("reads X-Forwarded-For right to left, only from trusted proxies", () => {
    const trusted = proxyTrust(["10.0.0.0/8"], "test");
    expect(clientAddress("10.0.0.5", "198.51.100.1, 10.0.0.9", trusted)).toBe("198.51.100.1");
    expect(clientAddress("10.0.0.5", "6.6.6.6, 198.51.100.1", trusted)).toBe("198.51.100.1");
    expect(clientAddress("192.0.2.1", "198.51.100.1", trusted)).toBe("192.0.2.1");
    expect(clientAddress("10.0.0.5", undefined, trusted)).toBe("10.0.0.5");
    // A malformed entry the walk must read makes the client unknown, never the proxy before it.
    expect(clientAddress("::ffff:10.0.0.5", "junk", trusted)).toBeUndefined();
  });
});

describe("credentials", () => {
  it("finds keys in the three accepted headers", () => {
    expect(credentialFromHeaders({ authorization: "Bearer k1" })).toEqual({ kind: "key", key: "k1" });
    expect(credentialFromHeaders({ authorization: "  api-token   k2 " })).toEqual({ kind: "key", key: "k2" });
    expect(credentialFromHeaders({ "x-api-key": " k3 " })).toEqual({ kind: "key", key: "k3" });
    expect(credentialFromHeaders({ authorization: "Basic x", "x-api-key": "k4" })).toEqual({
      kind: "key",
      key: "k4",
    });
    expect(credentialFromHeaders({})).toEqual({ kind: "missing" });
    expect(credentialFromHeaders({ "x-api-key": "" })).toEqual({ kind: "missing" });
    expect(credentialFromHeaders({ authorization: "Basic x" })).toEqual({ kind: "malformed" });
    expect(credentialFromHeaders({ authorization: "Bearer a b" })).toEqual({ kind: "malformed" });
    expect(credentialFromHeaders({ authorization: `Bearer ${"x".repeat(5000)}` })).toEqual({
      kind: "malformed",
    });
  });
});

describe("rate limiter (sliding window log)", () => {
  it("admits exactly `limit` in any window and tells when to retry", () => {
    const limiter = new RateLimiter();
    const rule = [{ key: "k", limit: 3, periodMs: 60_000 }];
    expect([0, 0, 0, 0].map((t) => limiter.check(rule, t).allowed)).toEqual([true, true, true, false]);
    expect(limiter.check(rule, 10_000)).toMatchObject({ allowed: false, remaining: 0, retryAfter: 50 });
    // At 60 s the three admissions at 0 leave the window: three more, then refused again.
    expect([60_000, 60_000, 60_000, 60_000].map((t) => limiter.check(rule, t).allowed)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(limiter.check(rule, 119_999).allowed).toBe(false);
  });

  it("never admits more than the limit in a sliding window (unlike a fixed window or GCRA burst)", () => {
    const limiter = new RateLimiter();
    const rule = [{ key: "k", limit: 10, periodMs: 1000 }];
    const admitted: number[] = [];
    for (let t = 0; t < 5000; t += 7) if (limiter.check(rule, t).allowed) admitted.push(t);
    for (const start of admitted) {
      expect(admitted.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(10);
    }
    expect(admitted.length).toBeGreaterThanOrEqual(45);
  });

  it("counts a request against every rule only when all admit it, and reports the binding rule", () => {
    const limiter = new RateLimiter();
    const rules = [
      { key: "key", limit: 5, periodMs: 60_000 },
      { key: "account", limit: 2, periodMs: 3_600_000 },
    ];
    expect(limiter.check(rules, 0)).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    expect(limiter.check(rules, 0)).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    expect(limiter.check(rules, 0)).toMatchObject({ allowed: false, limit: 2, retryAfter: 3600 });
    expect(limiter.check([rules[0]!], 0)).toMatchObject({ allowed: true, remaining: 2 });
    limiter.prune(4_000_000);
    expect(limiter.size).toBe(0);
  });
});

describe("request signatures", () => {
  it("accepts a fresh version-2 signature and refuses skew and tampering with body, method or path", () => {
    const key = "mcp_sk_example";
    const now = 1_900_000_000_000;
    const ts = String(now / 1000);
    const request = { method: "POST", path: "/mcp?a=1", timestamp: ts, body: "body" };
    const signature = signRequest(key, request);
    const signed = { ...request, signature };
    expect(checkSignature(key, signed, now)).toEqual({
      ok: true,
      replayId: signature,
      expiresAt: now + 600_000,
    });
    // At the window's very edge the timestamp still passes, so its record must outlive that moment — by a
    // whole window, for instances whose clocks run up to that far apart.
    const edge = checkSignature(key, signed, now + 300_000);
    expect(edge).toMatchObject({ ok: true });
    expect(edge.ok && edge.expiresAt).toBeGreaterThan(now + 300_000 + 299_000);
    for (const changed of [{ body: "b0dy" }, { method: "GET" }, { path: "/mcp?a=2" }, { path: "/mcp" }]) {
      expect(checkSignature(key, { ...signed, ...changed }, now)).toMatchObject({ code: "BAD_SIGNATURE" });
    }
    expect(checkSignature(key, signed, now + 301_000)).toMatchObject({ code: "BAD_SIGNATURE" });
    expect(checkSignature(key, { ...signed, timestamp: "1e9" }, now)).toMatchObject({
      code: "BAD_SIGNATURE",
    });
    expect(checkSignature(key, undefined, now)).toMatchObject({ code: "BAD_SIGNATURE" });
    // Version 1 (timestamp and body only) passes only when legacy signatures are allowed.
    const legacy = { timestamp: ts, signature: signLegacyRequest(key, ts, "body"), body: "body" };
    expect(checkSignature(key, legacy, now)).toMatchObject({ code: "BAD_SIGNATURE" });
    expect(checkSignature(key, legacy, now, true)).toMatchObject({ ok: true });
  });
});

describe("error table", () => {
  it("gives every code a status and every refused verdict an error code", () => {
    for (const code of API_ERROR_CODES) expect(API_ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(errorTypeOf("insufficient_scope")).toBe("permission_error");
    expect(errorTypeOf("rate_limited")).toBe("rate_limit_error");
    expect(errorTypeOf("invalid_api_key")).toBe("authentication_error");
    expect(errorTypeOf("conflict")).toBe("invalid_request_error");
    for (const code of VERIFY_CODES) {
      if (code !== "VALID") expect(API_ERROR_STATUS[VERDICT_ERROR[code]]).toBeGreaterThanOrEqual(401);
    }
  });
});
