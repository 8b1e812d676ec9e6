/**
 * The one usage-merge rule (src/service/store/usage-merge.ts): counters and hourly buckets add up, the later
 * last use wins, per-address uses keep the earliest first and latest last sighting and add their counts, and a same-millisecond tie is settled by the IPs alone (a known IP over none, then the one
 * that sorts last), so the result never depends on the order of merging. The accumulator puts a failed
 * flush back with the same rule.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { TokenStore, UsageDelta } from "../../../src/service/store/types.js";
import {
  foldDeltas,
  isLaterUse,
  laterUse,
  mergeUsage,
  storedAfter,
  type UsageTotals,
} from "../../../src/service/store/usage-merge.js";
import { UsageAccumulator } from "../../../src/service/usage.js";

const T = Date.UTC(2030, 0, 1, 12);
const HOUR = 3_600_000;

function totals(extra: Partial<UsageTotals> = {}): UsageTotals {
  return { requests: 0, failures: 0, lastUsedAt: null, lastUsedIp: null, hours: new Map(), ...extra };
}

function delta(tokenId: string, extra: Partial<UsageTotals> = {}): UsageDelta {
  return { tokenId, ...totals(extra), hours: new Map(extra.hours ?? []) };
}

describe("last use", () => {
  it("is the later time, whatever the IPs", () => {
    const early = { lastUsedAt: T, lastUsedIp: "203.0.113.9" };
    const late = { lastUsedAt: T + 1, lastUsedIp: null };
    expect(laterUse(early, late)).toEqual(late);
    expect(laterUse(late, early)).toEqual(late);
    expect(laterUse({ lastUsedAt: null, lastUsedIp: null }, early)).toEqual(early);
    expect(laterUse(early, { lastUsedAt: null, lastUsedIp: "198.51.100.1" })).toEqual(early);
  });

  it("settles equal times by the IPs alone: a known IP over none, then the one that sorts last", () => {
    const a = { lastUsedAt: T, lastUsedIp: "198.51.100.7" };
    const b = { lastUsedAt: T, lastUsedIp: "203.0.113.9" };
    const none = { lastUsedAt: T, lastUsedIp: null };
    expect(laterUse(a, b)).toEqual(b);
    expect(laterUse(b, a)).toEqual(b);
    expect(laterUse(none, a)).toEqual(a);
    expect(laterUse(a, none)).toEqual(a);
    expect(isLaterUse(a, a)).toBe(false);
    expect(isLaterUse(none, none)).toBe(false);
  });

  it("does not depend on the order of merging (commutative and associative)", () => {
    const uses = [
      { lastUsedAt: T, lastUsedIp: "198.51.100.7" },
      { lastUsedAt: T, lastUsedIp: "203.0.113.9" },
      { lastUsedAt: T, lastUsedIp: null },
      { lastUsedAt: T - 5, lastUsedIp: "2001:db8::1" },
      { lastUsedAt: null, lastUsedIp: null },
    ];
    for (const x of uses) {
      for (const y of uses) {
        expect(laterUse(x, y)).toEqual(laterUse(y, x));
        for (const z of uses) expect(laterUse(laterUse(x, y), z)).toEqual(laterUse(x, laterUse(y, z)));
      }
    }
  });
});

describe("mergeUsage", () => {
  it("adds counters and hourly buckets and leaves both inputs as they were", () => {
    const a = totals({
      requests: 3,
      failures: 1,
      lastUsedAt: T,
      lastUsedIp: "198.51.100.7",
      hours: new Map([[T, { requests: 3, failures: 1 }]]),
      addresses: new Map([["198.51.100.7", { firstSeen: T - 5, lastSeen: T, count: 3 }]]),
    });
    const b = totals({
      requests: 2,
      lastUsedAt: T + 9,
      lastUsedIp: "2001:db8::1",
      hours: new Map([
        [T, { requests: 1, failures: 0 }],
        [T + HOUR, { requests: 1, failures: 0 }],
      ]),
      addresses: new Map([
        ["198.51.100.7", { firstSeen: T - 9, lastSeen: T - 7, count: 1 }],
        ["2001:db8::1", { firstSeen: T + 9, lastSeen: T + 9, count: 1 }],
      ]),
    });
    const merged = mergeUsage(a, b);
    expect(merged).toEqual({
      requests: 5,
      failures: 1,
      lastUsedAt: T + 9,
      lastUsedIp: "2001:db8::1",
      hours: new Map([
        [T, { requests: 4, failures: 1 }],
        [T + HOUR, { requests: 1, failures: 0 }],
      ]),
      // Per address: the earliest first-seen, the latest last-seen, the counts added.
      addresses: new Map([
        ["198.51.100.7", { firstSeen: T - 9, lastSeen: T, count: 4 }],
        ["2001:db8::1", { firstSeen: T + 9, lastSeen: T + 9, count: 1 }],
      ]),
    });
    expect(mergeUsage(b, a)).toEqual(merged);
    expect(a.addresses?.get("198.51.100.7")).toEqual({ firstSeen: T - 5, lastSeen: T, count: 3 });
    expect(a.hours.get(T)).toEqual({ requests: 3, failures: 1 });
    expect(b.hours.get(T)).toEqual({ requests: 1, failures: 0 });
    expect(merged.hours.get(T + HOUR)).not.toBe(b.hours.get(T + HOUR));
  });

  it("folds a batch into one delta per token, in token id order", () => {
    const folded = foldDeltas([
      delta("tok_b", { requests: 1, lastUsedAt: T, lastUsedIp: "203.0.113.9" }),
      delta("tok_a", { failures: 2 }),
      delta("tok_b", { requests: 2, lastUsedAt: T, lastUsedIp: "198.51.100.7" }),
    ]);
    expect(folded.map((d) => [d.tokenId, d.requests, d.failures, d.lastUsedIp])).toEqual([
      ["tok_a", 0, 2, null],
      ["tok_b", 3, 0, "203.0.113.9"],
    ]);
  });

  it("adds a flush to a stored token's counters", () => {
    const stored = { requestCount: 10, failedAttempts: 4, lastUsedAt: T, lastUsedIp: "203.0.113.9" };
    expect(
      storedAfter(stored, totals({ requests: 1, failures: 1, lastUsedAt: T, lastUsedIp: "10.0.0.1" })),
    ).toEqual({ requestCount: 11, failedAttempts: 5, lastUsedAt: T, lastUsedIp: "203.0.113.9" });
  });
});

describe("UsageAccumulator", () => {
  /** A store whose usage flush fails once, then records what it is given. */
  function flakyStore() {
    const applied: UsageDelta[][] = [];
    let failures = 1;
    const store = {
      async applyUsage(deltas: readonly UsageDelta[]) {
        if (failures-- > 0) throw new Error("database away");
        applied.push([...deltas]);
      },
    } as Partial<TokenStore> as TokenStore;
    return { store, applied };
  }

  it("settles same-millisecond uses by the rule, and puts a failed flush back merged with the same rule", async () => {
    const { store, applied } = flakyStore();
    const usage = new UsageAccumulator({ store, flushIntervalMs: 0, logger: pino({ level: "silent" }) });
    usage.success("tok_a", "203.0.113.9", T);
    usage.success("tok_a", "198.51.100.7", T); // same millisecond, sorts first: not the last use
    usage.failure("tok_a", T + 1);
    const failing = usage.flush();
    // Counted while that flush is under way: a tie again (its IP sorts first) and a use in the next hour.
    usage.success("tok_a", "10.0.0.1", T);
    usage.success("tok_a", undefined, T + HOUR);
    await expect(failing).rejects.toThrow("database away");
    expect(usage.peek("tok_a")).toMatchObject({
      requests: 4,
      failures: 1,
      lastUsedAt: T + HOUR,
      lastUsedIp: null,
    });
    await usage.flush();
    const hour = T - (T % HOUR);
    expect(applied).toEqual([
      [
        {
          tokenId: "tok_a",
          requests: 4,
          failures: 1,
          lastUsedAt: T + HOUR,
          lastUsedIp: null,
          hours: new Map([
            [hour, { requests: 3, failures: 1 }],
            [hour + HOUR, { requests: 1, failures: 0 }],
          ]),
          // Successful uses per address, including those of the failed flush; no address, no entry.
          addresses: new Map([
            ["203.0.113.9", { firstSeen: T, lastSeen: T, count: 1 }],
            ["198.51.100.7", { firstSeen: T, lastSeen: T, count: 1 }],
            ["10.0.0.1", { firstSeen: T, lastSeen: T, count: 1 }],
          ]),
        },
      ],
    ]);
  });

  it("keeps the tie-break after a failed flush: the restored batch's IP wins when it sorts last", async () => {
    const { store, applied } = flakyStore();
    const usage = new UsageAccumulator({ store, flushIntervalMs: 0, logger: pino({ level: "silent" }) });
    usage.success("tok_a", "203.0.113.9", T);
    const failing = usage.flush();
    usage.success("tok_a", "10.0.0.1", T); // counted while the flush is under way
    await expect(failing).rejects.toThrow("database away");
    usage.success("tok_a", "10.0.0.1", T); // the same hour keeps counting into the merged bucket
    await usage.flush();
    expect(applied[0]![0]).toMatchObject({ requests: 3, lastUsedAt: T, lastUsedIp: "203.0.113.9" });
    expect([...applied[0]![0]!.hours.values()]).toEqual([{ requests: 3, failures: 0 }]);
    expect(applied[0]![0]!.addresses).toEqual(
      new Map([
        ["203.0.113.9", { firstSeen: T, lastSeen: T, count: 1 }],
        ["10.0.0.1", { firstSeen: T, lastSeen: T, count: 2 }],
      ]),
    );
  });
});
