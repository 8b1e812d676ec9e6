/**
 * Words for GitLab failures: maps a final non-success answer (or a transport failure) to a `DeliveryError`
 * whose message says what happened and what to do, built from the status, the target and GitLab's short
 * `message` with the secret and token scrubbed out.
 */

import { isTransientStatus } from "../../api/retry.js";
import { messageOf, scrub } from "../redact.js";
import { DeliveryError } from "../types.js";
import type { GitlabResponse, GitlabTransportError } from "./api.js";
import { describeContainer, type GitlabTarget, gitlabPermissionHint } from "./target.js";

/** Everything needed to word an error. */
export interface GitlabErrorContext {
  destination: string;
  target: GitlabTarget;
  /** What was being done, e.g. `creating variable MCP_API_KEY (scope production)`. */
  doing: string;
  /** Raw values that must never appear in a message: the secret and the token. */
  secrets: ReadonlyArray<string | undefined>;
}

/** GitLab's 404 for a missing variable says so (`404 Variable Not Found`); any other 404 is the container. */
export function isVariableNotFound(res: GitlabResponse): boolean {
  return res.status === 404 && /variable/i.test(messageOf(res.data));
}

/** A `DeliveryError` for a final answer that was not a success. */
export function gitlabAnswerError(res: GitlabResponse, ctx: GitlabErrorContext): DeliveryError {
  const { destination, target, doing } = ctx;
  const detail = scrub(messageOf(res.data), ctx.secrets);
  const said = detail ? `: ${detail}` : "";
  const where = describeContainer(target);
  switch (res.status) {
    case 401:
      return new DeliveryError(
        destination,
        `GitLab rejected GITLAB_TOKEN (401${said}) while ${doing} in ${where}: the token is invalid, expired or revoked`,
        401,
      );
    case 403:
      return new DeliveryError(
        destination,
        `GitLab refused (403${said}) ${doing} in ${where}: GITLAB_TOKEN needs ${gitlabPermissionHint(target)}`,
        403,
      );
    case 404:
      return new DeliveryError(
        destination,
        `${where} not found or GITLAB_TOKEN cannot see it (404 while ${doing})`,
        404,
      );
  }
  if (isTransientStatus(res.status)) {
    return new DeliveryError(
      destination,
      `GitLab answered ${res.status} while ${doing} in ${where}, also on retries${said}; a later run may succeed`,
      res.status,
      true,
    );
  }
  return new DeliveryError(
    destination,
    `GitLab rejected ${doing} in ${where} (${res.status})${said}`,
    res.status,
  );
}

/** A `DeliveryError` for a request that got no answer. */
export function gitlabTransportError(error: GitlabTransportError, ctx: GitlabErrorContext): DeliveryError {
  const text = scrub(error.message, ctx.secrets);
  const where = describeContainer(ctx.target);
  switch (error.reason) {
    case "cancelled":
      return new DeliveryError(
        ctx.destination,
        `GitLab: cancelled while ${ctx.doing} in ${where}`,
        undefined,
        true,
      );
    case "timeout":
    case "network":
      return new DeliveryError(
        ctx.destination,
        `GitLab: ${text} while ${ctx.doing} in ${where}, also on retries; a later run may succeed`,
        undefined,
        true,
      );
  }
}
