/**
 * Who may touch which key, against a real service: a lesser admin key can neither roll a stronger one (and
 * so receive its secret) nor disable, delete, narrow or loosen it; a restricted key cannot widen its own
 * restrictions or mint an unrestricted twin; every refusal is audited; `mcp` and `agent` keys stay
 * manageable by any key with `tokens:write`.
 */
import { describe, expect, it } from "vitest";
import { serviceHarness } from "./harness.js";

describe("admin authority", () => {
  it("stops a tokens:write key from taking over, disabling, deleting or reshaping a tokens:* key", async () => {
    await using h = await serviceHarness();
    const bootstrap = (await h.admin.whoami()).tokenId;
    const lesser = await h.admin.createToken({ name: "lesser", type: "admin", scopes: ["tokens:write"] });
    const api = h.client(lesser.secret);
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ["roll", () => api.rollToken(bootstrap, { overlap: "0s" })],
      ["disable", () => api.updateToken(bootstrap, { enabled: false })],
      ["set readOnly", () => api.updateToken(bootstrap, { readOnly: true })],
      ["change the IP allowlist", () => api.updateToken(bootstrap, { ipAllowlist: ["203.0.113.0/24"] })],
      ["rename", () => api.updateToken(bootstrap, { name: "mine-now" })],
      ["delete", () => api.deleteToken(bootstrap)],
      ["confirm", () => api.confirmToken(bootstrap)],
    ];
    for (const [what, attempt] of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e as { status?: number; code?: string; message?: string },
      );
      expect(error?.status, what).toBe(403);
      expect(error?.code, what).toBe("authority_exceeded");
      expect(error?.message, what).toContain(
        "bootstrap-admin: its scopes tokens:* are not all held by this key (tokens:write)",
      );
    }
    // The bootstrap key is untouched and still works.
    expect(await h.admin.getToken(bootstrap)).toMatchObject({
      enabled: true,
      generation: 1,
      readOnly: false,
    });
    const refusals = (await h.admin.audit({ targetId: bootstrap })).items.filter(
      (e) => e.action === "token.refused",
    );
    // Newest first: one audit entry per refused attempt, naming the action.
    expect(refusals.map((e) => e.changes.action?.to)).toEqual([
      "token.confirm",
      "token.delete",
      "token.update",
      "token.update",
      "token.update",
      "token.update",
      "token.roll",
    ]);
    expect(refusals.every((e) => e.actor === "lesser")).toBe(true);
    // The lesser key still manages keys that carry service scopes only.
    const mcp = await api.createToken({ name: "ide", scopes: ["tools:call"] });
    await api.rollToken(mcp.token.id, { overlap: "0s" });
    await api.updateToken(mcp.token.id, { enabled: false });
    await api.deleteToken(mcp.token.id);
  });

  it("keeps a restricted key from widening itself or minting an unrestricted twin", async () => {
    await using h = await serviceHarness();
    const fenced = await h.admin.createToken({
      name: "fenced",
      type: "admin",
      scopes: ["tokens:read", "tokens:write"],
      ipAllowlist: ["127.0.0.1/32"],
      expiresIn: "1h",
    });
    const api = h.client(fenced.secret);
    const self = fenced.token.id;
    const refused = async (attempt: Promise<unknown>) =>
      attempt.then(
        () => "allowed",
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    expect(await refused(api.updateToken(self, { ipAllowlist: [] }))).toMatch(
      /^authority_exceeded: PATCH \/v1\/tokens\/tok_\w+: this key may not update fenced: its IP allowlist \(any address\) is wider than this key's \(127\.0\.0\.1\/32\)/,
    );
    expect(await refused(api.updateToken(self, { expiresAt: null }))).toMatch(
      /^authority_exceeded: .*it expires never, after this key/,
    );
    expect(await refused(api.createToken({ name: "twin", type: "admin", scopes: ["tokens:write"] }))).toMatch(
      /^authority_exceeded: POST \/v1\/tokens: this key may not create twin: its IP allowlist \(any address\) is wider/,
    );
    // As narrow as itself (or narrower) is fine, and so is rolling itself.
    const twin = await api.createToken({
      name: "twin",
      type: "admin",
      scopes: ["tokens:read"],
      ipAllowlist: ["127.0.0.1/32"],
      expiresIn: "30m",
    });
    expect(twin.token.scopes).toEqual(["tokens:read"]);
    await api.updateToken(self, { description: "still fenced" });
    const rolled = await api.rollToken(self, { overlap: "0s" });
    expect((await h.client(rolled.secret).whoami()).name).toBe("fenced");
    // Nor may it dress a key up as an embedded session key, which acts without limits.
    expect(
      await refused(
        h.client(rolled.secret).createToken({
          name: "sneaky",
          type: "admin",
          ipAllowlist: ["127.0.0.1/32"],
          expiresIn: "30m",
          labels: { "tokenform.dev/session": "true" },
        }),
      ),
    ).toMatch(/^unprocessable: .*tokenform\.dev\/session is reserved for the service's own session keys/);
    expect(await refused(h.admin.updateToken(self, { labels: { "tokenform.dev/session": "true" } }))).toMatch(
      /^unprocessable: /,
    );
    const after = await h.admin.getToken(self);
    expect(after.ipAllowlist).toEqual(["127.0.0.1/32"]);
    expect(after.expiresAt).not.toBeNull();
  });
});
