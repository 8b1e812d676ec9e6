/**
 * Planning and applying from the Action: the sinks get their credentials from the Action's inputs (the
 * `github-token` that may write secrets, the GitLab token and URL) through an environment object built
 * here, not from the workflow's own environment. Progress goes to the log one line per step; a failed
 * change becomes an error annotation. Changes that would write a secret to a file are split off before
 * (`local-deliveries.ts`); the `file` sink here only refuses, as a last guard.
 */
import * as core from "@actions/core";
import type { TokenformApi } from "../../../src/api/contract.js";
import { redactKnownSecrets } from "../../../src/api/secret.js";
import { type ApplyResult, applyPlan } from "../../../src/apply/apply.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import type { Plan } from "../../../src/plan/types.js";
import { createSinks } from "../../../src/sinks/index.js";
import { DeliveryError, type Sink, type SinkRegistry } from "../../../src/sinks/types.js";
import type { FileDestination, ResolvedTokenSet } from "../../../src/spec/resolved.js";
import { destinationId } from "../../../src/spec/resolved.js";
import { logProgress } from "../progress.js";
import type { JobContext } from "./context.js";

/** A `file` sink that refuses, saying where such tokens are applied instead. */
const refuseFiles: Sink<FileDestination> = {
  kind: "file",
  async deliver(destination) {
    throw new DeliveryError(
      destinationId(destination),
      `the GitHub Action does not write secrets to files on the runner (${destination.path}); apply tokens with file destinations with \`tokenform apply\` on the machine that uses them, and keep them out of the specs the Action applies`,
    );
  },
  async inspect(destination) {
    throw new DeliveryError(
      destinationId(destination),
      `the GitHub Action does not read files on the runner (${destination.path})`,
    );
  },
  async remove() {},
};

/** The sinks, with credentials from the Action's inputs. */
export function actionSinks(ctx: JobContext): SinkRegistry {
  const env: NodeJS.ProcessEnv = {
    ...(ctx.inputs.githubToken ? { GITHUB_TOKEN: ctx.inputs.githubToken } : {}),
    GITHUB_API_URL: ctx.run.apiUrl,
    ...(ctx.inputs.gitlabToken ? { GITLAB_TOKEN: ctx.inputs.gitlabToken } : {}),
    ...(ctx.inputs.gitlabUrl ? { GITLAB_URL: ctx.inputs.gitlabUrl } : {}),
  };
  return { ...createSinks({ env }), file: refuseFiles };
}

/**
 * Plans `set`, reading each GitHub and GitLab destination of a token the plan keeps for destination drift
 * (files live on other machines: the Action cannot read them): `"always"` (scheduled runs: a destination
 * that cannot be read, for want of a credential too, is reported), `"with-credentials"` (plan and apply
 * jobs: only the kinds whose token the job has — a pull request's plan usually has no secret-writing
 * token), or `"never"`.
 */
export function planForAction(
  ctx: JobContext,
  api: TokenformApi,
  set: ResolvedTokenSet,
  check: "always" | "with-credentials" | "never",
): Promise<Plan> {
  if (check === "never") return planTokenSet(api, set);
  const kinds: Array<"github" | "gitlab"> =
    check === "always"
      ? ["github", "gitlab"]
      : [
          ...(ctx.inputs.githubToken ? ["github" as const] : []),
          ...(ctx.inputs.gitlabToken ? ["gitlab" as const] : []),
        ];
  if (kinds.length === 0) return planTokenSet(api, set);
  return planTokenSet(api, set, { sinks: actionSinks(ctx), checkKinds: kinds });
}

/** Applies `plan`, logging progress; failed changes are annotated as errors. */
export async function applyWithProgress(
  ctx: JobContext,
  api: TokenformApi,
  plan: Plan,
): Promise<ApplyResult> {
  const result = await applyPlan(plan, { api, sinks: actionSinks(ctx), onEvent: logProgress });
  // The result's message already names each failed destination and why.
  for (const r of result.results.filter((x) => !x.ok)) {
    core.error(redactKnownSecrets(`${r.kind} ${r.name} failed: ${r.message}`), { title: "tokenform apply" });
  }
  return result;
}

/** The job's failure messages for an apply result. */
export function applyFailures(result: ApplyResult): string[] {
  const failed = result.results.filter((r) => !r.ok);
  if (failed.length === 0) return [];
  return [
    `${failed.length} of ${result.results.length} change${result.results.length === 1 ? "" : "s"} failed: ${failed.map((r) => `${r.kind} ${r.name}`).join(", ")}`,
  ];
}
