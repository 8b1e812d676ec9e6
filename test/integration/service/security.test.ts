/**
 * The shared security suite (like unkey's runCommonRouteTests): every management route is called with no
 * key, a malformed key, a key with a bad checksum, a key of another account, a key without the route's
 * scope, a disabled, an expired and a pending admin key, a non-admin key and a key from a disallowed IP,
 * and must refuse each the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateTokenRequest } from "../../../src/api/schemas.js";
import type { SecretValue } from "../../../src/api/secret.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { type ServiceHarness, serviceHarness } from "./harness.js";

interface RouteCase {
  method: string;
  /** `{id}` is replaced by a token of the default account. */
  path: string;
  scope: "tokens:read" | "tokens:write" | null;
  body?: unknown;
}

const ROUTES: RouteCase[] = [
  { method: "GET", path: "/v1/whoami", scope: null },
  { method: "GET", path: "/v1/tokens", scope: "tokens:read" },
  { method: "POST", path: "/v1/tokens", scope: "tokens:write", body: { name: "sec-new" } },
  { method: "GET", path: "/v1/tokens/{id}", scope: "tokens:read" },
  { method: "PATCH", path: "/v1/tokens/{id}", scope: "tokens:write", body: { description: "x" } },
  { method: "DELETE", path: "/v1/tokens/{id}", scope: "tokens:write" },
  { method: "POST", path: "/v1/tokens/{id}/confirm", scope: "tokens:write", body: {} },
  { method: "POST", path: "/v1/tokens/{id}/roll", scope: "tokens:write", body: { overlap: "0s" } },
  { method: "GET", path: "/v1/tokens/{id}/usage", scope: "tokens:read" },
  { method: "GET", path: "/v1/audit", scope: "tokens:read" },
];

let h: ServiceHarness;
let target: string;
/** A `tokens:*` admin key with no restrictions: stronger than the weaker and restricted keys below. */
let strong: string;
const keys: Record<string, SecretValue> = {};

beforeAll(async () => {
  h = await serviceHarness({ pendingTtlSeconds: 7200 });
  target = (await h.admin.createToken({ name: "target", labels: { secret: "of-default" } })).token.id;
  const other = await h.service.createAccount("other-co");
  keys.otherAccount = other.adminToken;
  const make = async (name: string, body: Omit<CreateTokenRequest, "name">) => {
    keys[name] = (await h.admin.createToken({ name: `key-${name.toLowerCase()}`, ...body })).secret;
  };
  await make("readOnly", { type: "admin", scopes: ["tokens:read"] });
  await make("writeOnly", { type: "admin", scopes: ["tokens:write"] });
  await make("verifyOnly", { type: "admin", scopes: ["tokens:verify"] });
  await make("disabled", { type: "admin", scopes: ["tokens:*"], enabled: false });
  await make("expiring", { type: "admin", scopes: ["tokens:*"], expiresIn: "1h" });
  await make("pending", { type: "admin", scopes: ["tokens:*"], pending: true });
  await make("mcpStar", { type: "mcp", scopes: ["*"], readOnly: false });
  await make("agent", { type: "agent", scopes: ["tokens:*"] });
  await make("elsewhere", { type: "admin", scopes: ["tokens:*"], ipAllowlist: ["203.0.113.0/24"] });
  await make("fencedAdmin", {
    type: "admin",
    scopes: ["tokens:*"],
    ipAllowlist: ["127.0.0.1/32"],
    expiresIn: "30d",
  });
  strong = (await h.admin.createToken({ name: "strong-admin", type: "admin", scopes: ["tokens:*"] })).token
    .id;
  h.clock.advance({ seconds: 3601 });
});

afterAll(async () => {
  await h[Symbol.asyncDispose]();
});

function call(route: RouteCase, headers: Record<string, string>, token?: SecretValue) {
  return h.http(route.method, route.path.replace("{id}", target), { token, headers, body: route.body });
}

describe.each(ROUTES)("security: $method $path", (route) => {
  it("401 without a key, with WWW-Authenticate", async () => {
    const res = await call(route, {});
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "unauthorized", type: "authentication_error" });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="tokenform"');
  });

  it("401 for malformed credentials and a forged checksum", async () => {
    const forged = `mcp_adm_${"A".repeat(36)}`;
    for (const headers of [
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer not-a-token" },
      { authorization: `Bearer ${forged}` },
      { "x-api-key": forged },
      { authorization: "Bearer" },
    ] as Record<string, string>[]) {
      const res = await call(route, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error.code).toBe("invalid_api_key");
      expect(res.headers["www-authenticate"]).toContain('error="invalid_token"');
      expect(res.text).not.toContain(forged);
    }
  });

  it("401 for a well-formed key nobody issued", async () => {
    const res = await call(route, { authorization: `Api-Token ${generateToken("mcp_adm_")}` });
    expect(res.status).toBe(401);
    expect(res.body.error.details.reason).toBe("NOT_FOUND");
  });

  it("401 for disabled, expired and pending admin keys", async () => {
    for (const [name, reason] of [
      ["disabled", "DISABLED"],
      ["expiring", "EXPIRED"],
      ["pending", "PENDING"],
    ] as const) {
      const res = await call(route, {}, keys[name]);
      expect(res.status, name).toBe(401);
      expect(res.body.error.details.reason).toBe(reason);
    }
  });

  it("403 for keys that are not admin keys", async () => {
    for (const name of ["mcpStar", "agent"]) {
      const res = await call(route, {}, keys[name]);
      expect(res.status, name).toBe(403);
      expect(res.body.error.type).toBe("permission_error");
    }
  });

  it("403 from an address outside the key's allowlist", async () => {
    const res = await call(route, {}, keys.elsewhere);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("ip_not_allowed");
  });

  it("403 without the route's scope", async () => {
    const lacking =
      route.scope === "tokens:read"
        ? [keys.writeOnly!, keys.verifyOnly!]
        : route.scope === "tokens:write"
          ? [keys.readOnly!, keys.verifyOnly!]
          : [];
    for (const key of lacking) {
      const res = await call(route, {}, key);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("insufficient_scope");
    }
    if (route.scope === null) expect((await call(route, {}, keys.verifyOnly)).status).toBe(200);
  });

  it("never shows or touches another account's tokens (404, not 403)", async () => {
    const res = await call(route, {}, keys.otherAccount);
    if (route.path.includes("{id}")) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    } else {
      expect(res.status).toBeLessThan(300);
      expect(res.text).not.toContain(target);
      expect(res.text).not.toContain("of-default");
    }
  });
});

describe("security: cross-account", () => {
  it("leaves the other account's token untouched after all attempts", async () => {
    const token = await h.admin.getToken(target);
    expect(token.version).toBe(1);
    expect(token.description).toBe("");
    const theirs = await h.client(keys.otherAccount!).listAllTokens();
    expect(new Set(theirs.map((t) => t.account))).toEqual(new Set(["other-co"]));
    expect(theirs.map((t) => t.id)).not.toContain(target);
  });

  it("verifies another account's key as NOT_FOUND for an authenticated caller", async () => {
    const foreign = await h.client(keys.otherAccount!).createToken({ name: "theirs" });
    const verdict = await h.admin.verify({ token: foreign.secret.reveal() });
    expect(verdict).toEqual({ valid: false, code: "NOT_FOUND", message: expect.any(String) });
    expect((await h.client(keys.otherAccount!).getToken(foreign.token.id)).requestCount).toBe(0);
  });
});

/** Every management write aimed at a stronger admin key, by a weaker, a restricted and another account's key. */
const WRITES: RouteCase[] = [
  {
    method: "POST",
    path: "/v1/tokens",
    scope: "tokens:write",
    body: { name: "sec-twin", type: "admin", scopes: ["tokens:*"] },
  },
  { method: "PATCH", path: "/v1/tokens/{strong}", scope: "tokens:write", body: { description: "mine" } },
  { method: "DELETE", path: "/v1/tokens/{strong}", scope: "tokens:write" },
  { method: "POST", path: "/v1/tokens/{strong}/confirm", scope: "tokens:write", body: {} },
  { method: "POST", path: "/v1/tokens/{strong}/roll", scope: "tokens:write", body: { overlap: "0s" } },
];

describe.each(WRITES)("authority: $method $path", (route) => {
  const send = (token: SecretValue) =>
    h.http(route.method, route.path.replace("{strong}", strong), { token, body: route.body });

  it("403 authority_exceeded for a weaker key (fewer scopes) and a restricted one (IP, expiry)", async () => {
    for (const [name, part] of [
      ["writeOnly", "scopes"],
      ["fencedAdmin", "ipAllowlist"],
    ] as const) {
      const res = await send(keys[name]!);
      expect(res.status, name).toBe(403);
      expect(res.body.error, name).toMatchObject({ code: "authority_exceeded", details: { part } });
      expect(res.text).not.toMatch(/mcp_adm_[A-Za-z0-9]{36}/);
    }
    expect((await h.admin.getToken(strong)).generation).toBe(1);
  });
});

describe.each(WRITES.filter((r) => r.path.includes("{strong}")))("authority: $method $path", (route) => {
  it("404 for another account's admin key", async () => {
    const res = await h.http(route.method, route.path.replace("{strong}", strong), {
      token: keys.otherAccount,
      body: route.body,
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});
