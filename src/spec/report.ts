/**
 * How a spec refinement reports a problem: a zod custom issue whose `params` carry the diagnostic code
 * (and `at: "key"` when the mapping key is at fault). Shared by the TokenSet schema and the destination
 * kinds' spec blocks (`src/destinations`); imports nothing at run time, so a kind module stays light.
 */
import type { z } from "zod";
import type { DiagnosticCode } from "./diagnostics.js";

/** What a refinement puts in a zod issue's `params` so the diagnostics know its code and target. */
export interface IssueParams {
  code: DiagnosticCode;
  /** `key` when the mapping key is at fault (label keys); the value otherwise. */
  at?: "key";
}

/** Adds a custom issue carrying a diagnostic code. */
export function report(
  ctx: { addIssue(issue: z.core.$ZodRawIssue | z.core.$ZodSuperRefineIssue): void },
  code: DiagnosticCode,
  message: string,
  path: PropertyKey[] = [],
  at?: "key",
): void {
  const params: IssueParams = at ? { code, at } : { code };
  ctx.addIssue({ code: "custom", message, path, params, input: undefined });
}
