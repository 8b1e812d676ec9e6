/**
 * The REST client for this repository's own API calls (pull-request files, the plan comment), made with
 * the workflow's token (`repo-token`, by default `${{ github.token }}`). This is not the token that writes
 * secrets: that one (`github-token`) goes to the GitHub sink only.
 */
import * as core from "@actions/core";
import { retry } from "@octokit/plugin-retry";
import { Octokit } from "@octokit/rest";

const RetryingOctokit = Octokit.plugin(retry);

/** The client type the Action passes around (a plain Octokit: no plugin API is needed by callers). */
export type GithubRest = Octokit;

/** A client for `apiUrl` authenticated with `token`; octokit's own notes go to the debug log. */
export function createRepoClient(token: string, apiUrl: string): GithubRest {
  return new RetryingOctokit({
    auth: token,
    baseUrl: apiUrl,
    userAgent: "tokenform-action",
    log: {
      debug: (message: string) => core.debug(message),
      info: (message: string) => core.debug(message),
      warn: (message: string) => core.debug(message),
      error: (message: string) => core.debug(message),
    },
  });
}

/** HTTP status of an octokit `RequestError`, when it is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}
