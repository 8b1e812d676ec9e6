/**
 * GitLab's masking rule, checked before a masked (or hidden) variable is sent, so a value GitLab would
 * refuse to mask fails with a clear message instead of an opaque 400. GitLab masks a value only when it
 * is a single line of at least 8 characters from the base64 alphabets of RFC 4648 (`A-Z a-z 0-9 + / =`
 * and the URL-safe `- _`) plus `@ : . ~`. Newer GitLab versions accept more characters; this is the set
 * every supported version accepts.
 *
 * tokenform tokens always qualify: `mcp_sk_` + 36 base62 characters is 43 characters of letters, digits
 * and `_`, all inside that alphabet.
 */

/** GitLab refuses to mask values shorter than this (shorter ones would mask ordinary words in job logs). */
export const GITLAB_MASK_MIN_LENGTH = 8;

const MASKABLE_CHARS = /^[A-Za-z0-9+/=_\-@:.~]*$/;

/** Why GitLab could not mask `value`, in words that never include the value; undefined when it can. */
export function maskingProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return "it spans more than one line";
  if (value.length < GITLAB_MASK_MIN_LENGTH) return `it is shorter than ${GITLAB_MASK_MIN_LENGTH} characters`;
  if (!MASKABLE_CHARS.test(value)) {
    return "it contains characters GitLab cannot mask (allowed: A-Z a-z 0-9 + / = - _ @ : . ~)";
  }
  return undefined;
}
