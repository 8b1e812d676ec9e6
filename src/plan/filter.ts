/**
 * `selectChanges`: a plan restricted to some change kinds (the scheduled Action run applies only due
 * rotations, re-deliveries and retirements). The result is a plan in its own right: summary and hash are
 * recomputed, drift and reports are kept. Errors stay only with the changes they concern — a token in error
 * has none — so a name held elsewhere never holds up another token's due rotation.
 */
import { planHash } from "./compute.js";
import { CHANGE_KINDS, type ChangeKind, type Plan, type PlanSummary } from "./types.js";

/** The kinds a scheduled run applies without a pull request: time-driven changes only. */
export const SCHEDULED_KINDS: readonly ChangeKind[] = ["rotate", "redeliver", "retire", "delete"];

export function selectChanges(plan: Plan, kinds: readonly ChangeKind[]): Plan {
  const changes = plan.changes.filter((c) => kinds.includes(c.kind));
  const errors = (plan.errors ?? []).filter((e) => changes.some((c) => c.name === e.name));
  const summary = { ...plan.summary, errors: errors.length };
  for (const kind of CHANGE_KINDS)
    (summary as PlanSummary)[kind] = changes.filter((c) => c.kind === kind).length;
  return { ...plan, changes, errors, summary, hash: planHash(plan.owner, changes, errors) };
}
