/**
 * The apply library: execute a plan safely (`applyPlan`), the per-token steps the Terraform provider reuses,
 * and the stale-plan check for `apply --plan-file`.
 */
import type { Plan } from "../plan/types.js";

export {
  type ApplyEvent,
  type ApplyOptions,
  type ApplyResult,
  applyPlan,
  type ChangeResult,
  DEFAULT_CONCURRENCY,
  PlanErrorsError,
} from "./apply.js";
export * from "./steps.js";

/** A saved plan that no longer matches what would be planned now. */
export class StalePlanFileError extends Error {
  override readonly name = "StalePlanFileError";
}

/**
 * Refuses a saved plan whose hash differs from a fresh plan of the same spec: the service or the spec
 * changed since it was reviewed, so applying it could do something nobody saw.
 */
export function assertPlanFresh(saved: Pick<Plan, "hash" | "owner">, fresh: Plan): void {
  if (saved.owner !== fresh.owner) {
    throw new StalePlanFileError(
      `the plan file is for owner ${saved.owner}, but the spec's owner is ${fresh.owner}`,
    );
  }
  if (saved.hash !== fresh.hash) {
    throw new StalePlanFileError(
      `the plan file is stale: it was made for ${saved.hash.slice(0, 19)}, but planning now gives ${fresh.hash.slice(0, 19)}. Run \`tokenform plan\` again and review the new plan.`,
    );
  }
}
