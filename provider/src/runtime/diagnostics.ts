/**
 * Diagnostics: what the user got wrong (or should know), with the attribute it concerns. Domain code
 * returns these; the protocol layer turns them into tfplugin6 diagnostics with attribute paths. A thrown
 * error is a system fault and becomes a single error diagnostic at the RPC boundary.
 */
import { redactKnownSecrets } from "../../../src/api/secret.js";

/** One step into a value: an attribute, a map key, or a list index. */
export type PathStep = { attribute: string } | { key: string } | { index: number };

/** A path to an attribute, e.g. `[{attribute:"rate_limit"},{attribute:"per_minute"}]`. */
export type AttributePath = PathStep[];

/** A user-facing message, Terraform style. */
export interface Diagnostic {
  severity: "error" | "warning";
  /** One line: what happened. */
  summary: string;
  /** Why, and what to do next; may be empty. */
  detail?: string;
  /** The attribute this is about; absent for the resource or provider as a whole. */
  path?: AttributePath;
}

/** Shorthand for an error diagnostic. */
export function error(summary: string, detail?: string, path?: AttributePath): Diagnostic {
  return { severity: "error", summary, ...(detail ? { detail } : {}), ...(path ? { path } : {}) };
}

/** Shorthand for a warning diagnostic. */
export function warning(summary: string, detail?: string, path?: AttributePath): Diagnostic {
  return { severity: "warning", summary, ...(detail ? { detail } : {}), ...(path ? { path } : {}) };
}

/** Builds a path from attribute names, map keys (`{key}`) and list indexes (numbers). */
export function path(...steps: Array<string | number | { key: string }>): AttributePath {
  return steps.map((s) =>
    typeof s === "string" ? { attribute: s } : typeof s === "number" ? { index: s } : s,
  );
}

/**
 * A diagnostic for an unexpected failure: says it is a bug in the provider, with the error's message run
 * through the secret redactor (a system fault must never carry a token into Terraform's output).
 */
export function faultDiagnostic(during: string, err: unknown): Diagnostic {
  const message = err instanceof Error ? err.message : String(err);
  return error(
    `Unexpected error in the tokenform provider during ${during}`,
    redactKnownSecrets(
      `${message}\n\nThis is a bug in the tokenform provider; please report it with the Terraform output ` +
        "at https://github.com/tokenform/tokenform/issues.",
    ),
  );
}
