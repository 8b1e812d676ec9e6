/**
 * The words a server-wide rate limit is written in (`tokenform serve --account-rate-limit`,
 * `--key-rate-limit` and their environment variables): a whole number of requests, or `unlimited`.
 */

/** A server-wide limit as read: a number of requests, null for unlimited, or why the text is neither. */
export function parseRateSetting(
  text: string,
): { ok: true; limit: number | null } | { ok: false; problem: string } {
  const value = text.trim();
  if (value === "unlimited") return { ok: true, limit: null };
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number.isSafeInteger(Number(value))) {
    return { ok: true, limit: Number(value) };
  }
  return {
    ok: false,
    problem: 'is not a limit: write a whole number of requests (at least 1) or "unlimited"',
  };
}
