/**
 * What the token resource needs from the spec module: the same validation and the same resolution
 * (defaults, `~` expansion, CIDR normalisation) `tokenform plan` uses, applied to the one-token TokenSet
 * built by `to-spec.ts`. `spec-rules.ts` implements it with src/spec.
 */
import type { ResolvedToken } from "../../../../src/spec/resolved.js";

/** A spec diagnostic reduced to what the provider maps onto Terraform paths. */
export interface SpecIssue {
  severity: "error" | "warning";
  message: string;
  /** Path in the TokenSet document, e.g. `["tokens",0,"rateLimit","perMinute"]`. */
  path: ReadonlyArray<string | number>;
}

/** The outcome of checking a one-token set. */
export interface SpecCheck {
  /** Every problem (empty when valid). */
  issues: SpecIssue[];
  /** The resolved token; present when no issue is an error. */
  resolved?: ResolvedToken;
}

export interface SpecRules {
  check(set: unknown): SpecCheck;
}
