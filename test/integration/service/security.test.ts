/**
 * The shared security suite (like unkey's runCommonRouteTests), generated from the route table
 * (src/api/routes.ts): every management route is called with no key, a malformed key, a key with a bad
 * checksum, a key of another account, a key without the route's scope, a disabled, an expired and a
 * pending admin key, a non-admin key and a key from a disallowed IP, and must refuse each the same way;
 * every route that takes a body refuses a malformed, oversized, mistyped or ill-shaped one. A route added
 * to the table is covered without touching this file (a route with a body needs a sample body below, or
 * this file does not compile).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  API_ROUTE_LIST,
  type API_ROUTES,
  type OperationId,
  type RouteDefinition,
} from "../../../src/api/routes.js";
import type { CreateTokenRequest } from "../../../src/api/schemas.js";
import type { SecretValue } from "../../../src/api/secret.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { type ServiceHarness, serviceHarness } from "./harness.js";

type Listed = RouteDefinition & { operationId: OperationId };

/** Routes that take a body, each with the input type its schema accepts. */
type BodyInput = {
  [K in OperationId]: (typeof API_ROUTES)[K] extends { body: { schema: infer S extends z.ZodType } }
    ? [K, z.input<S>]
    : never;
}[OperationId];

/** A valid body for every route that takes one (`{id}` and the keys exist once `beforeAll` has run). */
const BODIES: { [P in BodyInput as P[0]]: () => P[1] } = {
  createToken: () => ({ name: "sec-new" }),
  updateToken: () => ({ description: "x" }),
  confirmToken: () => ({}),
  rollToken: () => ({ overlap: "0s" }),
  verify: () => ({ token: targetSecret.reveal() }),
  reportGithubLeaks: () => [{ token: targetSecret.reveal(), type: "tokenform_mcp_key", source: "content" }],
  updateAccount: () => ({ rateLimit: { perHour: 1000 } }),
  openPickup: () => ({ holder: "sec-holder" }),
  claimPickup: () => ({ deviceCode: pickups.approved }),
  confirmPickup: () => ({ deviceCode: pickups.claimed, tokens: [] }),
};

/** Pickup sessions (`{code}` routes, and the public pickup routes' bodies), made in `beforeAll`. */
const pickups = { code: "", approved: "", claimed: "" };

/** The scope each access needs, and keys that lack it (by name in `keys`). */
const LACKING: Record<RouteDefinition["access"], string[]> = {
  public: [],
  admin: [],
  read: ["writeOnly", "verifyOnly"],
  write: ["readOnly", "verifyOnly"],
  verify: ["writeOnly"],
  signed: [],
};

/** Every route that needs a key; `{id}` is replaced by a token of the default account. */
const ROUTES = API_ROUTE_LIST.filter((route) => route.access !== "public" && route.access !== "signed");
const PUBLIC = API_ROUTE_LIST.filter((route) => route.access === "public");
/** Routes that trust a signature over the body instead of a key (GitHub's alerts). */
const SIGNED = API_ROUTE_LIST.filter((route) => route.access === "signed");
const WITH_BODY = ROUTES.filter((route) => route.body !== undefined);

function bodyOf(route: Listed): unknown {
  const sample = (BODIES as Partial<Record<OperationId, () => unknown>>)[route.operationId];
  return sample?.();
}

let h: ServiceHarness;
let target: string;
let targetSecret: SecretValue;
/** A `tokens:*` admin key with no restrictions: stronger than the weaker and restricted keys below. */
let strong: string;
const keys: Record<string, SecretValue> = {};

beforeAll(async () => {
  // Keyless verification over loopback is off, so /v1/verify refuses like every other route.
  h = await serviceHarness({ pendingTtlSeconds: 7200, anonymousLoopbackVerify: false, bodyLimitBytes: 4096 });
  const made = await h.admin.createToken({ name: "target", labels: { secret: "of-default" } });
  target = made.token.id;
  targetSecret = made.secret;
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
  // A holder's pickups: the waiting session `{code}` names would release the strong admin key's twin.
  const client = { client: "cursor", server: "acme", url: "https://mcp.example.com/mcp" } as const;
  await h.admin.createPickupToken({
    name: "sec-holder-admin",
    type: "admin",
    scopes: ["tokens:*"],
    holder: "sec-holder",
    pickup: client,
  });
  await h.admin.createPickupToken({ name: "sec-holder-mcp", holder: "sec-holder-2", pickup: client });
  await h.admin.createPickupToken({ name: "sec-holder-mcp-3", holder: "sec-holder-3", pickup: client });
  const open = async (holder: string) =>
    (await h.http("POST", "/v1/pickups", { body: { holder } })).body as {
      userCode: string;
      deviceCode: string;
    };
  pickups.code = (await open("sec-holder")).userCode;
  for (const [holder, stage] of [
    ["sec-holder-2", "approved"],
    ["sec-holder-3", "claimed"],
  ] as const) {
    const session = await open(holder);
    await h.http("POST", `/v1/pickups/${session.userCode}/approve`, { token: h.adminToken });
    if (stage === "claimed")
      await h.http("POST", "/v1/pickups/claim", { body: { deviceCode: session.deviceCode } });
    pickups[stage] = session.deviceCode;
  }
});

/** A route's path with its parameters filled: `{id}` a token (default: the target), `{code}` a pickup. */
function pathOf(route: Listed, id = target): string {
  return route.path.replace("{id}", id).replace("{code}", pickups.code);
}

afterAll(async () => {
  await h[Symbol.asyncDispose]();
});

function call(route: Listed, headers: Record<string, string>, token?: SecretValue) {
  return h.http(route.method, pathOf(route), { token, headers, body: bodyOf(route) });
}

describe("security: the route table", () => {
  it("covers /v1/verify and every route that needs a key", () => {
    expect(ROUTES.map((r) => `${r.method} ${r.path}`)).toContain("POST /v1/verify");
    expect(ROUTES.length).toBe(API_ROUTE_LIST.length - PUBLIC.length - SIGNED.length);
    for (const route of WITH_BODY) expect(bodyOf(route), route.operationId).toBeDefined();
  });
});

describe.each(PUBLIC)("security: $method $path (public)", (route) => {
  it("answers without a key", async () => {
    expect((await call(route, {})).status).toBe(route.response.status);
  });
});

describe.each(SIGNED)("security: $method $path (signed)", (route) => {
  it("401 without a signature, with a forged one, and with an admin key instead of one; the key is untouched", async () => {
    for (const headers of [
      {},
      { "github-public-key-identifier": "no-such-key", "github-public-key-signature": "MEUCIQ==" },
    ] as Record<string, string>[]) {
      const res = await call(route, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error.code).toBe("invalid_signature");
    }
    expect((await call(route, {}, h.adminToken)).status).toBe(401);
    expect((await h.admin.verify({ token: targetSecret.reveal() })).valid).toBe(true);
  });
});

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
    for (const name of LACKING[route.access]) {
      const res = await call(route, {}, keys[name]);
      expect(res.status, name).toBe(403);
      expect(res.body.error.code).toBe("insufficient_scope");
    }
    if (route.access === "admin") expect((await call(route, {}, keys.verifyOnly)).status).toBe(200);
    if (route.access === "verify") {
      for (const name of ["verifyOnly", "readOnly"])
        expect((await call(route, {}, keys[name])).status, name).toBe(200);
    }
  });

  it("never shows or touches another account's tokens (404, not 403)", async () => {
    const res = await call(route, {}, keys.otherAccount);
    if (route.path.includes("{")) {
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
const WRITES = API_ROUTE_LIST.filter((route) => route.access === "write");
/** Bodies aimed at the stronger key: creating its twin, reshaping it. */
const WRITE_BODIES: Partial<Record<OperationId, unknown>> = {
  createToken: { name: "sec-twin", type: "admin", scopes: ["tokens:*"] },
  updateToken: { description: "mine" },
};
const writeBody = (route: Listed) =>
  route.operationId in WRITE_BODIES ? WRITE_BODIES[route.operationId] : bodyOf(route);

describe.each(WRITES)("authority: $method $path", (route) => {
  const send = (token: SecretValue) =>
    h.http(route.method, pathOf(route, strong), { token, body: writeBody(route) });

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

describe.each(WRITES.filter((r) => r.path.includes("{")))("authority: $method $path", (route) => {
  it("404 for another account's admin key", async () => {
    const res = await h.http(route.method, pathOf(route, strong), {
      token: keys.otherAccount,
      body: writeBody(route),
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});

/** A body far over the service's limit (4 KiB in this suite). */
const OVERSIZED = JSON.stringify({ description: "x".repeat(16_384) });

describe.each(WITH_BODY)("bodies: $method $path", (route) => {
  const send = (body: string, contentType = "application/json") =>
    h.http(route.method, pathOf(route), {
      token: h.adminToken,
      headers: { "content-type": contentType },
      body,
    });

  it("400 invalid_body for a body that is not JSON", async () => {
    const res = await send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_body");
  });

  it("413 payload_too_large for a body over the limit", async () => {
    const res = await send(OVERSIZED);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it("415 unsupported_media_type for a body that is not sent as JSON", async () => {
    const res = await send(JSON.stringify(bodyOf(route)), "text/plain");
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  it("422 unprocessable, naming the key, for a body its schema refuses", async () => {
    const res = await send(JSON.stringify({ ...(bodyOf(route) as object), unexpected: 1 }));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("unprocessable");
    expect(res.body.error.details.issues).toContainEqual(
      expect.objectContaining({ code: "unrecognized_keys", message: 'unrecognized key: "unexpected"' }),
    );
  });
});
