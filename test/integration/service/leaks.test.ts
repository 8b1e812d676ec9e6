/**
 * `POST /v1/leaks/github`: GitHub secret scanning's partner alerts, signed by a key this test makes and
 * serves on loopback as GitHub publishes its keys. A reported key of ours is disabled (or rolled, or only
 * reported), audited with where it was found, and answered `true_positive` by its hash; anything else is a
 * `false_positive`; a bad or unknown signature is refused and changes nothing.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEAKED_AT_LABEL } from "../../../src/api/schemas.js";
import { runCli } from "../../support/cli.js";
import { type GithubAlertKeyServer, startGithubAlertKeys } from "../../support/github-alert-keys.js";
import { type ServiceHarness, serviceHarness } from "./harness.js";

let keys: GithubAlertKeyServer;
beforeAll(async () => {
  keys = await startGithubAlertKeys();
});
afterAll(async () => {
  await keys?.close();
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const URL_FOUND = "https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/.env";

/** Posts alerts for `tokens` as GitHub would: the exact body bytes it signed. */
function alert(h: ServiceHarness, tokens: string[], sign = keys.sign) {
  const body = JSON.stringify(
    tokens.map((token) => ({ token, type: "tokenform_mcp_key", url: URL_FOUND, source: "content" })),
  );
  return h.http("POST", "/v1/leaks/github", {
    body,
    headers: { "content-type": "application/json", ...sign(body) },
  });
}

describe("GitHub secret scanning alerts", () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await serviceHarness({ leaks: { keysUrl: keys.url } });
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  it("disables a reported key of ours at once, audits where it was found, and answers by hash", async () => {
    const issued = await h.admin.createToken({ name: "leaky" });
    const raw = issued.secret.reveal();
    const stranger = "mcp_sk_thisIsNotATokenOfThisService0000";
    const res = await alert(h, [raw, stranger]);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([
      { token_hash: sha256(raw), token_type: "tokenform_mcp_key", label: "true_positive" },
      { token_hash: sha256(stranger), token_type: "tokenform_mcp_key", label: "false_positive" },
    ]);
    expect(res.text).not.toContain(raw);
    expect((await h.admin.verify({ token: raw })).code).toBe("DISABLED");
    const token = await h.admin.getToken(issued.token.id);
    expect(token.enabled).toBe(false);
    expect(token.labels[LEAKED_AT_LABEL]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const audit = await h.admin.audit({ targetId: issued.token.id });
    const entry = audit.items.find((e) => e.action === "token.leak");
    expect(entry).toMatchObject({ actor: "github-secret-scanning" });
    expect(entry?.changes.leak?.to).toMatchObject({
      url: URL_FOUND,
      source: "content",
      secret: "current",
      action: "disable",
    });
    // Reported again (GitHub may send a match more than once): still ours, still disabled.
    const again = await alert(h, [raw]);
    expect(again.body).toEqual([
      { token_hash: sha256(raw), token_type: "tokenform_mcp_key", label: "true_positive" },
    ]);
    expect((await h.admin.getToken(issued.token.id)).enabled).toBe(false);
  });

  it("ends only the overlap when the leaked secret is a rotated-out one", async () => {
    const issued = await h.admin.createToken({ name: "rotating" });
    const old = issued.secret.reveal();
    const rolled = await h.admin.rollToken(issued.token.id, { overlap: "1h" });
    expect((await h.admin.verify({ token: old })).code).toBe("VALID");
    const res = await alert(h, [old]);
    expect(res.body[0].label).toBe("true_positive");
    expect((await h.admin.verify({ token: old })).valid).toBe(false);
    expect((await h.admin.verify({ token: rolled.secret.reveal() })).code).toBe("VALID");
    expect((await h.admin.getToken(issued.token.id)).enabled).toBe(true);
  });

  it("refuses a body that is not what GitHub signed, and a key GitHub does not publish", async () => {
    const issued = await h.admin.createToken({ name: "untouched" });
    const raw = issued.secret.reveal();
    const tampered = await alert(h, [raw], () => keys.sign(JSON.stringify([{ token: "other", type: "x" }])));
    expect(tampered.status).toBe(401);
    expect(tampered.body.error).toMatchObject({ code: "invalid_signature" });
    const fetchesBefore = keys.fetches();
    const unknown = await alert(h, [raw], (body) => ({
      ...keys.sign(body),
      "github-public-key-identifier": "0".repeat(64),
    }));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toContain("unknown key identifier");
    // An unknown key makes the service look again, but not on every request.
    await alert(h, [raw], (body) => ({ ...keys.sign(body), "github-public-key-identifier": "1".repeat(64) }));
    expect(keys.fetches() - fetchesBefore).toBeLessThanOrEqual(1);
    expect((await h.admin.verify({ token: raw })).code).toBe("VALID");
  });
});

describe("with --leak-action roll", () => {
  it("replaces the leaked secret with no overlap and keeps the token enabled; a picked-up key waits for its holder", async () => {
    await using h = await serviceHarness({ leaks: { keysUrl: keys.url, action: "roll" } });
    const issued = await h.admin.createToken({ name: "rolled-on-leak" });
    const raw = issued.secret.reveal();
    expect((await alert(h, [raw])).body[0].label).toBe("true_positive");
    expect((await h.admin.verify({ token: raw })).valid).toBe(false);
    const token = await h.admin.getToken(issued.token.id);
    expect(token.enabled).toBe(true);
    expect(token.generation).toBe(2);

    // A picked-up key: its new secret is its holder's to pick up (no secret nobody receives).
    const personal = await h.admin.createPickupToken({
      name: "kim-cursor",
      holder: "kim",
      pickup: { client: "cursor", server: "acme-tools", url: "https://mcp.example.com/mcp" },
    });
    const open = () => h.http("POST", "/v1/pickups", { body: { holder: "kim" } });
    const claim = (deviceCode: string) => h.http("POST", "/v1/pickups/claim", { body: { deviceCode } });
    const first = (await open()).body;
    await h.http("POST", `/v1/pickups/${first.userCode}/approve`, { token: h.adminToken });
    const [kept] = (await claim(first.deviceCode)).body.tokens;
    expect((await alert(h, [kept.secret])).body[0].label).toBe("true_positive");
    expect((await h.admin.verify({ token: kept.secret })).valid).toBe(false);
    const waiting = await h.admin.getToken(personal.id);
    expect(waiting).toMatchObject({ status: "pending", enabled: true });
    expect(waiting.pickup?.waitingSince).not.toBeNull();
    const second = (await open()).body;
    await h.http("POST", `/v1/pickups/${second.userCode}/approve`, { token: h.adminToken });
    const [fresh] = (await claim(second.deviceCode)).body.tokens;
    expect((await h.admin.verify({ token: fresh.secret })).code).toBe("VALID");
  });
});

describe("tokenform serve's leak settings", () => {
  it("refuses an unknown action from the environment in one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "tokenform-leak-serve-"));
    try {
      const run = runCli(["serve", "--port", "0", "--db", join(dir, "t.db")], {
        cwd: dir,
        env: { TOKENFORM_LEAK_ACTION: "ignore" },
      });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(
        'Error: TOKENFORM_LEAK_ACTION "ignore" is not one of disable, roll, report',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
