/**
 * Which of the Action's three jobs a run does. `mode: auto` follows the event: a pull request is planned
 * (and commented on), a push to the default branch is applied, a schedule rotates what is due; anything
 * else (a push elsewhere, `workflow_dispatch`) is planned. An explicit mode overrides the event.
 */
import { isPullRequest, isPush, type Trigger } from "./event.js";
import { InputError, type Mode } from "./inputs.js";

/** What the run does. */
export type Job = "plan" | "apply" | "rotate";

/** Picks the job for `mode` and the trigger; refuses `pull_request_target` (see below). */
export function chooseJob(mode: Mode, trigger: Trigger): Job {
  if (trigger.event === "pull_request_target") {
    // pull_request_target runs with the base repository's secrets next to the fork's code: one spec file
    // from a stranger could then read the token service's admin token. Plans on pull requests need no more
    // than `pull_request` gives.
    throw new InputError(
      "pull_request_target is not supported: it runs with secrets on code from forks. Trigger the Action on pull_request instead",
    );
  }
  if (isPullRequest(trigger) && (mode === "apply" || mode === "rotate")) {
    throw new InputError(
      `mode ${mode} on a pull request would change tokens from unmerged, unreviewed specs; use mode plan (or auto) on pull requests`,
    );
  }
  if (mode !== "auto") return mode;
  if (isPullRequest(trigger)) return "plan";
  if (isPush(trigger)) return trigger.defaultBranch ? "apply" : "plan";
  if (trigger.event === "schedule") return "rotate";
  return "plan";
}
