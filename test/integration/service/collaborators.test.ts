/**
 * The service's collaborators come through its options: a fake clock, a counting (asynchronous) rate
 * limiter, a recording usage sink, a recording invalidation bus and a logger, each injected into a real
 * service on a loopback port and seen in use; and one bus shared by two services on one database carries
 * a write on one to the other's key cache.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/service/clock.js";
import { type Invalidation, LocalInvalidation } from "../../../src/service/invalidation.js";
import type { PendingUsage } from "../../../src/service/lifecycle.js";
import {
  type Limiter,
  type RateDecision,
  RateLimiter,
  type RateRule,
} from "../../../src/service/ratelimit.js";
import type { UsageSink } from "../../../src/service/usage-sink.js";
import { serviceHarness } from "./harness.js";

/** A fixed clock that counts its readings. */
class FixedClock implements Clock {
  readings = 0;
  constructor(readonly at: number) {}
  now(): number {
    this.readings++;
    return this.at;
  }
}

/** The in-memory limiter behind a promise (as a shared limiter answers), counting checks and releases. */
class CountingLimiter implements Limiter {
  readonly inner = new RateLimiter();
  checks: RateRule[][] = [];
  /** When set, every check is refused with this decision. */
  refuse: RateDecision | undefined;
  async check(rules: readonly RateRule[], now: number): Promise<RateDecision> {
    this.checks.push([...rules]);
    return this.refuse ?? this.inner.check(rules, now);
  }
  async release(rules: readonly RateRule[], at: number): Promise<void> {
    this.inner.release(rules, at);
  }
}

/** Records every call; keeps nothing but what `peek` should show. */
class RecordingUsage implements UsageSink {
  calls: string[] = [];
  pending = new Map<string, PendingUsage>();
  success(tokenId: string, ip: string | undefined, now: number): void {
    this.calls.push(`success ${tokenId}`);
    const p = this.pending.get(tokenId) ?? { requests: 0, failures: 0, lastUsedAt: null, lastUsedIp: null };
    this.pending.set(tokenId, { ...p, requests: p.requests + 1, lastUsedAt: now, lastUsedIp: ip ?? null });
  }
  failure(tokenId: string): void {
    this.calls.push(`failure ${tokenId}`);
  }
  peek(tokenId: string): PendingUsage | undefined {
    return this.pending.get(tokenId);
  }
  async flush(): Promise<void> {
    this.calls.push("flush");
  }
  start(): void {
    this.calls.push("start");
  }
  stop(): void {
    this.calls.push("stop");
  }
}

/** The in-process bus, recording what is published. */
class RecordingInvalidation implements Invalidation {
  readonly inner = new LocalInvalidation();
  published: string[] = [];
  publish(tokenId: string): void {
    this.published.push(tokenId);
    this.inner.publish(tokenId);
  }
  subscribe(handler: (tokenId: string) => void): () => void {
    return this.inner.subscribe(handler);
  }
}

function memoryLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: "debug" }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("service collaborators", () => {
  it("uses the injected clock, limiter, usage sink, invalidation bus and logger", async () => {
    const clock = new FixedClock(Date.UTC(2031, 5, 1, 8));
    const limiter = new CountingLimiter();
    const usage = new RecordingUsage();
    const invalidation = new RecordingInvalidation();
    const { logger, lines } = memoryLogger();
    {
      await using h = await serviceHarness({ clock, limiter, usage, invalidation, logger });
      expect(usage.calls).toEqual(["start"]);
      expect(lines().some((l) => l.msg === "token service listening")).toBe(true);

      const issued = await h.admin.createToken({ name: "probe", scopes: ["mcp:read"] });
      const id = issued.token.id;
      // The clock: the token was created at the injected time.
      expect(issued.token.createdAt).toBe(new Date(clock.at).toISOString());
      expect(clock.readings).toBeGreaterThan(0);

      // The limiter answers with a promise: the verify path awaits it and sends its state back.
      const ok = await h.http("POST", "/v1/verify", { body: { token: issued.secret.reveal() } });
      expect(ok.body).toMatchObject({ valid: true, code: "VALID" });
      expect(limiter.checks.map((rules) => rules.map((r) => r.key))).toContainEqual([`k:${id}:m`]);
      expect(ok.body.ratelimit).toMatchObject({ limit: 1000, remaining: 999 });
      // An asynchronous limiter keeps cached keys off the synchronous path, which would not wait for it.
      expect(h.service.verifier.verifyCached({ token: issued.secret.reveal() })).toBeUndefined();
      limiter.refuse = { allowed: false, limit: 7, remaining: 0, reset: 60, retryAfter: 42 };
      const refused = await h.http("POST", "/v1/verify", { body: { token: issued.secret.reveal() } });
      expect(refused.body).toMatchObject({ valid: false, code: "RATE_LIMITED" });
      expect(refused.body.ratelimit).toMatchObject({ limit: 7, remaining: 0 });

      // The usage sink: one success and one failure were recorded, and its pending counts show in reads.
      expect(usage.calls).toContain(`success ${id}`);
      expect(usage.calls).toContain(`failure ${id}`);
      expect((await h.admin.getToken(id)).requestCount).toBe(1);

      // The invalidation bus: the write was published, and the cache followed it.
      const before = invalidation.published.length;
      await h.admin.updateToken(id, { enabled: false });
      expect(invalidation.published.slice(before)).toContain(id);
      limiter.refuse = undefined;
      const disabled = await h.http("POST", "/v1/verify", { body: { token: issued.secret.reveal() } });
      expect(disabled.body).toMatchObject({ valid: false, code: "DISABLED" });
    }
    // Closing stops the sink and flushes it, and unsubscribes the cache from the bus.
    expect(usage.calls.slice(-2)).toEqual(["stop", "flush"]);
    expect(lines().some((l) => l.msg === "token service stopped")).toBe(true);
  });

  it("carries a write on one service to another's key cache through a shared bus", async () => {
    const bus = new LocalInvalidation();
    await using a = await serviceHarness({ invalidation: bus });
    await using b = await serviceHarness({ dbPath: a.dbPath, invalidation: bus });
    await using lone = await serviceHarness({ dbPath: a.dbPath });
    const issued = await a.admin.createToken({ name: "shared" });
    const key = issued.secret.reveal();
    for (const h of [b, lone]) {
      expect((await h.http("POST", "/v1/verify", { body: { token: key } })).body.valid).toBe(true);
    }
    await a.admin.updateToken(issued.token.id, { enabled: false });
    // B heard of the write at once; the service on its own bus still answers from its cache (until its TTL).
    expect((await b.http("POST", "/v1/verify", { body: { token: key } })).body.code).toBe("DISABLED");
    expect((await lone.http("POST", "/v1/verify", { body: { token: key } })).body.valid).toBe(true);
  });
});
