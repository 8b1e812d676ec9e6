/**
 * The management API v1 end to end: every endpoint and status code, against a real service on loopback
 * with a real SQLite file, through raw HTTP (statuses, headers) and the TokenformClient (typed results).
 */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/api/errors.js";
import { TokenSchema } from "../../../src/api/schemas.js";
import { checkToken } from "../../../src/spec/token-format.js";
import { serviceHarness } from "./harness.js";

describe("management API: tokens", () => {
  it("creates a token, returns its secret exactly once, and never again", async () => {
    await using h = await serviceHarness();
    const res = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "alice-cursor-dev", scopes: ["contexts:read"], labels: { team: "backend" } },
    });
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/v1/tokens/${res.body.token.id}`);
    expect(res.headers["cache-control"]).toBe("no-store");
    const secret: string = res.body.secret;
    expect(checkToken(secret).ok).toBe(true);
    expect(secret.startsWith("mcp_sk_")).toBe(true);
    expect(TokenSchema.parse(res.body.token)).toMatchObject({
      name: "alice-cursor-dev",
      type: "mcp",
      readOnly: true,
      status: "active",
      generation: 1,
      version: 1,
      createdBy: "bootstrap-admin",
      displayPrefix: secret.slice(0, 11),
      requestCount: 0,
    });
    // No later response carries the secret.
    for (const path of [
      `/v1/tokens/${res.body.token.id}`,
      "/v1/tokens",
      "/v1/audit",
      `/v1/tokens/${res.body.token.id}/usage`,
    ]) {
      const later = await h.http("GET", path, { token: h.adminToken });
      expect(later.status).toBe(200);
      expect(later.text).not.toContain(secret);
      expect(later.text).not.toContain(secret.slice(7));
    }
  });

  it("issues admin and agent tokens with their own prefixes", async () => {
    await using h = await serviceHarness();
    const agent = await h.admin.createToken({ name: "agent-1", type: "agent" });
    const admin = await h.admin.createToken({ name: "admin-2", type: "admin", scopes: ["tokens:read"] });
    expect(agent.secret.reveal()).toMatch(/^mcp_ag_/);
    expect(agent.token.readOnly).toBe(false);
    expect(admin.secret.reveal()).toMatch(/^mcp_adm_/);
  });

  it("refuses a duplicate name in the same account with 409, and invalid bodies with 400/422", async () => {
    await using h = await serviceHarness();
    const first = await h.admin.createToken({ name: "dup", labels: { "tokenform.dev/owner": "acme/a" } });
    const dup = await h.http("POST", "/v1/tokens", { token: h.adminToken, body: { name: "dup" } });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({
      code: "conflict",
      type: "invalid_request_error",
      message: `the name dup is held by token dup (owner acme/a) (id ${first.token.id})`,
      details: { field: "name", holder: { id: first.token.id, name: "dup", owner: "acme/a" } },
    });
    // One holder per destination, across owners: the claim names who holds it.
    await h.admin.createToken({
      name: "ci",
      destinations: ["github:repo/acme/x/KEY"],
      labels: { "tokenform.dev/owner": "acme/a" },
    });
    const taken = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: {
        name: "other-ci",
        destinations: ["github:repo/acme/x/KEY"],
        labels: { "tokenform.dev/owner": "acme/b" },
      },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toBe(
      "other-ci cannot claim github:repo/acme/x/KEY: it is held by token ci (owner acme/a)",
    );
    const listed = await h.admin.listTokens({ destination: "github:repo/acme/x/KEY" });
    expect(listed.items.map((t) => t.name)).toEqual(["ci"]);
    expect((await h.admin.listTokens({ name: "dup" })).items).toHaveLength(1);

    const badJson = await h.http("POST", "/v1/tokens", { token: h.adminToken, body: "{not json" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("invalid_body");

    const badName = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "Not\u202eA Slug" },
    });
    expect(badName.status).toBe(422);
    expect(badName.body.error.code).toBe("unprocessable");
    expect(badName.body.error.details.issues[0].path).toBe("name");

    const unknownField = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "x", colour: "red" },
    });
    expect(unknownField.status).toBe(422);

    const badCidr = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "cidr", ipAllowlist: ["10.0.0.0/33", "example.com", "10.0.0.0/8"] },
    });
    expect(badCidr.status).toBe(422);
    expect(badCidr.body.error.details.issues).toHaveLength(2);

    const past = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "old", expiresAt: "2001-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(422);

    const both = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "both", expiresAt: "2040-01-01T00:00:00Z", expiresIn: "30d" },
    });
    expect(both.status).toBe(422);

    const notObject = await h.http("POST", "/v1/tokens", { token: h.adminToken, body: "[1,2]" });
    expect(notObject.status).toBe(422);

    const wrongType = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe("unsupported_media_type");
  });

  it("keeps a tool allowlist (sorted, unique), clears it with null, and refuses bad patterns with 422", async () => {
    await using h = await serviceHarness();
    const created = await h.admin.createToken({
      name: "search-bot",
      type: "agent",
      scopes: ["tools:call"],
      tools: ["search_*", "get_status", "search_*"],
    });
    expect(created.token.tools).toEqual(["get_status", "search_*"]);
    expect((await h.admin.getToken(created.token.id)).tools).toEqual(["get_status", "search_*"]);
    const bad = await h.http("PATCH", `/v1/tokens/${created.token.id}`, {
      token: h.adminToken,
      body: { tools: ["get status"] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.issues[0].path).toBe("tools.0");
    const cleared = await h.admin.updateToken(created.token.id, { tools: null });
    expect(cleared.tools).toBeNull();
    const none = await h.admin.updateToken(created.token.id, { tools: [] });
    expect(none.tools).toEqual([]);
    const audit = await h.admin.audit({ targetId: created.token.id });
    expect(audit.items[0]!.changes).toEqual({ tools: { from: null, to: [] } });

    // Verify takes the tools a request calls and refuses one outside the list with its own code.
    await h.admin.updateToken(created.token.id, { tools: ["search_*"] });
    const verify = (tools: string[]) =>
      h.http("POST", "/v1/verify", {
        body: { token: created.secret.reveal(), scopes: ["tools:call"], tools },
      });
    const allowed = await verify(["search_docs"]);
    expect(allowed.body).toMatchObject({
      valid: true,
      token: { name: "search-bot", readOnly: false, tools: ["search_*"], expiresAt: null },
    });
    const refused = await verify(["search_docs", "delete_repo"]);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      valid: false,
      code: "TOOL_NOT_ALLOWED",
      message: "this key may not call the tool delete_repo (it may call: search_*)",
    });
  });

  it("gets a token by id with an ETag and answers 404 for unknown ids", async () => {
    await using h = await serviceHarness();
    const { token } = await h.admin.createToken({ name: "one" });
    const got = await h.http("GET", `/v1/tokens/${token.id}`, { token: h.adminToken });
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.body).toEqual(token);
    const missing = await h.http("GET", "/v1/tokens/tok_doesnotexist", { token: h.adminToken });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
    await expect(h.admin.getToken("tok_nope")).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("lists with label selectors (=, ==, !=, exists, absent), status, type and cursor pagination", async () => {
    await using h = await serviceHarness();
    const owner = "tokenform.dev/owner";
    await h.admin.createToken({ name: "a", labels: { [owner]: "acme/infra", team: "x" } });
    await h.admin.createToken({ name: "b", labels: { [owner]: "acme/infra", team: "y" } });
    await h.admin.createToken({ name: "c", labels: { [owner]: "other" }, type: "agent" });
    await h.admin.createToken({ name: "d", enabled: false });
    await h.admin.createToken({ name: "e", pending: true });
    const names = async (query: Parameters<typeof h.admin.listTokens>[0]) =>
      (await h.admin.listTokens(query)).items.map((t) => t.name);
    expect(await names({ selector: `${owner}=acme/infra` })).toEqual(["a", "b"]);
    expect(await names({ selector: `${owner}==acme/infra,team=y` })).toEqual(["b"]);
    expect(await names({ selector: `${owner}=acme/infra,team!=y` })).toEqual(["a"]);
    expect(await names({ selector: "team" })).toEqual(["a", "b"]);
    expect(await names({ selector: `!${owner}` })).toEqual(["bootstrap-admin", "d", "e"]);
    expect(await names({ type: "agent" })).toEqual(["c"]);
    expect(await names({ status: "disabled" })).toEqual(["d"]);
    expect(await names({ status: "pending" })).toEqual(["e"]);
    expect(await names({ status: "active", type: "mcp" })).toEqual(["a", "b"]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.admin.listTokens({ limit: 2, cursor });
      seen.push(...page.items.map((t) => t.name));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(["bootstrap-admin", "a", "b", "c", "d", "e"]);
    expect((await h.admin.listAllTokens({ limit: 4 })).map((t) => t.name)).toEqual(seen);

    for (const query of [
      "limit=0",
      "limit=501",
      "limit=abc",
      "cursor=garbage",
      "status=gone",
      "type=root",
      "selector=%3Dx",
    ]) {
      const res = await h.http("GET", `/v1/tokens?${query}`, { token: h.adminToken });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe("bad_request");
    }
  });

  it("updates with PATCH and If-Match: 412 on a stale ETag, 409 on a duplicate name, 428 when required", async () => {
    await using h = await serviceHarness();
    const { token } = await h.admin.createToken({ name: "patch-me", scopes: ["tools:call"] });
    const ok = await h.http("PATCH", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      headers: { "if-match": '"1"' },
      body: {
        description: "new",
        scopes: ["tools:*"],
        labels: { env: "prod" },
        ipAllowlist: ["10.0.0.0/8"],
        rateLimit: { perMinute: 5 },
        expiresAt: "2031-01-01T00:00:00Z",
        enabled: false,
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.body).toMatchObject({
      description: "new",
      scopes: ["tools:*"],
      labels: { env: "prod" },
      ipAllowlist: ["10.0.0.0/8"],
      rateLimit: { perMinute: 5, perHour: null },
      expiresAt: "2031-01-01T00:00:00.000Z",
      enabled: false,
      status: "disabled",
      version: 2,
    });
    // A second writer still holding version 1 cannot overwrite the change.
    const stale = await h.http("PATCH", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      headers: { "if-match": '"1"' },
      body: { description: "lost update" },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe("precondition_failed");
    await expect(h.admin.updateToken(token.id, { description: "x" }, { ifMatch: 1 })).rejects.toMatchObject({
      code: "precondition_failed",
    });
    expect((await h.admin.updateToken(token.id, { description: "x" }, { ifMatch: 2 })).version).toBe(3);
    // A no-op patch changes nothing, not even the version.
    expect((await h.admin.updateToken(token.id, { description: "x" })).version).toBe(3);

    await h.admin.createToken({ name: "taken" });
    const clash = await h.http("PATCH", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      body: { name: "taken" },
    });
    expect(clash.status).toBe(409);

    const badIfMatch = await h.http("PATCH", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      headers: { "if-match": "yesterday" },
      body: {},
    });
    expect(badIfMatch.status).toBe(400);
    const unknown = await h.http("PATCH", "/v1/tokens/tok_missing", { token: h.adminToken, body: {} });
    expect(unknown.status).toBe(404);
    const typeChange = await h.http("PATCH", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      body: { type: "admin" },
    });
    expect(typeChange.status).toBe(422);
  });

  it("lets only a write declaring the token's owner change its tokenform.dev/* labels (422 otherwise), and audits the declaration", async () => {
    await using h = await serviceHarness();
    const owned = { "tokenform.dev/owner": "acme/infra", "tokenform.dev/applied": "sha256:1", team: "x" };
    const { token } = await h.admin.createToken({ name: "owned", labels: owned });
    const patch = (labels: Record<string, string>, owner?: string) =>
      h.http("PATCH", `/v1/tokens/${token.id}`, {
        token: h.adminToken,
        ...(owner === undefined ? {} : { headers: { "tokenform-owner": owner } }),
        body: { labels },
      });
    // Wiped by hand: refused with the labels named, so the token cannot drop out of its owner's plans.
    const wiped = await patch({ team: "x" });
    expect(wiped.status).toBe(422);
    expect(wiped.body.error).toMatchObject({
      code: "unprocessable",
      message: expect.stringContaining(
        "tokenform.dev/applied, tokenform.dev/owner are written only by tokenform for the token's owner acme/infra",
      ),
      details: {
        issues: [{ path: "labels", message: expect.stringContaining("Tokenform-Owner: acme/infra") }],
      },
    });
    // Another set's declaration does not count; the token is as it was.
    expect((await patch({ ...owned, "tokenform.dev/applied": "sha256:2" }, "other/set")).status).toBe(422);
    expect((await h.admin.getToken(token.id)).labels).toEqual(owned);
    // The user's own labels stay editable by hand.
    expect((await patch({ ...owned, team: "y" })).status).toBe(200);
    // The owner's tokenform may, and its audit entry says for whom it wrote.
    const stamped = await patch({ ...owned, team: "y", "tokenform.dev/applied": "sha256:2" }, "acme/infra");
    expect(stamped.status).toBe(200);
    const [entry] = (await h.admin.audit({ targetId: token.id })).items;
    expect(entry!.changes.appliedFor).toEqual({ from: null, to: "acme/infra" });
    expect((await h.admin.audit({ targetId: token.id })).items[1]!.changes.appliedFor).toBeUndefined();
    // A set adopting the token declares the new owner; releasing it (orphan) declares the one it has.
    expect((await patch({ ...owned, "tokenform.dev/owner": "other/set" }, "other/set")).status).toBe(200);
    expect((await patch({ team: "y" }, "other/set")).status).toBe(200);
    // Handing an unowned token to a set by hand is refused too (a spec takes it over with adopt).
    expect((await patch({ "tokenform.dev/owner": "acme/infra" })).status).toBe(422);
    const bad = await patch({ team: "z" }, "not an owner!");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("Tokenform-Owner must be one TokenSet owner");
  });

  it("requires If-Match when configured (428)", async () => {
    await using h = await serviceHarness({ requireIfMatch: true });
    const { token } = await h.admin.createToken({ name: "strict" });
    const res = await h.http("PATCH", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      body: { description: "x" },
    });
    expect(res.status).toBe(428);
    expect(res.body.error.code).toBe("precondition_required");
    const del = await h.http("DELETE", `/v1/tokens/${token.id}`, { token: h.adminToken });
    expect(del.status).toBe(428);
    const ok = await h.http("DELETE", `/v1/tokens/${token.id}`, {
      token: h.adminToken,
      headers: { "if-match": '"1"' },
    });
    expect(ok.status).toBe(204);
  });

  it("deletes at once (204): the key gets 401 on the next request, the id 404", async () => {
    await using h = await serviceHarness();
    const issued = await h.admin.createToken({ name: "doomed", type: "admin", scopes: ["tokens:read"] });
    expect((await h.http("GET", "/v1/whoami", { token: issued.secret })).status).toBe(200);
    const del = await h.http("DELETE", `/v1/tokens/${issued.token.id}`, { token: h.adminToken });
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    const after = await h.http("GET", "/v1/whoami", { token: issued.secret });
    expect(after.status).toBe(401);
    expect(after.headers["www-authenticate"]).toContain('error="invalid_token"');
    expect((await h.http("DELETE", `/v1/tokens/${issued.token.id}`, { token: h.adminToken })).status).toBe(
      404,
    );
    expect((await h.admin.verify({ token: issued.secret.reveal() })).code).toBe("NOT_FOUND");
  });

  it("answers whoami, healthz, openapi.json, and 404/405 for unknown routes and methods", async () => {
    await using h = await serviceHarness();
    expect(await h.admin.whoami()).toEqual({
      account: "default",
      tokenId: expect.stringMatching(/^tok_/),
      name: "bootstrap-admin",
      type: "admin",
      scopes: ["tokens:*"],
      expiresAt: null,
    });
    expect((await h.http("GET", "/healthz")).body).toEqual({ status: "ok" });
    const doc = await h.http("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    const unknown = await h.http("GET", "/v2/nothing", { token: h.adminToken });
    expect(unknown.status).toBe(404);
    const wrongMethod = await h.http("PUT", "/v1/tokens", { token: h.adminToken });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe("GET, POST");
    expect(wrongMethod.body.error.code).toBe("method_not_allowed");
  });

  it("refuses a 10 MB body with 413 and keeps serving", async () => {
    await using h = await serviceHarness();
    const big = JSON.stringify({ name: "big", description: "x".repeat(10 * 1024 * 1024) });
    const res = await h.http("POST", "/v1/tokens", { token: h.adminToken, body: big });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large", type: "invalid_request_error" });
    expect((await h.http("GET", "/healthz")).status).toBe(200);
    expect((await h.admin.listTokens({ selector: "" })).items.map((t) => t.name)).toEqual([
      "bootstrap-admin",
    ]);
  });

  it("round-trips names, descriptions and labels with SQL metacharacters verbatim", async () => {
    await using h = await serviceHarness();
    const nasty = `Robert'); DROP TABLE tokens;-- "quoted" \\ % _ ' OR '1'='1 ☃\ttab`;
    const labels = { "a'b": nasty, "sel;ect": "x' OR 1=1 --", "tokenform.dev/owner": 'acme"/%_' };
    const { token } = await h.admin.createToken({ name: "o.k_name-1", description: nasty, labels });
    const got = await h.admin.getToken(token.id);
    expect(got.description).toBe(nasty);
    expect(got.labels).toEqual(labels);
    expect((await h.admin.listTokens({ selector: "a'b" })).items.map((t) => t.id)).toEqual([token.id]);
    expect((await h.admin.listTokens({ selector: 'tokenform.dev/owner=acme"/%_' })).items).toHaveLength(1);
    expect((await h.admin.listTokens({ selector: "tokenform.dev/owner=acme%" })).items).toHaveLength(0);
    expect((await h.admin.listAllTokens()).length).toBe(2);
    // Control characters are refused (PostgreSQL text cannot even hold NUL), never stored or a 500.
    for (const bad of ["a\u0000b", "bell\u0007"]) {
      const res = await h.http("POST", "/v1/tokens", {
        token: h.adminToken,
        body: { name: "ctl", description: bad },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(JSON.stringify(res.body)).toContain("control characters");
    }
  });

  it("lets an admin key grant only scopes it holds itself (403 authority_exceeded)", async () => {
    await using h = await serviceHarness();
    const limited = await h.admin.createToken({
      name: "limited",
      type: "admin",
      scopes: ["tokens:read", "tokens:write"],
    });
    const api = h.client(limited.secret);
    await expect(api.createToken({ name: "god", type: "admin", scopes: ["*"] })).rejects.toMatchObject({
      status: 403,
      code: "authority_exceeded",
    });
    expect(
      (await api.createToken({ name: "reader", type: "admin", scopes: ["tokens:read"] })).token.scopes,
    ).toEqual(["tokens:read"]);
    // Non-admin tokens carry resource scopes, which admin scopes do not limit.
    expect((await api.createToken({ name: "mcp", scopes: ["*"] })).token.scopes).toEqual(["*"]);
  });
});

describe("management API: pending tokens, confirm and roll", () => {
  it("creates pending tokens that cannot authenticate until confirmed, and sweeps unconfirmed ones", async () => {
    await using h = await serviceHarness({ pendingTtlSeconds: 600 });
    const pending = await h.admin.createToken({ name: "pending-one", pending: true, scopes: ["tools:call"] });
    expect(pending.token.status).toBe("pending");
    expect(pending.token.pendingExpiresAt).toBe(new Date(h.clock.now() + 600_000).toISOString());
    expect(await h.admin.verify({ token: pending.secret.reveal() })).toMatchObject({
      valid: false,
      code: "PENDING",
    });

    const delivered = {
      destination: "github:acme/backend:MCP_API_KEY",
      generation: 1,
      fingerprint: pending.secret.fingerprint,
      deliveredAt: new Date(h.clock.now()).toISOString(),
    };
    const confirm = await h.http("POST", `/v1/tokens/${pending.token.id}/confirm`, {
      token: h.adminToken,
      body: { deliveries: [delivered] },
    });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toMatchObject({
      status: "active",
      pendingExpiresAt: null,
      deliveries: [delivered],
      version: 2,
    });
    expect((await h.admin.verify({ token: pending.secret.reveal() })).valid).toBe(true);
    // Confirming again is a harmless no-op (the client retries confirms).
    expect((await h.admin.confirmToken(pending.token.id)).version).toBe(2);

    const forgotten = await h.admin.createToken({ name: "forgotten", pending: true });
    h.clock.advance({ seconds: 599 });
    expect((await h.admin.verify({ token: forgotten.secret.reveal() })).code).toBe("PENDING");
    h.clock.advance({ seconds: 1 });
    // Past its deadline it never authenticates and is gone from reads even before the sweeper runs.
    expect((await h.admin.verify({ token: forgotten.secret.reveal() })).code).toBe("NOT_FOUND");
    expect((await h.http("GET", `/v1/tokens/${forgotten.token.id}`, { token: h.adminToken })).status).toBe(
      404,
    );
    expect(await h.service.sweep()).toBe(1);
    const audit = await h.admin.audit({ targetId: forgotten.token.id });
    expect(audit.items.map((a) => [a.action, a.actor])).toEqual([
      ["token.pending_expired", "tokenform"],
      ["token.create", "bootstrap-admin"],
    ]);
    await expect(h.admin.confirmToken(forgotten.token.id)).rejects.toMatchObject({ status: 404 });
  });

  it("rolls with an overlap: same settings, generation+1, old secret valid until the overlap ends", async () => {
    await using h = await serviceHarness();
    const first = await h.admin.createToken({ name: "rolled", scopes: ["tools:call"], labels: { a: "1" } });
    const res = await h.http("POST", `/v1/tokens/${first.token.id}/roll`, {
      token: h.adminToken,
      body: { overlap: "48h" },
    });
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const second: string = res.body.secret;
    expect(second).not.toBe(first.secret.reveal());
    expect(res.body.token).toMatchObject({
      id: first.token.id,
      scopes: ["tools:call"],
      labels: { a: "1" },
      generation: 2,
      rotatedAt: new Date(h.clock.now()).toISOString(),
      previousSecrets: [
        {
          generation: 1,
          fingerprint: first.secret.fingerprint,
          expiresAt: new Date(h.clock.now() + 48 * 3600_000).toISOString(),
        },
      ],
    });
    expect((await h.admin.verify({ token: first.secret.reveal() })).valid).toBe(true);
    expect((await h.admin.verify({ token: second })).valid).toBe(true);
    h.clock.advance({ seconds: 48 * 3600 - 1 });
    expect((await h.admin.verify({ token: first.secret.reveal() })).valid).toBe(true);
    h.clock.advance({ seconds: 1 });
    expect((await h.admin.verify({ token: first.secret.reveal() })).code).toBe("EXPIRED");
    expect((await h.admin.verify({ token: second })).valid).toBe(true);
    expect((await h.admin.getToken(first.token.id)).previousSecrets).toEqual([]);
    await h.service.sweep();
    expect((await h.admin.verify({ token: first.secret.reveal() })).code).toBe("NOT_FOUND");
  });

  it("rolls with 0s overlap (emergency): the old secret is refused on the next request", async () => {
    await using h = await serviceHarness();
    const first = await h.admin.createToken({ name: "leaked", type: "admin", scopes: ["tokens:read"] });
    expect((await h.http("GET", "/v1/whoami", { token: first.secret })).status).toBe(200);
    const rolled = await h.admin.rollToken(first.token.id, { overlap: "0s" });
    expect((await h.http("GET", "/v1/whoami", { token: first.secret })).status).toBe(401);
    expect((await h.http("GET", "/v1/whoami", { token: rolled.secret })).status).toBe(200);
    expect(rolled.token.previousSecrets).toEqual([]);
    // The default overlap is 0s too.
    const again = await h.admin.rollToken(first.token.id);
    expect((await h.http("GET", "/v1/whoami", { token: rolled.secret })).status).toBe(401);
    expect(again.token.generation).toBe(3);
  });

  it("rolls pending: the new secret works only after confirm; the old one until confirm + overlap", async () => {
    await using h = await serviceHarness({ pendingTtlSeconds: 900 });
    const first = await h.admin.createToken({ name: "two-phase" });
    const rolled = await h.admin.rollToken(first.token.id, { overlap: "1h", pending: true });
    expect(rolled.token).toMatchObject({
      status: "active",
      generation: 2,
      fingerprint: rolled.secret.fingerprint,
      pendingExpiresAt: new Date(h.clock.now() + 900_000).toISOString(),
      previousSecrets: [{ generation: 1, expiresAt: null }],
    });
    expect((await h.admin.verify({ token: rolled.secret.reveal() })).code).toBe("PENDING");
    expect((await h.admin.verify({ token: first.secret.reveal() })).valid).toBe(true);
    h.clock.advance({ seconds: 60 });
    const confirmed = await h.admin.confirmToken(first.token.id);
    expect(confirmed.pendingExpiresAt).toBeNull();
    expect(confirmed.previousSecrets).toEqual([
      expect.objectContaining({ generation: 1, expiresAt: new Date(h.clock.now() + 3600_000).toISOString() }),
    ]);
    expect((await h.admin.verify({ token: rolled.secret.reveal() })).valid).toBe(true);
    expect((await h.admin.verify({ token: first.secret.reveal() })).valid).toBe(true);
    h.clock.advance({ seconds: 3600 });
    expect((await h.admin.verify({ token: first.secret.reveal() })).valid).toBe(false);
    expect((await h.admin.verify({ token: rolled.secret.reveal() })).valid).toBe(true);
  });

  it("lets an unconfirmed pending roll lapse: the token is as before and generations are not reused", async () => {
    await using h = await serviceHarness({ pendingTtlSeconds: 60 });
    const first = await h.admin.createToken({ name: "lapse" });
    const rolled = await h.admin.rollToken(first.token.id, { overlap: "1h", pending: true });
    h.clock.advance({ seconds: 61 });
    expect((await h.admin.verify({ token: rolled.secret.reveal() })).code).toBe("NOT_FOUND");
    expect((await h.admin.verify({ token: first.secret.reveal() })).valid).toBe(true);
    const now = await h.admin.getToken(first.token.id);
    expect(now).toMatchObject({
      generation: 1,
      fingerprint: first.secret.fingerprint,
      pendingExpiresAt: null,
      previousSecrets: [],
    });
    await h.service.sweep();
    expect((await h.admin.getToken(first.token.id)).version).toBe(now.version);
    expect((await h.admin.audit({ targetId: first.token.id })).items[0]?.action).toBe("token.roll_expired");
    const again = await h.admin.rollToken(first.token.id);
    expect(again.token.generation).toBe(3);
  });

  it("rolling a never-confirmed pending token replaces its secret and keeps it pending", async () => {
    await using h = await serviceHarness();
    const pending = await h.admin.createToken({ name: "retry-delivery", pending: true });
    const rolled = await h.admin.rollToken(pending.token.id, { overlap: "48h" });
    expect(rolled.token).toMatchObject({ status: "pending", generation: 2, previousSecrets: [] });
    expect((await h.admin.verify({ token: pending.secret.reveal() })).code).toBe("NOT_FOUND");
    await h.admin.confirmToken(pending.token.id);
    expect((await h.admin.verify({ token: rolled.secret.reveal() })).valid).toBe(true);
  });

  it("validates roll and confirm bodies", async () => {
    await using h = await serviceHarness();
    const { token } = await h.admin.createToken({ name: "v" });
    for (const body of [{ overlap: "two days" }, { overlap: "1h", extra: true }, { pending: "yes" }]) {
      const res = await h.http("POST", `/v1/tokens/${token.id}/roll`, { token: h.adminToken, body });
      expect(res.status).toBe(422);
    }
    const res = await h.http("POST", `/v1/tokens/${token.id}/confirm`, {
      token: h.adminToken,
      body: { deliveries: [{ destination: "x" }] },
    });
    expect(res.status).toBe(422);
  });
});

describe("management API: usage and audit", () => {
  it("reports usage per hour and day with last use, and audits every change without secrets", async () => {
    await using h = await serviceHarness();
    const issued = await h.admin.createToken({ name: "used", scopes: ["tools:call"] });
    for (let i = 0; i < 3; i++) await h.admin.verify({ token: issued.secret.reveal(), ip: "203.0.113.9" });
    await h.admin.verify({ token: issued.secret.reveal(), scopes: ["admin:write"] });
    h.clock.advance({ seconds: 3600 });
    await h.admin.verify({ token: issued.secret.reveal(), ip: "198.51.100.1" });
    const usage = await h.admin.usage(issued.token.id);
    const hour = (offset: number) => new Date(Date.UTC(2030, 0, 1, 12 + offset)).toISOString();
    expect(usage).toEqual({
      tokenId: issued.token.id,
      lastUsedAt: new Date(h.clock.now()).toISOString(),
      lastUsedIp: "198.51.100.1",
      requestCount: 4,
      failedAttempts: 1,
      hourly: [
        { start: hour(0), requests: 3, failures: 1 },
        { start: hour(1), requests: 1, failures: 0 },
      ],
      daily: [{ start: new Date(Date.UTC(2030, 0, 1)).toISOString(), requests: 4, failures: 1 }],
      // Successful uses per client address, most recently seen first (the refused one is not counted).
      addresses: [
        { ip: "198.51.100.1", firstSeen: usage.lastUsedAt, lastSeen: usage.lastUsedAt, count: 1 },
        { ip: "203.0.113.9", firstSeen: hour(0), lastSeen: hour(0), count: 3 },
      ],
    });
    expect(await h.admin.getToken(issued.token.id)).toMatchObject({ requestCount: 4, failedAttempts: 1 });
    expect((await h.http("GET", "/v1/tokens/tok_nope/usage", { token: h.adminToken })).status).toBe(404);

    await h.admin.updateToken(issued.token.id, { description: "changed", enabled: false });
    const rolled = await h.admin.rollToken(issued.token.id, { overlap: "1h" });
    await h.admin.deleteToken(issued.token.id);
    const res = await h.http("GET", `/v1/audit?targetId=${issued.token.id}`, { token: h.adminToken });
    expect(res.status).toBe(200);
    const entries = res.body.items as Array<{
      action: string;
      changes: Record<string, unknown>;
      actor: string;
      sourceIp: string;
    }>;
    expect(entries.map((e) => e.action)).toEqual([
      "token.delete",
      "token.roll",
      "token.update",
      "token.create",
    ]);
    expect(entries.every((e) => e.actor === "bootstrap-admin" && e.sourceIp === "127.0.0.1")).toBe(true);
    expect(entries[2]!.changes).toEqual({
      description: { from: "", to: "changed" },
      enabled: { from: true, to: false },
      status: { from: "active", to: "disabled" },
    });
    expect(entries[1]!.changes).toMatchObject({
      generation: { from: 1, to: 2 },
      overlap: { from: null, to: "1h" },
    });
    for (const secret of [issued.secret.reveal(), rolled.secret.reveal()]) {
      expect(res.text).not.toContain(secret);
      expect(res.text).not.toContain(secret.slice(7, 30));
    }
    // Digests are never in the audit either.
    expect(res.text).not.toMatch(/[A-Za-z0-9+/]{43}=/);

    const page1 = await h.admin.audit({ limit: 2 });
    const page2 = await h.admin.audit({ limit: 2, cursor: page1.nextCursor! });
    expect(page1.items).toHaveLength(2);
    expect(page2.items[0]!.at <= page1.items[1]!.at).toBe(true);
    expect(new Set([...page1.items, ...page2.items].map((e) => e.id)).size).toBe(4);
  });

  it("filters the audit log by actor and action on the server, with the target and across pages", async () => {
    await using h = await serviceHarness();
    const writer = await h.admin.createToken({
      name: "writer",
      type: "admin",
      scopes: ["tokens:read", "tokens:write"],
    });
    const api = h.client(writer.secret);
    const mine = await api.createToken({ name: "by-writer" });
    const theirs = await h.admin.createToken({ name: "by-admin" });
    await api.updateToken(theirs.token.id, { description: "edited by writer" });
    await api.updateToken(mine.token.id, { description: "edited too" });

    const byWriter = await h.admin.audit({ actor: "writer" });
    expect(byWriter.items.map((e) => `${e.action}:${e.targetName}`)).toEqual([
      "token.update:by-writer",
      "token.update:by-admin",
      "token.create:by-writer",
    ]);
    expect(byWriter.items.every((e) => e.actor === "writer")).toBe(true);
    const creates = await h.admin.audit({ action: "token.create" });
    expect(creates.items.map((e) => e.targetName)).toEqual([
      "by-admin",
      "by-writer",
      "writer",
      "bootstrap-admin",
    ]);
    const both = await h.admin.audit({ actor: "writer", action: "token.update", targetId: theirs.token.id });
    expect(both.items.map((e) => e.targetName)).toEqual(["by-admin"]);
    // Pages follow the filter: the cursor of a filtered page continues the filtered list.
    const first = await h.admin.audit({ actor: "writer", limit: 2 });
    const next = await h.admin.audit({ actor: "writer", limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...next.items]).toEqual(byWriter.items);
    expect(next.nextCursor).toBeNull();
    // Exact matches only, over HTTP as well; an unknown actor or action is an empty page, not an error.
    const res = await h.http("GET", "/v1/audit?action=token.%25&actor=writer", { token: h.adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    const empty = await h.http("GET", "/v1/audit?action=&actor=", { token: h.adminToken });
    expect((empty.body.items as unknown[]).length).toBe(byWriter.items.length + 3);
  });
});

describe("management API: errors through the client", () => {
  it("surfaces API codes on ApiError without secrets in the message", async () => {
    await using h = await serviceHarness();
    const bad = h.client("mcp_adm_0000000000000000000000000000000000000");
    const error = await bad.whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, request: "GET /v1/whoami" });
    expect(["invalid_api_key"]).toContain((error as ApiError).code);
    expect(String((error as ApiError).message)).not.toContain("mcp_adm_0000");
  });
});
