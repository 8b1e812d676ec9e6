/**
 * `SpecRules` from src/spec: the TokenSet validator (schema, per-token and set-wide rules, raw-secret
 * refusal) and its resolution. Relative file paths resolve against Terraform's working directory, as they
 * would against a spec file's directory.
 */
import { validateDocuments } from "../../../../src/spec/validate.js";
import type { SpecCheck, SpecRules } from "./rules.js";

/** Origin named in spec diagnostics for objects built from Terraform configuration. */
const ORIGIN = "terraform configuration";
/**
 * Checks remembered per process: Terraform validates and then plans the same configuration (twice on
 * apply), and a plan of many resources would otherwise run the whole validator for each call.
 */
const MEMO_ENTRIES = 1024;

export function specRules(baseDir: string = process.cwd()): SpecRules {
  const memo = new Map<string, SpecCheck>();
  return {
    check(set) {
      const key = JSON.stringify(set);
      const known = memo.get(key);
      if (known) return known;
      const outcome = validateDocuments([{ file: ORIGIN, baseDir, value: set }]);
      const result: SpecCheck = {
        issues: outcome.diagnostics.map((d) => ({ severity: d.severity, message: d.message, path: d.path })),
        ...(outcome.set?.tokens[0] ? { resolved: outcome.set.tokens[0] } : {}),
      };
      if (memo.size >= MEMO_ENTRIES) memo.clear();
      memo.set(key, result);
      return result;
    },
  };
}
