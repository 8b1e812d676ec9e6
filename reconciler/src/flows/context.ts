/**
 * What every job of the Action receives and returns: the inputs, the run's context, the clients main
 * built, and the outcome main turns into outputs and the job's status. Plus the step all jobs share:
 * loading the specs and annotating what is wrong with them.
 */
import type { TokenformApi } from "../../../src/api/contract.js";
import type { Diagnostic } from "../../../src/spec/diagnostics.js";
import { hasErrors } from "../../../src/spec/diagnostics.js";
import type { SpecResult } from "../../../src/spec/load.js";
import type { ResolvedTokenSet } from "../../../src/spec/resolved.js";
import { annotate } from "../annotations.js";
import type { RunContext } from "../event.js";
import type { GithubRest } from "../github.js";
import { type ActionInputs, InputError } from "../inputs.js";
import type { Job } from "../mode.js";
import { loadSpecs, ownerOf, withRepoPaths } from "../specs.js";

/** Everything a job needs; built by `run()`. */
export interface JobContext {
  inputs: ActionInputs;
  run: RunContext;
  /** Directory relative spec paths are read from (the workspace). */
  cwd: string;
  /** The repository root annotations are relative to (`GITHUB_WORKSPACE`, else `cwd`). */
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** This repository's REST client (workflow token); absent when no `repo-token`/`GITHUB_TOKEN` is set. */
  github?: GithubRest;
  /** The token service; absent when `api-url` or `api-token` is missing. */
  api?: TokenformApi;
}

/** What a job reports back; `run()` sets the outputs from it and fails the job when `failures` is not empty. */
export interface JobOutcome {
  /** Whether the plan (for apply and rotate: the plan that was applied) had changes. */
  hasChanges: boolean;
  /** Path of the plan JSON file; absent when no plan was computed. */
  planJson?: string;
  /** One line: the plan's closing line, what was applied, or why nothing was planned. */
  summary: string;
  /** Why the job failed, one message each; empty on success. */
  failures: string[];
}

/** The specs, loaded and annotated. */
export interface CheckedSpecs {
  result: SpecResult;
  /** Diagnostics with repository-relative paths (as annotated). */
  diagnostics: Diagnostic[];
  /** The resolved set; absent when any diagnostic is an error. */
  set?: ResolvedTokenSet;
  /** The set's owner, when any document names one (also for broken specs). */
  owner?: string;
}

/** Loads the specs, writes one annotation per diagnostic and returns them. */
export async function checkSpecs(ctx: JobContext): Promise<CheckedSpecs> {
  const result = await loadSpecs(ctx.inputs.specs, ctx.cwd);
  const diagnostics = withRepoPaths(result.diagnostics, ctx.cwd, ctx.workspace);
  annotate(diagnostics);
  const owner = await ownerOf(result, ctx.cwd);
  const set = hasErrors(diagnostics) ? undefined : result.set;
  return { result, diagnostics, ...(set ? { set } : {}), ...(owner ? { owner } : {}) };
}

/** The token service, or an input error saying that `job` needs it. */
export function requireApi(ctx: JobContext, job: Job): TokenformApi {
  if (ctx.api) return ctx.api;
  throw new InputError(`mode ${job} needs the token service: set the api-url and api-token inputs`);
}

/** The failure message for invalid specs. */
export function specFailure(diagnostics: readonly Diagnostic[], what: string): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return `the specs have ${errors} error${errors === 1 ? "" : "s"} (annotated on their files); ${what}`;
}
