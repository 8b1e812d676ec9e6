/**
 * The one plan comment on a pull request: found again by a hidden marker naming the set's owner (so two
 * TokenSets in one repository keep a comment each), edited in place when it exists, created otherwise.
 * Comments are listed page by page and the search stops at the first match. The comment also carries the
 * record of the plan it shows (src/plan/review.ts), which the apply job on merge compares with.
 */
import type { GithubRest } from "./github.js";

/** Where the comment goes. */
export interface CommentTarget {
  owner: string;
  repo: string;
  /** Pull-request number (pull requests are issues for comments). */
  issueNumber: number;
}

/** What `upsertComment` did. */
export interface CommentOutcome {
  id: number;
  action: "created" | "updated";
  /** Link to the comment. */
  url: string;
}

/** Comments per page when searching (GitHub's maximum). */
const PAGE_SIZE = 100;

/** The hidden first line that identifies the plan comment of one owner's set. */
export function planMarker(owner: string): string {
  return `<!-- tokenform-plan:${owner.replace(/--/g, "-\u200b-")} -->`;
}

/** A comment the Action posted. */
export interface FoundComment {
  id: number;
  body: string;
}

/**
 * The comment that starts with `marker` and was posted by a bot (the workflow's token posts as
 * `github-actions[bot]`; a person cannot post as a bot, so a look-alike comment is never taken for ours).
 */
export async function findComment(
  gh: GithubRest,
  target: CommentTarget,
  marker: string,
): Promise<FoundComment | undefined> {
  const pages = gh.paginate.iterator(gh.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: PAGE_SIZE,
  });
  for await (const page of pages) {
    // Starts with, not contains: a reply quoting the comment ("> <!-- …") is someone else's.
    const found = page.data.find((c) => (c.body ?? "").startsWith(marker) && c.user?.type === "Bot");
    if (found) return { id: found.id, body: found.body ?? "" };
  }
  return undefined;
}

/** Edits the marked comment (PATCH) or creates it; `body` must start with `marker`. */
export async function upsertComment(
  gh: GithubRest,
  target: CommentTarget,
  marker: string,
  body: string,
): Promise<CommentOutcome> {
  if (!body.startsWith(marker)) throw new Error("the comment body must start with its marker");
  const id = (await findComment(gh, target, marker))?.id;
  if (id !== undefined) {
    const { data } = await gh.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: id,
      body,
    });
    return { id: data.id, action: "updated", url: data.html_url };
  }
  const { data } = await gh.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body,
  });
  return { id: data.id, action: "created", url: data.html_url };
}
