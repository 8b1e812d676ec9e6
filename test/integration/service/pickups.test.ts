/**
 * `/v1/pickups`: a holder's keys reach them through a device flow on a real service. A key created for
 * pickup gives its creator no secret and does not authenticate; the holder's session waits for approval;
 * the first poll after approval releases each key's secret once; a replayed, expired or unknown code is
 * refused; a key of the holder's own approves at once; a roll opens a new pickup while the old key lives
 * through the overlap, counted from the release.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceHarness, serviceHarness } from "./harness.js";

const TARGET = { client: "cursor", server: "acme-tools", url: "https://mcp.example.com/mcp" } as const;

describe("pickups", () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    // The loopback peer is a trusted proxy: a test may say which address a request came from.
    h = await serviceHarness({
      pickups: { ttlSeconds: 600, intervalSeconds: 1 },
      trustedProxies: ["127.0.0.1"],
    });
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  async function open(holder: string, token?: string, from?: string) {
    return h.http("POST", "/v1/pickups", {
      body: { holder },
      ...(token ? { token } : {}),
      ...(from ? { headers: { "x-forwarded-for": from } } : {}),
    });
  }
  const claim = (deviceCode: string) => h.http("POST", "/v1/pickups/claim", { body: { deviceCode } });

  it("releases a key created for pickup only to its approved holder's session, once", async () => {
    const created = await h.http("POST", "/v1/tokens", {
      token: h.adminToken,
      body: { name: "alice-cursor", holder: "alice@example.com", pickup: TARGET },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.secret).toBeUndefined();
    expect(created.body.token.status).toBe("pending");
    expect(created.body.token.holder).toBe("alice@example.com");
    expect(created.body.token.pickup).toMatchObject({ ...TARGET, header: "bearer", pickedUpAt: null });
    expect(created.body.token.pickup.waitingSince).not.toBeNull();
    await h.admin.createPickupToken({ name: "bob-cursor", holder: "bob", pickup: TARGET });

    const opened = await open("alice@example.com");
    expect(opened.status, opened.text).toBe(201);
    expect(opened.body).toMatchObject({ approved: false, tokens: 1, interval: 1 });
    expect(opened.body.userCode).toMatch(/^[B-Z]{4}-[B-Z]{4}$/);

    const early = await claim(opened.body.deviceCode);
    expect(early.status).toBe(400);
    expect(early.body.error.code).toBe("authorization_pending");

    const seen = await h.http("GET", `/v1/pickups/${opened.body.userCode.toLowerCase()}`, {
      token: h.adminToken,
    });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body).toMatchObject({
      holder: "alice@example.com",
      state: "waiting",
      requesterIp: "127.0.0.1",
    });
    expect(seen.body.tokens.map((t: { name: string }) => t.name)).toEqual(["alice-cursor"]);

    const approved = await h.http("POST", `/v1/pickups/${opened.body.userCode}/approve`, {
      token: h.adminToken,
    });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.state).toBe("approved");
    const again = await h.http("POST", `/v1/pickups/${opened.body.userCode}/approve`, {
      token: h.adminToken,
    });
    expect(again.status).toBe(409);

    const released = await claim(opened.body.deviceCode);
    expect(released.status, released.text).toBe(200);
    expect(released.body.tokens).toHaveLength(1);
    const [key] = released.body.tokens;
    expect(key).toMatchObject({ name: "alice-cursor", ...TARGET, header: "bearer" });
    expect((await h.admin.verify({ token: key.secret })).code).toBe("VALID");

    const replay = await claim(opened.body.deviceCode);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("expired_token");
    expect(replay.text).not.toContain(key.secret);

    const confirmed = await h.http("POST", "/v1/pickups/delivered", {
      body: { deviceCode: opened.body.deviceCode, tokens: [key.id] },
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    const token = await h.admin.getToken(key.id);
    expect(token.status).toBe("active");
    expect(token.pickup?.waitingSince).toBeNull();
    expect(token.pickup?.deliveredAt).not.toBeNull();
    const actions = (await h.admin.audit({ limit: 20 })).items.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["pickup.open", "pickup.approve", "token.pickup", "token.picked_up"]),
    );

    // Nothing waits for alice any more.
    expect((await open("alice@example.com")).status).toBe(404);
  });

  it("refuses an expired code, and an unknown one", async () => {
    await h.admin.createPickupToken({
      name: "carol-vscode",
      holder: "carol",
      pickup: { ...TARGET, client: "vscode" },
    });
    const opened = await open("carol");
    expect(opened.status, opened.text).toBe(201);
    h.clock.advance(601_000);
    const late = await claim(opened.body.deviceCode);
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe("expired_token");
    const approve = await h.http("POST", `/v1/pickups/${opened.body.userCode}/approve`, {
      token: h.adminToken,
    });
    expect(approve.status).toBe(404);
    expect((await claim("tfpk_nothing")).body.error.code).toBe("expired_token");
    expect((await claim("not-a-code")).body.error.code).toBe("expired_token");
  });

  it("lets the holder's own key approve, and a roll opens a new pickup while the old key lives through the overlap", async () => {
    await h.admin.createPickupToken({ name: "dave-cursor", holder: "dave", pickup: TARGET });
    const first = await open("dave");
    await h.http("POST", `/v1/pickups/${first.body.userCode}/approve`, { token: h.adminToken });
    const [old] = (await claim(first.body.deviceCode)).body.tokens;

    const rolled = await h.http("POST", `/v1/tokens/${old.id}/roll`, {
      token: h.adminToken,
      body: { overlap: "1h" },
    });
    expect(rolled.status, rolled.text).toBe(200);
    expect(rolled.body.secret).toBeUndefined();
    expect(rolled.body.token.pickup.waitingSince).not.toBeNull();
    expect((await h.admin.verify({ token: old.secret })).code).toBe("VALID");

    // dave's current key is his own: the session is approved at once.
    const second = await open("dave", old.secret);
    expect(second.status, second.text).toBe(201);
    expect(second.body.approved).toBe(true);
    const [fresh] = (await claim(second.body.deviceCode)).body.tokens;
    expect(fresh.secret).not.toBe(old.secret);
    expect((await h.admin.verify({ token: fresh.secret })).code).toBe("VALID");
    expect((await h.admin.verify({ token: old.secret })).code).toBe("VALID");
    h.clock.advance(3_601_000);
    expect((await h.admin.verify({ token: old.secret })).code).toBe("NOT_FOUND");
    expect((await h.admin.verify({ token: fresh.secret })).code).toBe("VALID");
  });

  it("a roll with no overlap (a leaked key) stops the key at once, and it cannot approve its successor", async () => {
    await h.admin.createPickupToken({ name: "jack-cursor", holder: "jack", pickup: TARGET });
    const first = await open("jack");
    await h.http("POST", `/v1/pickups/${first.body.userCode}/approve`, { token: h.adminToken });
    const [leaked] = (await claim(first.body.deviceCode)).body.tokens;
    expect((await h.admin.verify({ token: leaked.secret })).code).toBe("VALID");

    const rolled = await h.http("POST", `/v1/tokens/${leaked.id}/roll`, {
      token: h.adminToken,
      body: { overlap: "0s" },
    });
    expect(rolled.status, rolled.text).toBe(200);
    expect(rolled.body.secret).toBeUndefined();
    expect(rolled.body.token.status).toBe("pending");
    expect(rolled.body.token.pickup.waitingSince).not.toBeNull();
    expect((await h.admin.verify({ token: leaked.secret })).valid).toBe(false);

    // Whoever holds the leaked key cannot use it to collect the new one: an admin must approve.
    const byLeak = await open("jack", leaked.secret);
    expect(byLeak.status).toBe(401);
    const second = await open("jack");
    expect(second.body.approved).toBe(false);
    await h.http("POST", `/v1/pickups/${second.body.userCode}/approve`, { token: h.adminToken });
    const [fresh] = (await claim(second.body.deviceCode)).body.tokens;
    expect((await h.admin.verify({ token: fresh.secret })).code).toBe("VALID");
    expect((await h.admin.verify({ token: leaked.secret })).valid).toBe(false);
    expect((await h.admin.getToken(leaked.id)).status).toBe("active");
  });

  it("does not release a key to a session of its former holder", async () => {
    const key = await h.admin.createPickupToken({ name: "hank-cursor", holder: "hank", pickup: TARGET });
    const opened = await open("hank");
    expect(opened.status, opened.text).toBe(201);
    const approved = await h.http("POST", `/v1/pickups/${opened.body.userCode}/approve`, {
      token: h.adminToken,
    });
    expect(approved.status, approved.text).toBe(200);
    // hank leaves before his CLI polls: the key is now ivy's to pick up.
    const moved = await h.http("PATCH", `/v1/tokens/${key.id}`, {
      token: h.adminToken,
      body: { holder: "ivy" },
    });
    expect(moved.status, moved.text).toBe(200);
    const claimed = await claim(opened.body.deviceCode);
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.body.tokens).toEqual([]);
    // Confirming a key it was never given records nothing.
    const confirmed = await h.http("POST", "/v1/pickups/delivered", {
      body: { deviceCode: opened.body.deviceCode, tokens: [key.id] },
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.body.delivered).toBe(0);
    expect((await h.admin.getToken(key.id)).pickup?.deliveredAt).toBeNull();
    expect((await h.admin.getToken(key.id)).pickup?.waitingSince).not.toBeNull();
    expect((await open("ivy")).status).toBe(201);
  });

  it("keeps at most five sessions per holder and address waiting, and fifty per holder", async () => {
    await h.admin.createPickupToken({ name: "gina-cursor", holder: "gina", pickup: TARGET });
    for (let i = 0; i < 5; i++) expect((await open("gina")).status).toBe(201);
    const sixth = await open("gina");
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.message).toMatch(
      /^5 pickups for gina from this address already wait for approval/,
    );
    expect(sixth.headers["retry-after"]).toBe("600");
    // Someone who knows gina's name, asking from elsewhere, does not use up her own pickup.
    for (let i = 0; i < 5; i++) expect((await open("gina", undefined, "203.0.113.7")).status).toBe(201);
    expect((await open("gina", undefined, "203.0.113.7")).status).toBe(429);
    const hers = await open("gina", undefined, "198.51.100.20");
    expect(hers.status, hers.text).toBe(201);
    expect(
      (await h.http("GET", `/v1/pickups/${hers.body.userCode}`, { token: h.adminToken })).body,
    ).toMatchObject({
      requesterIp: "198.51.100.20",
    });
    // Across addresses, what anonymous requests can store for one holder stays bounded.
    // 11 wait so far; 39 more from other addresses make 50.
    for (let n = 0; n < 39; n++) {
      expect((await open("gina", undefined, `192.0.2.${1 + Math.floor(n / 5)}`)).status).toBe(201);
    }
    const full = await open("gina", undefined, "192.0.2.10");
    expect(full.status).toBe(429);
    expect(full.body.error.message).toMatch(/^50 pickups for gina already wait for approval/);
  });

  it("does not approve with someone else's key, and refuses a bad one", async () => {
    await h.admin.createPickupToken({ name: "erin-cursor", holder: "erin", pickup: TARGET });
    const other = await h.admin.createToken({ name: "someone-else" });
    const opened = await open("erin", other.secret.reveal());
    expect(opened.status, opened.text).toBe(201);
    expect(opened.body.approved).toBe(false);
    const bad = await open("erin", "mcp_sk_notAKeyOfThisServiceAtAll000000");
    expect(bad.status).toBe(401);
  });
});
