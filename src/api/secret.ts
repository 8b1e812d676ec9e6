/**
 * `SecretValue`: the only way a raw token travels through tokenform. It redacts itself in every form a
 * value can be printed (`String()`, template literals, `JSON.stringify`, `console.log`/`util.inspect`),
 * so a secret that reaches a log line, a plan or an error shows as `mcp_sk_AbCd…[redacted]` instead.
 * Code that truly needs the value (a sink writing it to its destination) calls `reveal()`.
 */
import { createHash } from "node:crypto";
import { inspect } from "node:util";

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

const registry = new Set<string>();

/** Called with every `SecretValue` made in this process, as it is made. */
export type SecretListener = (secret: SecretValue) => void;

const listeners = new Set<SecretListener>();

/**
 * Calls `listener` with each `SecretValue` created from now on (the GitHub Action masks every issued secret
 * with `core.setSecret` before anything could print it). Returns a function that stops listening.
 */
export function onSecret(listener: SecretListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
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
    registry.add(raw);
    for (const listener of listeners) listener(this);
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

/**
 * Replaces every secret this process has seen (as a `SecretValue`) in `text` with its redacted form. Log
 * sinks and error renderers run their output through this as a last line of defence.
 */
export function redactKnownSecrets(text: string): string {
  let out = text;
  for (const raw of registry) {
    if (out.includes(raw)) out = out.split(raw).join(`${displayPrefixOf(raw)}…[redacted]`);
  }
  return out;
}
