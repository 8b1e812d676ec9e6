/**
 * The one rule for merging usage: counters add up, hourly buckets add up, the last use is the later one, and
 * per-address uses keep the earliest first-seen, the latest last-seen and the sum of counts.
 * Both stores fold a flush into the stored counters with it, the PostgreSQL store folds a batch's deltas of
 * one token with it, the accumulator puts a failed flush back with it, and API reads add unflushed usage
 * to the stored one with it.
 *
 * Equal times: the last use with the known IP wins over one without, then the IP that sorts last (UTF-16
 * code units). So the merge is commutative and associative: what is stored does not depend on the order in
 * which instances flush, a batch is folded or a failed flush is put back (before, the use recorded or
 * flushed last won a tie, so two instances sharing a database could store either IP).
 */
import type { UsageDelta, UsageFields } from "./types.js";

/** The last use of a token: when (epoch ms, null = never) and from which IP. */
export interface LastUse {
  lastUsedAt: number | null;
  lastUsedIp: string | null;
}

/** Counts of one hour. */
export interface HourCounts {
  requests: number;
  failures: number;
}

/** Successful uses of a token from one client address: first and last (epoch ms) and how many. */
export interface AddressUse {
  firstSeen: number;
  lastSeen: number;
  count: number;
}

/** Addresses a token keeps (the most recently seen; older ones are dropped at each flush). */
export const ADDRESSES_KEPT = 20;

/**
 * Usage counted over some span: totals, last use, per-hour counts (hour start, epoch ms → counts) and
 * per-address uses (client IP → first/last seen and count; absent = none).
 */
export interface UsageTotals extends LastUse {
  requests: number;
  failures: number;
  hours: ReadonlyMap<number, HourCounts>;
  addresses?: ReadonlyMap<string, AddressUse>;
}

/** One address's uses in two spans together: the earlier first, the later last, the counts added. */
export function mergeAddressUse(a: AddressUse, b: AddressUse): AddressUse {
  return {
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    count: a.count + b.count,
  };
}

function mergeAddresses(
  a: ReadonlyMap<string, AddressUse> | undefined,
  b: ReadonlyMap<string, AddressUse> | undefined,
): Map<string, AddressUse> {
  const out = new Map<string, AddressUse>(a ?? []);
  for (const [ip, use] of b ?? []) {
    const into = out.get(ip);
    out.set(ip, into ? mergeAddressUse(into, use) : { ...use });
  }
  return out;
}

/** Whether `candidate` is a later use than `current` (see the module comment for equal times). */
export function isLaterUse(candidate: LastUse, current: LastUse): boolean {
  if (candidate.lastUsedAt === null) return false;
  if (current.lastUsedAt === null || candidate.lastUsedAt > current.lastUsedAt) return true;
  if (candidate.lastUsedAt < current.lastUsedAt) return false;
  if (candidate.lastUsedIp === null) return false;
  return current.lastUsedIp === null || candidate.lastUsedIp > current.lastUsedIp;
}

/** The later of two last uses. */
export function laterUse(a: LastUse, b: LastUse): LastUse {
  const later = isLaterUse(b, a) ? b : a;
  return { lastUsedAt: later.lastUsedAt, lastUsedIp: later.lastUsedIp };
}

/** `a` and `b` together (neither is changed; the result shares no bucket with them). */
export function mergeUsage(
  a: UsageTotals,
  b: UsageTotals,
): UsageTotals & { hours: Map<number, HourCounts>; addresses: Map<string, AddressUse> } {
  const hours = new Map<number, HourCounts>();
  for (const from of [a.hours, b.hours]) {
    for (const [hour, counts] of from) {
      const into = hours.get(hour);
      if (into) {
        into.requests += counts.requests;
        into.failures += counts.failures;
      } else hours.set(hour, { ...counts });
    }
  }
  const addresses = mergeAddresses(a.addresses, b.addresses);
  return {
    requests: a.requests + b.requests,
    failures: a.failures + b.failures,
    ...laterUse(a, b),
    hours,
    addresses,
  };
}

/**
 * A batch with one delta per token (merged), in token id order — the order the PostgreSQL store locks
 * rows in. A set-based UPDATE or ON CONFLICT must not meet the same row twice in one statement.
 */
export function foldDeltas(deltas: readonly UsageDelta[]): UsageDelta[] {
  const out = new Map<string, UsageDelta>();
  for (const delta of deltas) {
    const into = out.get(delta.tokenId);
    out.set(delta.tokenId, { tokenId: delta.tokenId, ...mergeUsage(into ?? NO_USAGE, delta) });
  }
  return [...out.keys()].sort().map((id) => out.get(id)!);
}

const NO_HOURS: ReadonlyMap<number, HourCounts> = new Map();
const NO_USAGE: UsageTotals = {
  requests: 0,
  failures: 0,
  lastUsedAt: null,
  lastUsedIp: null,
  hours: NO_HOURS,
};

/** A stored token's usage columns after a flush of `delta`. */
export function storedAfter(stored: UsageFields, delta: UsageTotals): UsageFields {
  const merged = mergeUsage(
    {
      requests: stored.requestCount,
      failures: stored.failedAttempts,
      lastUsedAt: stored.lastUsedAt,
      lastUsedIp: stored.lastUsedIp,
      hours: NO_HOURS,
    },
    { ...delta, hours: NO_HOURS },
  );
  return {
    requestCount: merged.requests,
    failedAttempts: merged.failures,
    lastUsedAt: merged.lastUsedAt,
    lastUsedIp: merged.lastUsedIp,
  };
}
