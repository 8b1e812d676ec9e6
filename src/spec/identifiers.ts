/**
 * Token names and the identifiers derived from them. A name is what people call a token ("Cursor MCP",
 * "CI/CD Pipeline", `alice-cursor-dev`); wherever a name has to become an identifier — a CDKTF construct id
 * (and so a Terraform address), an environment variable or file key, a file name — it is derived here and
 * nowhere else:
 *
 * - `identifierOf`: lowercase letters, digits, `.`, `_` and `-`; letters lose their accents, every other
 *   run of characters becomes one `-` ("Cursor MCP" → `cursor-mcp`, "CI/CD Pipeline" → `ci-cd-pipeline`).
 *   A name already written that way (every name the spec allowed before) is its own identifier, so
 *   existing Terraform addresses do not move. A name with no letter or digit at all gets `token-` and a
 *   short hash of it.
 * - `envVariableOf`: the identifier upper-cased with `_` for `.` and `-` (`CURSOR_MCP`), `_` first when it
 *   would start with a digit.
 *
 * The rules for names themselves (`nameProblem`) are shared by the spec and the management API; the
 * service compares names through `nameKey`, so names differing only in case are one name per account.
 */
import { createHash } from "node:crypto";
import { MAX_NAME_LENGTH } from "./limits.js";
import { findSecrets, HIGH_ENTROPY_KIND } from "./secrets.js";
import { findNearTokens } from "./token-format.js";

export { MAX_NAME_LENGTH };

/**
 * Characters a name may not contain: control characters (C0, DEL, C1), line and paragraph separators,
 * and the invisible characters that reorder or hide text (bidi embeddings, overrides and isolates
 * U+202A–U+202E, U+2066–U+2069, marks U+200E, U+200F and U+061C, zero-width space U+200B, BOM U+FEFF),
 * which could make a name read differently in a plan than it is.
 */
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

/** Half of a UTF-16 surrogate pair without its other half (not text; PostgreSQL cannot store it). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `name` is not a valid token name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "a token name must not be empty";
  if (LONE_SURROGATE.test(name)) return "a token name must be valid Unicode text";
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return `a token name must not contain control, bidirectional-override or invisible characters (U+${code} here)`;
  }
  if (name.trim() !== name) return "a token name must not start or end with spaces";
  if ([...name].length > MAX_NAME_LENGTH) return `a token name has at most ${MAX_NAME_LENGTH} characters`;
  // A name is shown to everyone who reads tokens, in plans, logs and upstream headers: never a key.
  const near = findNearTokens(name)[0];
  if (near) return `a token name must not be a key (it starts "${near.prefix}…"): revoke it if it is real`;
  const secret = findSecrets(name).find((finding) => finding.kind !== HIGH_ENTROPY_KIND);
  if (secret) return `a token name must not be a secret (${secret.kind}, starting "${secret.shown}…")`;
  return undefined;
}

/**
 * The form names are compared in: compatibility-normalised (NFKC: full-width and other look-alike forms
 * fold together) and lower-cased. Two names with the same key are one name in an account and in a set.
 */
export function nameKey(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}

/** Identifiers keep these characters; everything else is replaced. */
const IDENTIFIER_KEEP = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;

/** The identifier of a name (see the module comment): `Cursor MCP` → `cursor-mcp`. */
export function identifierOf(name: string): string {
  if (IDENTIFIER_KEEP.test(name)) return name;
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "");
  if (slug !== "") return slug;
  return `token-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

/** The environment variable (or file key) name of a name: `Cursor MCP` → `CURSOR_MCP`. */
export function envVariableOf(name: string): string {
  const key = identifierOf(name)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "_");
  return /^[0-9]/.test(key) ? `_${key}` : key;
}
