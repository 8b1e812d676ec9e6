/**
 * Which writes publish an invalidation: every one that can narrow what a key may do — delete, disable,
 * emergency roll, a confirmed roll (its overlap starts), the sweeper's lapsed overlaps and pending rolls,
 * scope / allowlist / tool / read-only / rate-limit changes — publishes the token's id, which is what
 * carries it to the other instances. Time alone (an expiry or an overlap that ends) needs no message: each
 * cached entry holds its deadlines and the verifier checks them on every request.
 */
import { describe, expect, it } from "vitest";
import { type Invalidation, LocalInvalidation } from "../../../src/service/invalidation.js";
import { serviceHarness } from "../service/harness.js";

/** The in-process channel, recording every published id. */
class RecordingInvalidation implements Invalidation {
  readonly #inner = new LocalInvalidation();
  published: string[] = [];

  publish(tokenId: string): void {
    this.published.push(tokenId);
    this.#inner.publish(tokenId);
  }

  subscribe(handler: (tokenId: string) => void): () => void {
    return this.#inner.subscribe(handler);
  }

  /** The ids published while `write` ran. */
  async during(write: () => Promise<unknown>): Promise<string[]> {
    const before = this.published.length;
    await write();
    return this.published.slice(before);
  }
}

describe("the token manager publishes an invalidation", () => {
  it("for each kind of write that narrows a key", async () => {
    const invalidation = new RecordingInvalidation();
    await using h = await serviceHarness({ invalidation });
    const { admin } = h;
    const make = async (name: string) =>
      (
        await admin.createToken({
          name,
          scopes: ["tools:call", "contexts:read"],
          tools: ["a", "b"],
          readOnly: false,
        })
      ).token.id;

    const writes: [string, (id: string) => Promise<unknown>][] = [
      ["delete", (id) => admin.deleteToken(id)],
      ["disable", (id) => admin.updateToken(id, { enabled: false })],
      ["emergency roll", (id) => admin.rollToken(id, { overlap: "0s" })],
      ["roll with an overlap", (id) => admin.rollToken(id, { overlap: "1h" })],
      ["scope change", (id) => admin.updateToken(id, { scopes: ["contexts:read"] })],
      ["allowlist change", (id) => admin.updateToken(id, { ipAllowlist: ["192.0.2.0/24"] })],
      ["tool allowlist change", (id) => admin.updateToken(id, { tools: ["a"] })],
      ["read-only change", (id) => admin.updateToken(id, { readOnly: true })],
      ["rate-limit change", (id) => admin.updateToken(id, { rateLimit: { perMinute: 1 } })],
      ["expiry brought forward", (id) => admin.updateToken(id, { expiresAt: "2030-01-02T00:00:00Z" })],
    ];
    for (const [kind, write] of writes) {
      const id = await make(kind.replaceAll(" ", "-"));
      expect(await invalidation.during(() => write(id)), kind).toEqual([id]);
    }
  });

  it("when a pending roll is confirmed, and when the sweeper drops a lapsed overlap or pending roll", async () => {
    const invalidation = new RecordingInvalidation();
    await using h = await serviceHarness({ invalidation, pendingTtlSeconds: 60 });
    const { admin, clock } = h;
    const confirmed = (await admin.createToken({ name: "confirmed" })).token.id;
    await admin.rollToken(confirmed, { overlap: "1h", pending: true });
    expect(await invalidation.during(() => admin.confirmToken(confirmed))).toEqual([confirmed]);

    const unconfirmed = (await admin.createToken({ name: "unconfirmed" })).token.id;
    await admin.rollToken(unconfirmed, { overlap: "1h", pending: true });
    clock.advance({ seconds: 3601 });
    const swept = await invalidation.during(() => h.service.sweep());
    expect(swept).toEqual(expect.arrayContaining([confirmed, unconfirmed]));
  });

  it("but not for time alone: an expiry or the end of an overlap is refused from the cache, with no message", async () => {
    // No channel at all: nothing can tell the cache, so a refusal here comes from the cached deadlines.
    const silent: Invalidation = { publish: () => undefined, subscribe: () => () => undefined };
    await using h = await serviceHarness({ invalidation: silent, cacheTtlMs: 10 * 3_600_000 });
    const { admin, clock } = h;
    const expiring = (await admin.createToken({ name: "expiring", expiresIn: "1h" })).secret.reveal();
    const rolled = await admin.createToken({ name: "rolled" });
    const old = rolled.secret.reveal();
    await admin.rollToken(rolled.token.id, { overlap: "1h" });
    expect((await admin.verify({ token: expiring })).code).toBe("VALID");
    expect((await admin.verify({ token: old })).code).toBe("VALID");

    clock.advance({ seconds: 3601 });
    expect((await admin.verify({ token: expiring })).code).toBe("EXPIRED");
    expect((await admin.verify({ token: old })).code).toBe("EXPIRED");
  });
});
