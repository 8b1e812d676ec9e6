/**
 * The plan reviewed before a merge: the pull request a pushed commit came from (GitHub's "list pull
 * requests associated with a commit", merged ones only, the latest merge first) and the record its plan
 * comment keeps of the last plan it showed (src/plan/review.ts).
 */
import type { ReviewRecord } from "../../src/plan/review.js";
import { parseReviewLine } from "../../src/plan/review.js";
import { findComment, planMarker } from "./comment.js";
import type { RepoRef } from "./event.js";
import { type GithubRest, statusOf } from "./github.js";

/** The reviewed plan, or why there is none to compare with. */
export type ReviewedPlan =
  | { found: true; pullRequest: number; record: ReviewRecord }
  | { found: false; pullRequest?: number; reason: string };

/** Finds the last plan posted on the pull request that `sha` merged, for the set of `owner`. */
export async function findReviewedPlan(
  gh: GithubRest | undefined,
  repository: RepoRef,
  sha: string | undefined,
  owner: string,
): Promise<ReviewedPlan> {
  if (!gh) {
    return {
      found: false,
      reason: "no repo-token (or GITHUB_TOKEN), so the merged pull request's plan comment cannot be read",
    };
  }
  if (!sha) return { found: false, reason: "the push event names no commit" };
  let number: number | undefined;
  try {
    const { data } = await gh.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repository,
      commit_sha: sha,
    });
    number = data
      .filter((pr) => pr.merged_at)
      .sort((a, b) => Date.parse(b.merged_at!) - Date.parse(a.merged_at!))[0]?.number;
  } catch (error) {
    return {
      found: false,
      reason: `the pull request of commit ${sha.slice(0, 7)} could not be looked up (${describe(error)})`,
    };
  }
  if (number === undefined) {
    return {
      found: false,
      reason: `commit ${sha.slice(0, 7)} is not the merge of a pull request (was it pushed directly?)`,
    };
  }
  let body: string | undefined;
  try {
    body = (await findComment(gh, { ...repository, issueNumber: number }, planMarker(owner)))?.body;
  } catch (error) {
    return {
      found: false,
      pullRequest: number,
      reason: `the comments of pull request #${number} could not be read (${describe(error)})`,
    };
  }
  if (body === undefined) {
    return {
      found: false,
      pullRequest: number,
      reason: `pull request #${number} has no tokenform plan comment for ${owner} (planned with comment: false, from a fork, or without the token service)`,
    };
  }
  const record = parseReviewLine(body);
  if (!record || record.owner !== owner) {
    return {
      found: false,
      pullRequest: number,
      reason: `the plan comment on pull request #${number} records no plan (the specs were invalid when it was last planned, or an older version of the Action posted it)`,
    };
  }
  return { found: true, pullRequest: number, record };
}

function describe(error: unknown): string {
  const status = statusOf(error);
  if (status === 403 || status === 404)
    return `HTTP ${status}: the workflow needs permissions: pull-requests: read`;
  return status ? `HTTP ${status}` : error instanceof Error ? error.message : String(error);
}
