/**
 * Apply what was reviewed: before the apply job of a push applies anything, its plan is compared with the
 * last plan posted on the merged pull request (reconciler/src/reviewed.ts, src/plan/review.ts). A change
 * the review did not show stops the job, unless `force` is set; changes time or the destinations made due
 * since are applied and listed separately. An apply not started by a push (a dispatched `mode: apply`) has
 * no pull request to compare with: it needs `force: true` too.
 */
import * as core from "@actions/core";
import { compareWithReview, type ReviewComparison } from "../../../src/plan/review.js";
import type { Plan } from "../../../src/plan/types.js";
import { isPush } from "../event.js";
import { reviewMarkdown } from "../report.js";
import { findReviewedPlan } from "../reviewed.js";
import type { JobContext } from "./context.js";

/** What the gate decided: go ahead or stop, and what the job summary says about it. */
export interface ReviewGate {
  stop: boolean;
  /** Markdown for the job summary ("" when there is nothing to say). */
  markdown: string;
  /** The failure message when the job stops. */
  failure?: string;
}

const HOW_TO_PROCEED =
  "**How to proceed:** open a pull request with these specs — its plan comment shows these changes for review — and merge it; or, to apply them as they are, run this workflow again with the input `force: true`.";

/** Compares `plan` with the reviewed one; see the module comment. */
export async function reviewGate(ctx: JobContext, plan: Plan): Promise<ReviewGate> {
  const trigger = ctx.run.trigger;
  if (plan.changes.length === 0) return { stop: false, markdown: "" };
  const reviewed = isPush(trigger)
    ? await findReviewedPlan(ctx.github, ctx.run.repository, trigger.sha, plan.owner)
    : ({
        found: false,
        reason: `this run was not started by a merge (event ${trigger.event}), so no pull request's plan was reviewed`,
      } as const);
  if (!reviewed.found) {
    const why = `there is no reviewed plan to compare with: ${reviewed.reason}`;
    if (ctx.inputs.force) {
      core.warning(`applying with force: ${why}`);
      return { stop: false, markdown: `> [!WARNING]\n> Applied with \`force: true\`: ${why}.\n` };
    }
    return {
      stop: true,
      failure: `nothing was applied: ${why}`,
      markdown: `❌ Nothing was applied: ${why}.\n\n${HOW_TO_PROCEED}\n`,
    };
  }
  const comparison = compareWithReview(plan, reviewed.record);
  const markdown = reviewMarkdown(comparison, reviewed.pullRequest);
  if (comparison.matches) return { stop: false, markdown };
  const what = `the plan has ${comparison.unreviewed.length} change${comparison.unreviewed.length === 1 ? "" : "s"} the plan reviewed on pull request #${reviewed.pullRequest} did not show`;
  if (ctx.inputs.force) {
    core.warning(`applying with force: ${what}`);
    return { stop: false, markdown: `> [!WARNING]\n> Applied with \`force: true\`: ${what}.\n\n${markdown}` };
  }
  return {
    stop: true,
    failure: `nothing was applied: ${what} (${names(comparison)})`,
    markdown: `❌ Nothing was applied: ${what}.\n\n${markdown}\n${HOW_TO_PROCEED}\n`,
  };
}

function names(comparison: ReviewComparison): string {
  return comparison.unreviewed.map((c) => `${c.kind} ${c.name}`).join(", ");
}
