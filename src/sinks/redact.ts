/**
 * Safe text for error messages: a destination's own error text may echo what it was sent, so it is cut
 * down to a bounded length and every occurrence of the secret (and of the credential) is removed before
 * it goes into a `DeliveryError`; then `maskSecrets` masks anything else key-shaped (near-secrets included).
 */
import { maskSecrets } from "../api/secret.js";

/** GitHub and GitLab error texts are short; anything longer is noise in a message (and truncated). */
const MAX_DETAIL = 300;

/** Replaces each of `secrets` in `text` with `[redacted]` and bounds the length. */
export function scrub(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length > 0) out = out.split(secret).join("[redacted]");
  }
  out = maskSecrets(out.replace(/\s+/g, " ").trim());
  return out.length > MAX_DETAIL ? `${out.slice(0, MAX_DETAIL)}…` : out;
}

/** A short human text from an API error body (`message`, `error`, GitLab's `{field: [msgs]}`), or "". */
export function messageOf(body: unknown): string {
  if (typeof body === "string") return body;
  if (body === null || typeof body !== "object") return "";
  const record = body as Record<string, unknown>;
  const parts: string[] = [];
  for (const field of ["message", "error", "error_description"]) {
    const value = record[field];
    if (typeof value === "string") parts.push(value);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        parts.push(`${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`);
      }
    }
  }
  const errors = record.errors;
  if (Array.isArray(errors)) {
    for (const e of errors) {
      if (typeof e === "string") parts.push(e);
      else if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") {
        parts.push((e as { message: string }).message);
      }
    }
  }
  return parts.join("; ");
}
