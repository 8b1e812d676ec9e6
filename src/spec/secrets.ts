/**
 * Raw secrets pasted into a spec: tokenform tokens (prefix + valid checksum, via `findTokens`), other
 * well-known credential formats, and long high-entropy strings. Finding one is an error; the finding and
 * every message about it show only a short prefix, never the secret. `redactSecrets` masks the same
 * things in any text (code frames print source lines).
 */
import { DESTINATION_KIND_NAMES } from "../destinations/registry.js";
import { findTokens } from "./token-format.js";

/** A secret-looking substring of a text. */
export interface SecretFinding {
  /** Offset of the secret in the scanned text. */
  index: number;
  length: number;
  /** What it looks like, for the message ("a GitHub token"). */
  kind: string;
  /** A safe prefix to show, e.g. `ghp_` or `mcp_sk_AbCd`. */
  shown: string;
}

/** Well-known credential formats; `shown` is the part of the match that may be displayed. */
const KNOWN: Array<{ re: RegExp; kind: string; shown: (m: string) => string }> = [
  { re: /gh[pousr]_[A-Za-z0-9]{36,}/g, kind: "a GitHub token", shown: (m) => m.slice(0, 4) },
  {
    re: /github_pat_[A-Za-z0-9_]{22,}/g,
    kind: "a GitHub fine-grained personal access token",
    shown: () => "github_pat_",
  },
  {
    re: /gl(?:pat|ptt|dt|rt|cbt|oas|ffct|imt|agent|soat)-[A-Za-z0-9_-]{20,}/g,
    kind: "a GitLab token",
    shown: (m) => m.slice(0, m.indexOf("-") + 1),
  },
  {
    re: /sk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}/g,
    kind: "an API secret key (sk-…)",
    shown: () => "sk-",
  },
  {
    re: /(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g,
    kind: "a Stripe secret key",
    shown: (m) => m.slice(0, 8),
  },
  { re: /xox[abprs]-[A-Za-z0-9-]{10,}/g, kind: "a Slack token", shown: (m) => m.slice(0, 5) },
  { re: /(?:AKIA|ASIA)[A-Z0-9]{16}/g, kind: "an AWS access key id", shown: (m) => m.slice(0, 4) },
  { re: /AIza[0-9A-Za-z_-]{35}/g, kind: "a Google API key", shown: () => "AIza" },
  { re: /npm_[A-Za-z0-9]{36}/g, kind: "an npm token", shown: () => "npm_" },
  {
    re: /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
    kind: "a JSON Web Token",
    shown: () => "eyJ",
  },
  { re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/g, kind: "a private key", shown: () => "-----BEGIN" },
];

/**
 * Long high-entropy strings. Tuned so that names, descriptions, paths, UUIDs, hex digests (commit SHAs
 * are fine as `rotate` triggers), CamelCase identifiers and durations are not flagged, while random
 * base62/base64 secrets of 24+ characters are:
 * - at least `MIN_LENGTH` characters of the base64/base62 alphabet;
 * - upper case, lower case and digits all present (hex and slugs never have all three);
 * - Shannon entropy ≥ `MIN_ENTROPY` bits per character (random base62 of 24 chars scores ~4.3);
 * - fewer than `MAX_WORDY_RATIO` of its characters sit in runs of 3+ lower-case letters (words in
 *   CamelCase, paths and slugs put most characters there; random text ~0.2).
 */
const MIN_LENGTH = 24;
const MIN_ENTROPY = 3.8;
const MAX_WORDY_RATIO = 0.4;
/** A tokenform token is a prefix of at least two characters and 36 more: no shorter run can hold one. */
const MIN_TOKEN_RUN = 38;

/** The `kind` of a finding of the high-entropy heuristic (not a known format, not a checksummed token). */
export const HIGH_ENTROPY_KIND = "a high-entropy credential";

/** Options of `findSecrets`. */
export interface FindSecretsOptions {
  /**
   * Also report long high-entropy strings (default true). Scans of arbitrary files (the Action's
   * pull-request scan) turn it off: lock-file integrity hashes and test vectors are random too.
   */
  heuristic?: boolean;
}

/**
 * Finds secret-looking substrings of `text`, in order, without overlaps. Checksummed tokens and the
 * heuristic are looked for in runs of the base64 alphabet (one pass over the text, then work only on long
 * runs: this is on the path of every spec load); known formats by their own patterns.
 */
export function findSecrets(text: string, options: FindSecretsOptions = {}): SecretFinding[] {
  const found: SecretFinding[] = [];
  // Known formats first: for the same span, the more specific description wins (the sort is stable).
  // exec() on the shared global patterns: matchAll would clone each pattern on every call, which costs
  // more than the search itself on the short strings (names, descriptions) checked one by one.
  for (const known of KNOWN) {
    const re = known.re;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      found.push({ index: m.index, length: m[0].length, kind: known.kind, shown: known.shown(m[0]) });
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  const heuristic = options.heuristic !== false;
  const length = text.length;
  let start = -1;
  for (let i = 0; i <= length; i++) {
    if (i < length && isRunChar(text.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= MIN_LENGTH) inspectRun(text, start, i, heuristic, found);
    start = -1;
  }
  if (found.length < 2) return found;
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  const out: SecretFinding[] = [];
  for (const f of found) {
    const last = out[out.length - 1];
    if (last && f.index < last.index + last.length) continue;
    out.push(f);
  }
  return out;
}

/** `[A-Za-z0-9+/=_-]`: the characters of base64, base64url and base62 secrets (and of tokens), by code. */
const RUN_CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
  RUN_CHARS[c.charCodeAt(0)] = 1;

function isRunChar(code: number): boolean {
  return code < 128 && RUN_CHARS[code] === 1;
}

/** Looks for checksummed tokens and (optionally) random material in one run `text[start, end)`. */
function inspectRun(
  text: string,
  start: number,
  end: number,
  heuristic: boolean,
  found: SecretFinding[],
): void {
  const run = text.slice(start, end);
  let tokens = 0;
  if (end - start >= MIN_TOKEN_RUN && run.includes("_")) {
    for (const t of findTokens(run)) {
      tokens++;
      found.push({
        index: start + t.index,
        length: t.length,
        kind: "a tokenform token (its checksum is valid)",
        shown: run.slice(t.index, t.index + t.prefix.length + 4),
      });
    }
  }
  if (heuristic && tokens === 0 && looksRandom(run)) {
    found.push({
      index: start,
      length: run.length,
      kind: HIGH_ENTROPY_KIND,
      shown: run.slice(0, 4),
    });
  }
}

/** True for strings that look like random credential material (see the constants above). */
export function looksRandom(run: string): boolean {
  if (!/[A-Z]/.test(run) || !/[a-z]/.test(run) || !/[0-9]/.test(run)) return false;
  let wordy = 0;
  for (const word of run.matchAll(/[a-z]{3,}/g)) wordy += word[0].length;
  if (wordy / run.length >= MAX_WORDY_RATIO) return false;
  return shannonEntropy(run) >= MIN_ENTROPY;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** `text` with every secret-looking substring replaced by its safe prefix and `…`. */
export function redactSecrets(text: string): string {
  const found = findSecrets(text);
  if (found.length === 0) return text;
  let out = "";
  let at = 0;
  for (const f of found) {
    out += `${text.slice(at, f.index)}${f.shown}…`;
    at = f.index + f.length;
  }
  return out + text.slice(at);
}

/** The message for a raw secret: why it is refused and what to do, never the value. */
export function rawSecretMessage(finding: SecretFinding, where?: string): string {
  return (
    `this looks like a raw secret${where ? ` ${where}` : ""} (${finding.kind}, starting "${finding.shown}…"). ` +
    "Secrets never belong in a " +
    "spec: the repository is copied to every clone, fork, CI log and pull request and cannot be unpublished. " +
    `Remove it, revoke it if it is real, and let tokenform create the secret and deliver it (deliver: ${DESTINATION_KIND_NAMES.join(", ")})`
  );
}
