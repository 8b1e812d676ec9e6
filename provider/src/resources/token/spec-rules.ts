/**
 * `SpecRules` from src/spec: the TokenSet validator (schema, per-token and set-wide rules, raw-secret
 * refusal) and its resolution. Relative file paths resolve against Terraform's working directory, as they
 * would against a spec file's directory.
 */
import { validateDocuments } from "../../../../src/spec/validate.js";
import type { SpecRules } from "./rules.js";

/** Origin named in spec diagnostics for objects built from Terraform configuration. */
const ORIGIN = "terraform configuration";

export function specRules(baseDir: string = process.cwd()): SpecRules {
  return {
    check(set) {
      const outcome = validateDocuments([{ file: ORIGIN, baseDir, value: set }]);
      return {
        issues: outcome.diagnostics.map((d) => ({ severity: d.severity, message: d.message, path: d.path })),
        ...(outcome.set?.tokens[0] ? { resolved: outcome.set.tokens[0] } : {}),
      };
    },
  };
}
