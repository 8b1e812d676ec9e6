/**
 * `SecretValue`: the only way a raw token travels through tokenform. It redacts itself in every form a
 * value can be printed (`String()`, template literals, `JSON.stringify`, `console.log`/`util.inspect`),
 * so a secret that reaches a log line, a plan or an error shows as `mcp_sk_AbCd…[redacted]` instead.
 * Code that truly needs the value (a sink writing it to its destination) calls `reveal()`.
 */
import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { findSecrets } from "../spec/secrets.js";
import { findNearTokens, findTokens } from "../spec/token-format.js";
import { currentSecrets } from "./secret-registry.js";

/** How many characters after the type prefix a display prefix shows (enough to tell keys apart). */
export const DISPLAY_CHARS = 4;

/** The display prefix of a token: its type prefix and the first few random characters, e.g. `mcp_sk_AbCd`. */
export function displayPrefixOf(raw: string): string {
  const cut = raw.lastIndexOf("_");
  return cut < 0 ? raw.slice(0, DISPLAY_CHARS) : raw.slice(0, cut + 1 + DISPLAY_CHARS);
}

/** A short public fingerprint (first 16 hex of SHA-256): safe to log, store in state and compare. */
export function fingerprintOf(raw: string): string {
  return `sha256:${createHash("sha256").update(raw).digest("hex").slice(0, 16)}`;
}

/** Called with every `SecretValue` made in the current run, as it is made. */
export type SecretListener = (secret: SecretValue) => void;

/**
 * Calls `listener` with each `SecretValue` created from now on in the caller's run (src/api/secret-registry.ts;
 * the GitHub Action masks every issued secret with `core.setSecret` before anything could print it).
 * Returns a function that stops listening.
 */
export function onSecret(listener: SecretListener): () => void {
  return currentSecrets().listen((secret) => {
    if (secret instanceof SecretValue) listener(secret);
  });
}

export class SecretValue {
  readonly #raw: string;
  /** Safe to show: e.g. `mcp_sk_AbCd`. */
  readonly displayPrefix: string;
  /** Safe to show and store: `sha256:<16 hex>`. */
  readonly fingerprint: string;

  constructor(raw: string) {
    this.#raw = raw;
    this.displayPrefix = displayPrefixOf(raw);
    this.fingerprint = fingerprintOf(raw);
    currentSecrets().add(this);
  }

  /** The raw secret. Call only where it is written to its destination or sent to the token service. */
  reveal(): string {
    return this.#raw;
  }

  toString(): string {
    return `${this.displayPrefix}…[redacted]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return `SecretValue(${this.toString()})`;
  }
}

/** What a masked secret is replaced with after its safe prefix. */
const MASK = "…[redacted]";

/**
 * The one masking function every log line and error message goes through (service and gateway logs, CLI
 * output and errors, sink errors, the API's error bodies). It replaces, keeping only a safe prefix:
 * - every secret the current run holds as a `SecretValue` (src/api/secret-registry.ts);
 * - every tokenform key with a valid checksum, whatever its prefix;
 * - anything shaped like a key of a known prefix (`mcp_sk_`, `mcp_ag_`, `mcp_adm_` and configured ones)
 *   followed by token characters, valid checksum or not: a key one character off is nearly the key;
 * - well-known credential formats (GitHub, GitLab, AWS, Slack, …) as the spec's secret detector knows them.
 */
export function maskSecrets(text: string): string {
  let out = text;
  for (const raw of currentSecrets().secrets()) {
    if (out.includes(raw)) out = out.split(raw).join(`${displayPrefixOf(raw)}${MASK}`);
  }
  const spans: Array<{ index: number; length: number; shown: string }> = [];
  for (const t of [...findTokens(out), ...findNearTokens(out)]) {
    spans.push({
      index: t.index,
      length: t.length,
      shown: out.slice(t.index, t.index + t.prefix.length + DISPLAY_CHARS),
    });
  }
  for (const f of findSecrets(out, { heuristic: false })) spans.push(f);
  if (spans.length === 0) return out;
  spans.sort((a, b) => a.index - b.index || b.length - a.length);
  let masked = "";
  let at = 0;
  for (const span of spans) {
    if (span.index < at) continue;
    masked += `${out.slice(at, span.index)}${span.shown}${MASK}`;
    at = span.index + span.length;
  }
  return masked + out.slice(at);
}

/** The former name of `maskSecrets` (kept for library users). */
export const redactKnownSecrets = maskSecrets;
