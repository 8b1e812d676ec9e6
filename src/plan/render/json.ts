/**
 * The JSON rendering of a plan (`--format json`, the Action's `plan-json` output, `--plan-file`): the Plan
 * object itself, versioned by `formatVersion`. Schema: docs/plan-format.md.
 */
import type { Plan } from "../types.js";

export function renderJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
