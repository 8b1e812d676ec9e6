/**
 * The token format, in one place: `<prefix><30 base62 random chars (178 bits)><6 base62 CRC32 chars>`,
 * e.g. `mcp_sk_` + 36 characters. The checksum lets anyone reject a mistyped key offline and lets
 * scanners find leaked keys with no false positives. The service issues keys with `generateToken`;
 * the spec loader and the Action's scanner use `findTokens` / `checkToken` to refuse committed secrets.
 *
 * This lives beside the spec (not in `src/service`) because the spec must recognise tokens and depends on
 * nothing else of ours; the service imports it from here.
 */
import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

/** Base62 alphabet; digits first so encoded numbers sort like numbers. */
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 30 base62 characters carry log2(62)·30 ≈ 178.6 bits, above the 160-bit floor the design asks for. */
export const RANDOM_LENGTH = 30;
/** 62^6 ≈ 5.7·10^10 > 2^32, so every CRC32 fits in 6 characters. */
export const CHECKSUM_LENGTH = 6;
/** Default prefixes per token type. */
export const DEFAULT_PREFIXES = { mcp: "mcp_sk_", agent: "mcp_ag_", admin: "mcp_adm_" } as const;
/** A prefix: lowercase words joined and ended by `_` (e.g. `mcp_sk_`, `acme_`), at most 24 characters. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,11}_(?:[a-z0-9]{1,11}_)?$/;

/** Encodes a non-negative integer in base62, left-padded with `0` to `width`. */
export function base62(n: number, width: number): string {
  let out = "";
  let rest = n;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, "0");
}

/** The 6-character checksum of a token body (the random part). */
export function checksumOf(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

/** `length` uniformly random base62 characters (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** Issues a fresh raw token with `prefix` (which becomes a known prefix: see `registerTokenPrefix`). */
export function generateToken(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new Error(`invalid token prefix ${JSON.stringify(prefix)}`);
  registerTokenPrefix(prefix);
  const body = randomBase62(RANDOM_LENGTH);
  return `${prefix}${body}${checksumOf(body)}`;
}

/** Result of checking a candidate string offline. */
export type TokenCheck =
  | { ok: true; prefix: string; body: string }
  | { ok: false; reason: "malformed" | "bad_checksum" };

const TAIL = RANDOM_LENGTH + CHECKSUM_LENGTH;
const TOKEN_RE = new RegExp(`^([a-z][a-z0-9]{0,11}_(?:[a-z0-9]{1,11}_)?)([A-Za-z0-9]{${TAIL}})$`);

/** Checks shape and checksum without touching any store. */
export function checkToken(candidate: string): TokenCheck {
  const m = TOKEN_RE.exec(candidate);
  if (!m) return { ok: false, reason: "malformed" };
  const prefix = m[1]!;
  const rest = m[2]!;
  const body = rest.slice(0, RANDOM_LENGTH);
  if (checksumOf(body) !== rest.slice(RANDOM_LENGTH)) return { ok: false, reason: "bad_checksum" };
  return { ok: true, prefix, body };
}

const SCAN_RE = new RegExp(
  `(?<![A-Za-z0-9_])[a-z][a-z0-9]{0,11}_(?:[a-z0-9]{1,11}_)?[A-Za-z0-9]{${TAIL}}(?![A-Za-z0-9])`,
  "g",
);

/** A token found in free text: where it starts and its safe display prefix. */
export interface FoundToken {
  index: number;
  length: number;
  prefix: string;
}

/** Finds every substring of `text` that is a well-formed token with a valid checksum. */
export function findTokens(text: string): FoundToken[] {
  const found: FoundToken[] = [];
  for (const m of text.matchAll(SCAN_RE)) {
    const check = checkToken(m[0]);
    if (check.ok) found.push({ index: m.index, length: m[0].length, prefix: check.prefix });
  }
  return found;
}

/**
 * Prefixes this process knows keys by: the defaults, every prefix a token was issued with here, and those
 * a service was configured with (`registerTokenPrefix`). `findNearTokens` looks for these.
 */
const knownPrefixes = new Set<string>(Object.values(DEFAULT_PREFIXES));
let nearRe: RegExp | undefined;

/** Adds a configured token prefix to those `findNearTokens` looks for (invalid prefixes are ignored). */
export function registerTokenPrefix(prefix: string): void {
  if (knownPrefixes.has(prefix) || !PREFIX_PATTERN.test(prefix)) return;
  knownPrefixes.add(prefix);
  nearRe = undefined;
}

/**
 * How many characters after a known prefix a near-token must have to be masked: a display prefix
 * (`mcp_sk_AbCd`, `DISPLAY_CHARS` = 4 of them) is safe to show and stays as it is.
 */
const NEAR_MIN = 5;

/**
 * Finds every substring shaped like a key: a known prefix followed by token characters, whatever their
 * number and checksum. A key one character off (mistyped, truncated, padded) is as good as the key to
 * anyone who can try the few candidates offline, so logs must not show it. Letters, digits and the few
 * characters a mangled key or its URL form may carry (`_ - . ~ + / = %`) count as token characters.
 */
export function findNearTokens(text: string): FoundToken[] {
  if (nearRe === undefined) {
    const alternatives = [...knownPrefixes].sort((a, b) => b.length - a.length).join("|");
    nearRe = new RegExp(`(${alternatives})[A-Za-z0-9_.~+/=%-]{${NEAR_MIN},}`, "g");
  }
  const found: FoundToken[] = [];
  for (const m of text.matchAll(nearRe)) found.push({ index: m.index, length: m[0].length, prefix: m[1]! });
  return found;
}

/**
 * A GitHub secret scanning custom pattern for keys with `prefixes` (push protection, `tokenform patterns
 * github`): the secret format and the boundaries before and after it, in the Hyperscan syntax GitHub takes.
 */
export function secretScanningPattern(prefixes: readonly string[]): {
  format: string;
  before: string;
  after: string;
} {
  const unique = [...new Set(prefixes)].sort((a, b) => b.length - a.length || a.localeCompare(b));
  return {
    format: `(?:${unique.join("|")})[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}`,
    before: "\\A|[^0-9A-Za-z_]",
    after: "\\z|[^0-9A-Za-z]",
  };
}
