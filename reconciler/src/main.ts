/**
 * The Action's entry: read and validate the inputs (masking every credential at once), read the event,
 * pick the job, build the clients, run the job, set the outputs — inside one try/catch that ends in
 * `setFailed`. Every secret issued while it runs is masked as it is created. `index.ts` only calls `run()`,
 * so tests import this module with no side effects.
 */
import * as core from "@actions/core";
import { TokenformClient } from "../../src/api/client.js";
import { ApiError } from "../../src/api/errors.js";
import { onSecret, redactKnownSecrets, SecretValue } from "../../src/api/secret.js";
import { withSecretScope } from "../../src/api/secret-registry.js";
import { ConfigError } from "../../src/errors.js";
import { EventError, readRunContext } from "./event.js";
import type { JobContext, JobOutcome } from "./flows/context.js";
import { createRepoClient } from "./github.js";
import { InputError, readInputs } from "./inputs.js";
import { chooseJob, type Job } from "./mode.js";

/**
 * Each job is imported when chosen: a pull-request plan never loads the sinks (octokit's throttling,
 * libsodium's WebAssembly, the GitLab client), which keeps the Action's start-up short.
 */
const JOBS: Record<Job, () => Promise<(ctx: JobContext) => Promise<JobOutcome>>> = {
  plan: async () => (await import("./flows/plan.js")).planJob,
  apply: async () => (await import("./flows/apply.js")).applyJob,
  rotate: async () => (await import("./flows/rotate.js")).rotateJob,
};

/** The job's failure message: what went wrong, never a secret; an unexpected error says it is a bug. */
function failureMessage(error: unknown): string {
  if (error instanceof InputError || error instanceof EventError || error instanceof ConfigError) {
    return error.message;
  }
  if (error instanceof ApiError) {
    const hint =
      error.status === 401 || error.status === 403
        ? " Check that api-token is an admin token with tokens:read (and tokens:write to apply)."
        : error.transient
          ? " The token service may be down or unreachable from the runner; the next run retries."
          : "";
    return `the token service refused ${error.request}: ${error.message} (${error.code}).${hint}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `tokenform failed unexpectedly: ${message}. This is a bug; please report it with the run's log.`;
}

/**
 * Runs the Action once. Never throws: every failure ends in `core.setFailed`. The run has its own secret
 * registry (src/api/secret-registry.ts): every secret it handles is handed to `core.setSecret`.
 */
export function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return withSecretScope(() => runJob(env));
}

async function runJob(env: NodeJS.ProcessEnv): Promise<void> {
  const stopMasking = onSecret((secret) => core.setSecret(secret.reveal()));
  let api: TokenformClient | undefined;
  try {
    const inputs = readInputs(env);
    const runContext = await readRunContext(env);
    const job = chooseJob(inputs.mode, runContext.trigger);
    core.info(`tokenform: ${job} (event ${runContext.trigger.event}, mode ${inputs.mode})`);
    if (inputs.apiUrl && inputs.apiToken) {
      api = new TokenformClient({ baseUrl: inputs.apiUrl, token: new SecretValue(inputs.apiToken) });
    }
    const cwd = process.cwd();
    const ctx: JobContext = {
      inputs,
      run: runContext,
      cwd,
      workspace: env.GITHUB_WORKSPACE || cwd,
      env,
      ...(inputs.repoToken ? { github: createRepoClient(inputs.repoToken, runContext.apiUrl) } : {}),
      ...(api ? { api } : {}),
    };
    const outcome = await (await JOBS[job]())(ctx);
    core.setOutput("has-changes", outcome.hasChanges);
    core.setOutput("plan-json", outcome.planJson ?? "");
    core.setOutput("summary", outcome.summary);
    if (outcome.failures.length > 0) core.setFailed(redactKnownSecrets(outcome.failures.join("\n")));
  } catch (error) {
    core.setFailed(redactKnownSecrets(failureMessage(error)));
  } finally {
    stopMasking();
    await api?.close();
  }
}
