/** Showing times and counts the same way on every page. */

/** `2026-12-02 20:05 UTC`, or the fallback for null. */
export function when(iso: string | null | undefined, none = "never"): string {
  if (!iso) return none;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const UNITS: Array<[number, string]> = [
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
];

/** `3 days ago`, `in 2 hours`, `just now`. */
export function relative(iso: string | null | undefined, now = Date.now(), none = "never"): string {
  if (!iso) return none;
  const diff = Date.parse(iso) - now;
  for (const [ms, unit] of UNITS) {
    const n = Math.trunc(Math.abs(diff) / ms);
    if (n >= 1) {
      const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
      return diff < 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return "just now";
}

/**
 * `waits for alice@example.com's pickup since 2026-12-02 20:05 UTC (2 days ago)` for a key whose secret
 * waits for its holder (`tokenform pickup`), or undefined when nothing waits.
 */
export function waitingPickup(
  token: { holder: string | null; pickup: { waitingSince: string | null } | null },
  now = Date.now(),
): string | undefined {
  const since = token.pickup?.waitingSince;
  if (!since) return undefined;
  return `waits for ${token.holder ?? "its holder"}'s pickup since ${when(since)} (${relative(since, now)})`;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
