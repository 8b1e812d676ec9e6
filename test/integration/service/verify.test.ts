/**
 * Verification semantics on a real service: accepted headers, offline checksum refusal, who may call
 * /v1/verify, status and expiry, IP allowlists and trusted proxies, exact rate limits under concurrency,
 * scopes and type rules, request signing and replays, write-through invalidation, and fuzzed headers.
 */
import { randomBytes } from "node:crypto";
import { Pool } from "undici";
import { describe, expect, it } from "vitest";
import { signLegacyRequest, signRequest } from "../../../src/service/index.js";
import { SqliteStore } from "../../../src/service/store/sqlite.js";
import { checksumOf, generateToken, randomBase62 } from "../../../src/spec/token-format.js";
import { serviceHarness } from "./harness.js";

describe("verify: credentials and access", () => {
  it("accepts Authorization: Bearer, Authorization: Api-Token and X-API-Key", async () => {
    await using h = await serviceHarness();
    const raw = h.adminToken.reveal();
    for (const headers of [
      { authorization: `Bearer ${raw}` },
      { authorization: `bearer ${raw}` },
      { authorization: `Api-Token ${raw}` },
      { "x-api-key": raw },
      { authorization: "Basic Zm9vOmJhcg==", "x-api-key": raw },
    ] as Record<string, string>[]) {
      const res = await h.http("GET", "/v1/whoami", { headers });
      expect(res.status, Object.keys(headers).join()).toBe(200);
    }
  });

  it("refuses a mistyped or forged key by its checksum without touching the store", async () => {
    const dir = await import("node:fs/promises").then((fs) => fs.mkdtemp("/tmp/tokenform-spy-"));
    const store = new SqliteStore({ path: `${dir}/db.sqlite` });
    let lookups = 0;
    const findBySecret = store.findBySecret.bind(store);
    store.findBySecret = (digest) => {
      lookups++;
      return findBySecret(digest);
    };
    await using h = await serviceHarness({ store });
    const raw = (await h.admin.createToken({ name: "typo" })).secret.reveal();
    const mistyped = raw.slice(0, 20) + (raw[20] === "a" ? "b" : "a") + raw.slice(21);
    const forged = `mcp_sk_${"x".repeat(30)}${checksumOf("y".repeat(30))}`;
    lookups = 0;
    expect((await h.service.verifier.verify({ token: mistyped })).code).toBe("BAD_CHECKSUM");
    expect((await h.service.verifier.verify({ token: forged })).code).toBe("BAD_CHECKSUM");
    expect((await h.service.verifier.verify({ token: "mcp_sk_short" })).code).toBe("MALFORMED");
    expect((await h.service.verifier.verify({ token: undefined })).code).toBe("MISSING");
    expect(lookups).toBe(0);
    expect((await h.service.verifier.verify({ token: generateToken("mcp_sk_") })).code).toBe("NOT_FOUND");
    expect(lookups).toBe(1);
    await import("node:fs/promises").then((fs) => fs.rm(dir, { recursive: true, force: true }));
  });

  it("lets loopback callers verify without a key, but not through a proxy or when switched off", async () => {
    await using h = await serviceHarness();
    const { secret } = await h.admin.createToken({ name: "k", scopes: ["tools:call"] });
    const anonymous = await h.http("POST", "/v1/verify", { body: { token: secret.reveal() } });
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers["cache-control"]).toBe("no-store");
    expect(anonymous.body).toMatchObject({
      valid: true,
      code: "VALID",
      token: { name: "k", type: "mcp", scopes: ["tools:call"], labels: {}, account: "default" },
      ratelimit: { limit: 1000, remaining: 999, reset: 60 },
    });
    const proxied = await h.http("POST", "/v1/verify", {
      body: { token: secret.reveal() },
      headers: { "x-forwarded-for": "198.51.100.7" },
    });
    expect(proxied.status).toBe(401);

    const reader = (await h.admin.createToken({ name: "verifier", type: "admin", scopes: ["tokens:verify"] }))
      .secret;
    const writer = (await h.admin.createToken({ name: "writer", type: "admin", scopes: ["tokens:write"] }))
      .secret;
    expect(
      (await h.http("POST", "/v1/verify", { token: reader, body: { token: secret.reveal() } })).body.valid,
    ).toBe(true);
    expect(
      (await h.http("POST", "/v1/verify", { token: writer, body: { token: secret.reveal() } })).status,
    ).toBe(403);
    expect(
      (await h.http("POST", "/v1/verify", { token: secret, body: { token: secret.reveal() } })).status,
    ).toBe(403);

    await using closed = await serviceHarness({ anonymousLoopbackVerify: false });
    expect((await closed.http("POST", "/v1/verify", { body: { token: secret.reveal() } })).status).toBe(401);
  });

  it("answers 200 with the verdict for any well-formed request and 4xx only for malformed ones", async () => {
    await using h = await serviceHarness();
    expect((await h.http("POST", "/v1/verify", { body: { token: "garbage" } })).body).toMatchObject({
      valid: false,
      code: "MALFORMED",
    });
    expect((await h.http("POST", "/v1/verify", { body: { token: "" } })).body.code).toBe("MISSING");
    expect((await h.http("POST", "/v1/verify", { body: {} })).status).toBe(422);
    expect((await h.http("POST", "/v1/verify", { body: { token: "x".repeat(600) } })).status).toBe(422);
    expect((await h.http("POST", "/v1/verify", { body: "{" })).status).toBe(400);
  });
});

describe("verify: status, expiry, IPs", () => {
  it("refuses expired keys and honours expiry set later", async () => {
    await using h = await serviceHarness();
    const { token, secret } = await h.admin.createToken({ name: "short", expiresIn: "1h" });
    expect(token.expiresAt).toBe(new Date(h.clock.now() + 3600_000).toISOString());
    expect((await h.admin.verify({ token: secret.reveal() })).valid).toBe(true);
    h.clock.advance({ seconds: 3600 });
    expect((await h.admin.verify({ token: secret.reveal() })).code).toBe("EXPIRED");
    expect((await h.admin.getToken(token.id)).status).toBe("expired");
    await h.admin.updateToken(token.id, { expiresAt: null });
    expect((await h.admin.verify({ token: secret.reveal() })).valid).toBe(true);
  });

  it("checks IPv4 and IPv6 allowlists against the given client address", async () => {
    await using h = await serviceHarness();
    const { secret } = await h.admin.createToken({
      name: "fenced",
      ipAllowlist: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"],
    });
    const code = async (ip?: string) => (await h.admin.verify({ token: secret.reveal(), ip })).code;
    expect(await code("203.0.113.200")).toBe("VALID");
    expect(await code("2001:db8:1::5")).toBe("VALID");
    expect(await code("::ffff:203.0.113.9")).toBe("VALID");
    expect(await code("198.51.100.7")).toBe("VALID");
    expect(await code("198.51.100.8")).toBe("IP_NOT_ALLOWED");
    expect(await code("2001:db9::1")).toBe("IP_NOT_ALLOWED");
    expect(await code("not-an-ip")).toBe("IP_NOT_ALLOWED");
    expect(await code(undefined)).toBe("IP_NOT_ALLOWED");
  });

  it("trusts X-Forwarded-For only from configured proxies", async () => {
    const allow = {
      name: "behind-proxy",
      type: "admin" as const,
      scopes: ["tokens:read"],
      ipAllowlist: ["203.0.113.0/24"],
    };
    await using direct = await serviceHarness();
    const key = (await direct.admin.createToken(allow)).secret;
    // The TCP peer is 127.0.0.1: a forged header from an untrusted peer changes nothing.
    expect(
      (await direct.http("GET", "/v1/whoami", { token: key, headers: { "x-forwarded-for": "203.0.113.5" } }))
        .status,
    ).toBe(403);

    await using proxied = await serviceHarness({ trustedProxies: ["127.0.0.1", "10.0.0.0/8"] });
    const key2 = (await proxied.admin.createToken(allow)).secret;
    const via = (xff: string) =>
      proxied.http("GET", "/v1/whoami", { token: key2, headers: { "x-forwarded-for": xff } });
    expect((await via("203.0.113.5")).status).toBe(200);
    expect((await via("203.0.113.5, 10.1.2.3")).status).toBe(200);
    expect((await via("203.0.113.5, 198.51.100.1")).status).toBe(403);
    expect((await via("garbage")).status).toBe(403);
  });
});

describe("verify: rate limits", () => {
  it("admits exactly the per-key limit under 50 concurrent clients and reports RateLimit state", async () => {
    await using h = await serviceHarness();
    const { secret, token } = await h.admin.createToken({ name: "limited", rateLimit: { perMinute: 37 } });
    const pool = new Pool(h.url, { connections: 50, pipelining: 1 });
    try {
      const one = async () => {
        const res = await pool.request({
          path: "/v1/verify",
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token: secret.reveal() }),
        });
        return (await res.body.json()) as {
          valid: boolean;
          code: string;
          retryAfter?: number;
          ratelimit?: { remaining: number };
        };
      };
      const results = await Promise.all(Array.from({ length: 100 }, one));
      const admitted = results.filter((r) => r.valid);
      expect(admitted).toHaveLength(37);
      expect(results.filter((r) => r.code === "RATE_LIMITED")).toHaveLength(63);
      expect(new Set(admitted.map((r) => r.ratelimit!.remaining))).toEqual(
        new Set(Array.from({ length: 37 }, (_, i) => i)),
      );
      expect(results.find((r) => !r.valid)).toMatchObject({
        retryAfter: 60,
        ratelimit: { limit: 37, remaining: 0 },
      });
      h.clock.advance({ seconds: 59 });
      expect((await one()).code).toBe("RATE_LIMITED");
      h.clock.advance({ seconds: 1 });
      expect((await one()).valid).toBe(true);
    } finally {
      await pool.close();
    }
    await h.service.flushUsage();
    expect(await h.admin.getToken(token.id)).toMatchObject({ requestCount: 38, failedAttempts: 64 });
  });

  it("enforces the per-account hourly limit across keys, and per-key hourly limits", async () => {
    await using h = await serviceHarness({ rateLimits: { keyPerMinute: 1000, accountPerHour: 30 } });
    const a = (await h.admin.createToken({ name: "a" })).secret.reveal();
    const b = (await h.admin.createToken({ name: "b", rateLimit: { perHour: 5 } })).secret.reveal();
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => h.service.verifier.verify({ token: i % 2 === 0 ? a : b })),
    );
    expect(verdicts.filter((v, i) => v.valid && i % 2 === 1)).toHaveLength(5);
    expect(verdicts.filter((v) => v.valid)).toHaveLength(25);
    const more = await Promise.all(Array.from({ length: 10 }, () => h.service.verifier.verify({ token: a })));
    expect(more.filter((v) => v.valid)).toHaveLength(5);
    const refused = more.find((v) => !v.valid)!;
    expect(refused).toMatchObject({ code: "RATE_LIMITED", ratelimit: { limit: 30, remaining: 0 } });
    // Management requests are not counted against MCP limits.
    expect((await h.admin.whoami()).name).toBe("bootstrap-admin");
  });
});

describe("verify: scopes, types, signatures, invalidation", () => {
  it("matches wildcard scopes and refuses writes with read-only keys", async () => {
    await using h = await serviceHarness();
    const wild = (await h.admin.createToken({ name: "wild", scopes: ["tools:*", "*:read"] })).secret.reveal();
    const all = (await h.admin.createToken({ name: "all", type: "agent", scopes: ["*"] })).secret.reveal();
    const rw = (
      await h.admin.createToken({ name: "rw", scopes: ["contexts:write"], readOnly: false })
    ).secret.reveal();
    const code = async (token: string, scopes: string[], write?: boolean) =>
      (await h.admin.verify({ token, scopes, write })).code;
    expect(await code(wild, ["tools:call"])).toBe("VALID");
    expect(await code(wild, ["contexts:read", "files:read"])).toBe("VALID");
    expect(await code(wild, ["contexts:write"])).toBe("INSUFFICIENT_SCOPE");
    expect(await code(wild, ["tools:call", "contexts:write"])).toBe("INSUFFICIENT_SCOPE");
    expect(await code(all, ["anything:goes"])).toBe("VALID");
    expect(await code(wild, ["tools:call"], true)).toBe("READ_ONLY");
    expect(await code(all, ["tools:call"], true)).toBe("VALID");
    expect(await code(rw, ["contexts:write"], true)).toBe("VALID");
    const refused = await h.admin.verify({ token: wild, scopes: ["contexts:write"] });
    expect(refused.message).toContain("contexts:write");
  });

  it("requires signed requests for tokens labelled so, refusing bad signatures, stale timestamps and replays", async () => {
    await using h = await serviceHarness();
    const raw = (
      await h.admin.createToken({ name: "signed", labels: { "tokenform.dev/require-signature": "true" } })
    ).secret.reveal();
    const body = JSON.stringify({ model: "x", messages: [{ role: "user", content: "hi" }] });
    const ts = String(Math.floor(h.clock.now() / 1000));
    const sign = (timestamp: string) => signRequest(raw, { method: "POST", path: "/mcp", timestamp, body });
    const signature = {
      timestamp: ts,
      signature: sign(ts),
      method: "POST",
      path: "/mcp",
      body: Buffer.from(body).toString("base64"),
    };
    const code = async (sig?: {
      timestamp: string;
      signature: string;
      method?: string;
      path?: string;
      body: string;
    }) => (await h.admin.verify({ token: raw, signature: sig })).code;
    expect(await code()).toBe("BAD_SIGNATURE");
    expect(await code({ ...signature, body: Buffer.from(`${body} `).toString("base64") })).toBe(
      "BAD_SIGNATURE",
    );
    expect(await code({ ...signature, signature: "00".repeat(32) })).toBe("BAD_SIGNATURE");
    expect(await code({ ...signature, signature: "zz" })).toBe("BAD_SIGNATURE");
    expect(await code(signature)).toBe("VALID");
    expect(await code(signature)).toBe("REPLAYED");
    const old = String(Number(ts) - 301);
    expect(await code({ ...signature, timestamp: old, signature: sign(old) })).toBe("BAD_SIGNATURE");
    const edge = String(Number(ts) - 300);
    expect(await code({ ...signature, timestamp: edge, signature: sign(edge) })).toBe("VALID");
    // Version 2 binds the method and the path: the same signature for another request is refused.
    const fresh = String(Number(ts) - 1);
    expect(await code({ ...signature, timestamp: fresh, signature: sign(fresh), method: "DELETE" })).toBe(
      "BAD_SIGNATURE",
    );
    expect(await code({ ...signature, timestamp: fresh, signature: sign(fresh), path: "/mcp?x=1" })).toBe(
      "BAD_SIGNATURE",
    );
    // The version-1 form (no method, no path) is refused unless the service allows legacy signatures.
    const legacy = { timestamp: fresh, signature: signLegacyRequest(raw, fresh, body), body: signature.body };
    expect(await code(legacy)).toBe("BAD_SIGNATURE");
    const other = (await h.admin.createToken({ name: "unsigned" })).secret.reveal();
    expect((await h.admin.verify({ token: other })).code).toBe("VALID");
  });

  it("applies disable, delete and roll on the very next request although the key is cached", async () => {
    await using h = await serviceHarness();
    const verifier = h.service.verifier;
    const make = async (name: string) => h.admin.createToken({ name });
    const d = await make("to-disable");
    const x = await make("to-delete");
    const r = await make("to-roll");
    for (const t of [d, x, r]) {
      expect((await verifier.verify({ token: t.secret.reveal() })).valid).toBe(true);
      expect(verifier.verifyCached({ token: t.secret.reveal() })?.valid).toBe(true);
    }
    await h.admin.updateToken(d.token.id, { enabled: false });
    await h.admin.deleteToken(x.token.id);
    await h.admin.rollToken(r.token.id, { overlap: "0s" });
    expect((await verifier.verify({ token: d.secret.reveal() })).code).toBe("DISABLED");
    expect((await verifier.verify({ token: x.secret.reveal() })).code).toBe("NOT_FOUND");
    expect((await verifier.verify({ token: r.secret.reveal() })).code).toBe("NOT_FOUND");
    await h.admin.updateToken(d.token.id, { enabled: true });
    expect((await verifier.verify({ token: d.secret.reveal() })).valid).toBe(true);
  });
});

describe("verify: fuzzing", () => {
  it("never answers 500 to thousands of random Authorization headers", async () => {
    await using h = await serviceHarness();
    const pool = new Pool(h.url, { connections: 16 });
    const printable = (n: number) =>
      Array.from(randomBytes(n), (b) => String.fromCharCode(0x21 + (b % 94))).join("");
    const candidates = (i: number): Record<string, string> => {
      switch (i % 8) {
        case 0:
          return { authorization: printable(i % 300) };
        case 1:
          return { authorization: `Bearer ${printable(1 + (i % 80))}` };
        case 2:
          return { authorization: `Bearer ${generateToken("mcp_adm_")}` };
        case 3:
          return { authorization: `Api-Token mcp_sk_${randomBase62(36)}` };
        case 4:
          return { "x-api-key": printable(1 + (i % 1500)) };
        case 5:
          return { authorization: `Bearer ${"a".repeat(2000 + i)}` };
        case 6:
          return { authorization: `${printable(5)} ${printable(40)} ${printable(3)}` };
        default:
          return { authorization: `Bearer ${h.adminToken.reveal().slice(0, 20)}${printable(24)}` };
      }
    };
    const statuses = new Map<number, number>();
    const paths = ["/v1/whoami", "/v1/tokens", "/v1/verify"];
    try {
      for (let batch = 0; batch < 25; batch++) {
        await Promise.all(
          Array.from({ length: 120 }, async (_, j) => {
            const i = batch * 120 + j;
            const path = paths[i % 3]!;
            const res = await pool.request({
              path,
              method: path === "/v1/verify" ? "POST" : "GET",
              headers: { ...candidates(i), "content-type": "application/json" },
              body: path === "/v1/verify" ? JSON.stringify({ token: "x" }) : undefined,
            });
            await res.body.dump();
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          }),
        );
      }
    } finally {
      await pool.close();
    }
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(3000);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([401]));
  });
});
