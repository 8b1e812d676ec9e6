/**
 * Changes the Action leaves to `tokenform apply` on a workstation: those that would issue a secret to a
 * `file` destination. A runner's disk is no place for a secret — it is lost with a hosted runner, or left
 * behind on a self-hosted one — and the person who needs the file is not there. Such a token is skipped
 * whole (one secret cannot be half delivered) and reported; everything else in the plan is applied.
 */
import { kindOf } from "../../src/destinations/registry.js";
import { selectChanges } from "../../src/plan/filter.js";
import { CHANGE_KINDS, type Change, deliveredTo, type Plan } from "../../src/plan/types.js";

/** A plan split into what the Action applies and what it leaves for `tokenform apply`. */
export interface SplitPlan {
  /** The changes the Action applies, as a plan of its own (summary and hash recomputed). */
  remote: Plan;
  /** Changes that would write a new secret to a file. */
  local: Change[];
}

/** True when `change` issues a secret and one of its destinations is of a kind the Action refuses (a file). */
export function deliversToFile(change: Change): boolean {
  return deliveredTo(change).some(
    (d) => d.destination !== undefined && kindOf(d.destination.kind).action.onRunner === "refuse",
  );
}

/** Splits `plan` into the part the Action applies and the part left for a workstation. */
export function splitLocalDeliveries(plan: Plan): SplitPlan {
  const local = plan.changes.filter(deliversToFile);
  if (local.length === 0) return { remote: plan, local };
  const remote = selectChanges(
    { ...plan, changes: plan.changes.filter((c) => !deliversToFile(c)) },
    CHANGE_KINDS,
  );
  return { remote, local };
}

/** The note about changes left for `tokenform apply`; empty when there are none. */
export function localMarkdown(local: readonly Change[], applying: boolean): string {
  if (local.length === 0) return "";
  const names = [...new Set(local.map((c) => `\`${c.name}\``))].join(", ");
  return [
    "> [!NOTE]",
    `> ${names} ${local.length === 1 ? "delivers" : "deliver"} a secret to a file. The Action ${applying ? "left" : "will leave"} ${local.length === 1 ? "this change" : "these changes"} for \`tokenform apply\` (or \`tokenform rotate\`) on the machine that uses the file: a runner's disk is no place for a secret.`,
    "",
  ].join("\n");
}
