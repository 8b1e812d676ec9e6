/**
 * The pull request's plan labels, kept up to date on every plan: `tokenform:changes` when merging changes
 * tokens, `tokenform:destroy` as well when a key stops working (src/plan/impact.ts decides), and
 * `tokenform:no-changes` otherwise. Only these labels are touched; others are left alone. GitHub creates a
 * label the first time it is applied, so nothing has to be set up. A token that may not write labels
 * (no `pull-requests: write` or `issues: write`) gets one warning: labels are a convenience, the plan is
 * still in the comment and the summary.
 */
import * as core from "@actions/core";
import { isDestructive } from "../../src/plan/impact.js";
import { hasChanges, type Plan } from "../../src/plan/types.js";
import type { CommentTarget } from "./comment.js";
import { type GithubRest, statusOf } from "./github.js";

/** The labels this Action owns on a pull request. */
export const PLAN_LABELS = {
  changes: "tokenform:changes",
  destroy: "tokenform:destroy",
  noChanges: "tokenform:no-changes",
} as const;

const OWNED: readonly string[] = Object.values(PLAN_LABELS);

/** The labels a plan earns; none for a plan with errors (merging it applies nothing) or no plan at all. */
export function labelsFor(plan: Plan | undefined): string[] {
  if (!plan || plan.errors.length > 0) return [];
  if (!hasChanges(plan)) return [PLAN_LABELS.noChanges];
  return isDestructive(plan) ? [PLAN_LABELS.changes, PLAN_LABELS.destroy] : [PLAN_LABELS.changes];
}

/**
 * Sets the pull request's plan labels to `wanted`: adds the missing ones and removes the other owned ones
 * it carries. Returns what changed; a refused write is a warning, never a failure of the job.
 */
export async function syncPlanLabels(
  gh: GithubRest,
  target: CommentTarget,
  wanted: readonly string[],
): Promise<{ added: string[]; removed: string[] }> {
  const where = { owner: target.owner, repo: target.repo, issue_number: target.issueNumber };
  try {
    const { data } = await gh.rest.issues.listLabelsOnIssue({ ...where, per_page: 100 });
    const present = new Set(data.map((label) => label.name));
    const removed = OWNED.filter((name) => present.has(name) && !wanted.includes(name));
    const added = wanted.filter((name) => !present.has(name));
    for (const name of removed) await gh.rest.issues.removeLabel({ ...where, name });
    if (added.length > 0) await gh.rest.issues.addLabels({ ...where, labels: added });
    return { added, removed };
  } catch (error) {
    const status = statusOf(error);
    core.warning(
      `could not update the plan labels on pull request #${target.issueNumber}${status ? ` (HTTP ${status})` : ""}: ` +
        `${error instanceof Error ? error.message : String(error)}. Labels need \`permissions: pull-requests: write\`; the plan is in the comment and the job summary.`,
    );
    return { added: [], removed: [] };
  }
}
