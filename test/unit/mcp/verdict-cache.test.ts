/**
 * The remote-mode verdict cache: positive verdicts only, never signed requests, dropped by token id,
 * one second of life while the invalidation channel is down, everything dropped when it is back, and no
 * caching of an answer that raced an invalidation.
 */
import { describe, expect, it } from "vitest";
import type { GuardVerifyInput } from "../../../src/mcp/guard.js";
import { type InvalidationSource, VerdictCache } from "../../../src/mcp/verdict-cache.js";
import { DISCONNECTED_TTL_MS } from "../../../src/service/cache.js";
import type { Verdict } from "../../../src/service/verifier.js";

/** A channel driven by the test. */
function channel() {
  const handlers = new Set<(id: string) => void>();
  const watchers = new Set<(up: boolean) => void>();
  let connected = false;
  const source: InvalidationSource = {
    subscribe: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    watch: (w) => {
      watchers.add(w);
      w(connected);
      return () => watchers.delete(w);
    },
  };
  return {
    source,
    invalidate: (id: string) => {
      for (const h of handlers) h(id);
    },
    setConnected: (up: boolean) => {
      connected = up;
      for (const w of watchers) w(up);
    },
  };
}

const input: GuardVerifyInput = {
  token: "mcp_sk_x",
  ip: "127.0.0.1",
  scopes: ["b", "a"],
  write: false,
  tools: [],
};
const valid: Verdict = {
  valid: true,
  code: "VALID",
  token: {
    id: "tok_1",
    name: "k",
    type: "mcp",
    scopes: [],
    labels: {},
    account: "default",
    readOnly: true,
    tools: null,
    expiresAt: null,
  },
  ratelimit: { limit: 5, remaining: 4, reset: 60 },
};

describe("VerdictCache", () => {
  it("keeps positive verdicts (without their rate-limit state) for the TTL while connected", () => {
    const bus = channel();
    const cache = new VerdictCache(60_000);
    cache.follow(bus.source);
    bus.setConnected(true);
    const key = cache.keyOf(input)!;
    expect(key).not.toContain("mcp_sk_x");
    expect(cache.keyOf({ ...input, scopes: ["a", "b"] })).toBe(key);
    expect(cache.keyOf({ ...input, write: true })).not.toBe(key);
    cache.set(key, valid, cache.epoch, 0);
    expect(cache.get(key, 59_000)).toEqual({ valid: true, code: "VALID", token: valid.token });
    expect(cache.get(key, 60_001)).toBeUndefined();
  });

  it("never keeps refusals or signed requests, nor an answer that raced an invalidation", () => {
    const bus = channel();
    const cache = new VerdictCache(60_000);
    cache.follow(bus.source);
    bus.setConnected(true);
    expect(
      cache.keyOf({ ...input, signed: { timestamp: "1", signature: "s", body: Buffer.alloc(0) } }),
    ).toBeUndefined();
    const key = cache.keyOf(input)!;
    cache.set(key, { valid: false, code: "DISABLED", message: "no" }, cache.epoch, 0);
    expect(cache.get(key, 1)).toBeUndefined();
    const epoch = cache.epoch;
    bus.invalidate("tok_other");
    cache.set(key, valid, epoch, 0);
    expect(cache.get(key, 1)).toBeUndefined();
  });

  it("drops a token's verdicts when it is invalidated", () => {
    const bus = channel();
    const cache = new VerdictCache(60_000);
    cache.follow(bus.source);
    bus.setConnected(true);
    const key = cache.keyOf(input)!;
    cache.set(key, valid, cache.epoch, 0);
    bus.invalidate("tok_1");
    expect(cache.get(key, 1)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("keeps verdicts at most a second while disconnected, and drops all when the channel is back", () => {
    const bus = channel();
    const cache = new VerdictCache(60_000);
    cache.follow(bus.source);
    const key = cache.keyOf(input)!;
    cache.set(key, valid, cache.epoch, 0);
    expect(cache.get(key, DISCONNECTED_TTL_MS)).toBeDefined();
    expect(cache.get(key, DISCONNECTED_TTL_MS + 1)).toBeUndefined();
    cache.set(key, valid, cache.epoch, 0);
    bus.setConnected(true);
    expect(cache.get(key, 1)).toBeUndefined();
  });
});
