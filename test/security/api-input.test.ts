/**
 * Hostile request bodies to the management API: a raw secret as a description or label is refused with
 * 422 as the spec loader refuses it, and no 422 repeats a refused value beyond a short prefix; a flood of
 * labels is a 422 (the count is checked first), so no key can carry a huge label set into every verify;
 * and a body must be sent as `application/json` (415 otherwise).
 */
import { describe, expect, it } from "vitest";
import { MAX_LABELS } from "../../src/spec/limits.js";
import { generateToken } from "../../src/spec/token-format.js";
import { serviceHarness } from "../integration/service/harness.js";

/** What must never show of a key: everything after its prefix and four characters. */
const hidden = (key: string) => key.slice(key.lastIndexOf("_") + 5);

describe("secret-looking descriptions and labels", () => {
  it("are refused with 422 that shows at most a short prefix, on create and update", async () => {
    await using h = await serviceHarness();
    const key = generateToken("mcp_sk_");
    const github = `ghp_${"aB3dE5".repeat(6)}`;
    const bodies = [
      { name: "described", description: `for the CI, key ${key}` },
      { name: "labelled", labels: { team: key } },
      { name: "keyed", labels: { [key]: "x" } },
      { name: "github", description: github },
    ];
    for (const body of bodies) {
      const res = await h.http("POST", "/v1/tokens", { token: h.adminToken, body });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("unprocessable");
      expect(res.body.error.message).toMatch(/looks like a raw secret/);
      expect(res.text).not.toContain(hidden(key));
      expect(res.text).not.toContain(github.slice(8));
    }
    expect((await h.admin.listTokens({})).items.map((t) => t.name)).not.toContain("described");

    // A key as the name itself (names now take any printable text): refused the same way, valid or one off.
    const near = `mcp_sk_${"Q".repeat(36)}`;
    for (const name of [key, near, github]) {
      const res = await h.http("POST", "/v1/tokens", { token: h.adminToken, body: { name } });
      expect(res.status, name.slice(0, 8)).toBe(422);
      expect(res.body.error.message).toMatch(/a token name must not be/);
      expect(res.text).not.toContain(hidden(key));
      expect(res.text).not.toContain("Q".repeat(8));
      expect(res.text).not.toContain(github.slice(8));
    }

    const created = await h.admin.createToken({ name: "plain", description: "Cursor on Alice's laptop" });
    const update = await h.http("PATCH", `/v1/tokens/${created.token.id}`, {
      token: h.adminToken,
      body: { labels: { owner: key } },
    });
    expect(update.status).toBe(422);
    expect(update.text).not.toContain(hidden(key));
  });

  it("no 422 repeats a refused key or value beyond a short prefix", async () => {
    await using h = await serviceHarness();
    const near = `mcp_sk_${"Q".repeat(36)}`;
    const long = `a${"b".repeat(400)}`;
    const res = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "x", [near]: 1, [long]: 2, labels: { [long]: "v", k: `\u0001${long}` } },
    });
    expect(res.status).toBe(422);
    expect(res.text).not.toContain("Q".repeat(8));
    expect(res.text).not.toContain("b".repeat(40));
  });
});

describe("label floods", () => {
  it("60 000 labels are a 422 naming the limit; a token with the most labels verifies", async () => {
    await using h = await serviceHarness();
    const labels: Record<string, string> = {};
    // Short keys, so the body stays under the 1 MiB body limit (the flood must reach the schema).
    for (let i = 0; i < 60_000; i++) labels[i.toString(36)] = "v";
    const flood = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "flood", labels },
    });
    expect(flood.status).toBe(422);
    expect(flood.body.error.message).toContain(`at most ${MAX_LABELS} labels`);
    expect(flood.text.length).toBeLessThan(2000);

    const most: Record<string, string> = {};
    for (let i = 0; i < MAX_LABELS; i++) most[`k${i}`] = `v${i}`;
    const created = await h.admin.createToken({ name: "labelled", labels: most });
    const over = await h.http("PATCH", `/v1/tokens/${created.token.id}`, {
      token: h.adminToken,
      body: { labels: { ...most, one: "more" } },
    });
    expect(over.status).toBe(422);
    const verified = await h.http("POST", "/v1/verify", { body: { token: created.secret.reveal() } });
    expect(verified.body.valid).toBe(true);
    expect(Object.keys(verified.body.token.labels)).toHaveLength(MAX_LABELS);
  });
});

describe("Content-Type", () => {
  it("must be application/json (parameters allowed): anything else is a 415 JSON error", async () => {
    await using h = await serviceHarness();
    const body = JSON.stringify({ name: "typed" });
    for (const type of [
      "text/plain; x=json",
      "application/jsonx",
      "text/json",
      "application/json; charset=latin1",
    ]) {
      const res = await h.http("POST", "/v1/tokens", {
        token: h.adminToken,
        body,
        headers: { "content-type": type },
      });
      expect(res.status).toBe(415);
      expect(res.body.error).toMatchObject({ code: "unsupported_media_type", type: "invalid_request_error" });
    }
    const ok = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body,
      headers: { "content-type": "Application/JSON; charset=UTF-8" },
    });
    expect(ok.status).toBe(201);
  });
});
