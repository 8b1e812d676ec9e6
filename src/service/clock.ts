/**
 * Time for the token service: every expiry, overlap, pending deadline and rate-limit window reads the
 * clock through this interface, so tests can move time forward instead of sleeping.
 */

/** A source of the current time in whole milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests of expiry, overlap and rate-limit windows. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.UTC(2030, 0, 1)) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` milliseconds (or `seconds` when given as `{ seconds }`). */
  advance(by: number | { seconds: number }): void {
    this.#now += typeof by === "number" ? by : by.seconds * 1000;
  }

  /** Jumps to an absolute time. */
  set(at: number | Date): void {
    this.#now = typeof at === "number" ? at : at.getTime();
  }
}

/** ISO 8601 (UTC, milliseconds) for an epoch-millisecond time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `iso` for nullable times. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}
