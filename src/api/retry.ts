/**
 * What every HTTP caller of tokenform — the API client and each sink — reads from a failed answer to
 * decide whether and when to try again: one transient-status rule and one `Retry-After` parser, in
 * milliseconds. (Two copies once disagreed: `"1.5"` was 0 s to one and 1,500 ms to the other, and 408
 * was transient only to the sinks.)
 */

/** HTTP statuses worth retrying: request timeout, rate limited, or the server (or a proxy) failed. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds (fractions allowed, as some servers send
 * them) or an HTTP date; undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfterMs(
  value: string | readonly string[] | null | undefined,
  now = Date.now(),
): number | undefined {
  const text = (typeof value === "string" ? value : value?.[0])?.trim();
  if (!text) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
