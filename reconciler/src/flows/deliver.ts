/**
 * Planning and applying from the Action: the sinks get their credentials from the Action's inputs (the
 * `github-token` that may write secrets, the GitLab token and URL) through an environment object built
 * here (each kind's `action` in `src/destinations`), not from the workflow's own environment. Progress goes
 * to the log one line per step; a failed change becomes an error annotation. Changes that would write a
 * secret to a file are split off before (`local-deliveries.ts`); the `file` sink here only refuses, as a
 * last guard.
 */
import * as core from "@actions/core";
import type { TokenformApi } from "../../../src/api/contract.js";
import { redactKnownSecrets } from "../../../src/api/secret.js";
import { type ApplyResult, applyPlan } from "../../../src/apply/apply.js";
import type { ActionInput } from "../../../src/destinations/kind.js";
import {
  type ActionInputField,
  type AnyDestinationKind,
  allKinds,
  type DestinationKindName,
} from "../../../src/destinations/registry.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import type { Plan } from "../../../src/plan/types.js";
import { createSinks } from "../../../src/sinks/index.js";
import { DeliveryError, type Sink, type SinkRegistry } from "../../../src/sinks/types.js";
import type { ResolvedTokenSet } from "../../../src/spec/resolved.js";
import { destinationId } from "../../../src/spec/resolved.js";
import { logProgress } from "../progress.js";
import type { JobContext } from "./context.js";

/** A sink for a kind the Action refuses on the runner (files), saying where such tokens are applied. */
function refusingSink(kind: AnyDestinationKind): Sink {
  const { action } = kind;
  if (action.onRunner !== "refuse") throw new Error(`the Action delivers ${kind.kind} destinations`);
  return {
    kind: kind.kind,
    async deliver(destination) {
      throw new DeliveryError(destinationId(destination), action.refusal(destination).deliver);
    },
    async inspect(destination) {
      throw new DeliveryError(destinationId(destination), action.refusal(destination).inspect);
    },
    async remove() {},
  };
}

/** The value of a kind's input (`ActionInputs` has a field for each, typed from the registry). */
function inputOf(ctx: JobContext, input: ActionInput): string | undefined {
  return ctx.inputs[input.field as ActionInputField];
}

/** The kinds the Action delivers, and those of them whose credential this job has. */
function runnerKinds(ctx: JobContext): {
  all: DestinationKindName[];
  withCredentials: DestinationKindName[];
} {
  const all = allKinds().filter((k) => k.action.onRunner === "deliver");
  const withCredentials = all.filter((k) =>
    k.action.inputs.some((input) => input.secret && inputOf(ctx, input) !== undefined),
  );
  return { all: all.map((k) => k.kind), withCredentials: withCredentials.map((k) => k.kind) };
}

/** The sinks, with credentials from the Action's inputs (each kind's `action.inputs` → its sink's env). */
export function actionSinks(ctx: JobContext): SinkRegistry {
  const env: NodeJS.ProcessEnv = {};
  for (const { action } of allKinds()) {
    if (action.onRunner !== "deliver") continue;
    for (const input of action.inputs) {
      const value = inputOf(ctx, input);
      if (value) env[input.env] = value;
    }
    Object.assign(env, action.runEnv?.(ctx.run));
  }
  const sinks: Record<string, Sink> = { ...createSinks({ env }) };
  for (const kind of allKinds()) if (kind.action.onRunner === "refuse") sinks[kind.kind] = refusingSink(kind);
  return sinks as unknown as SinkRegistry;
}

/**
 * Plans `set`, reading each destination of a token the plan keeps for destination drift, for the kinds
 * the Action delivers (GitHub, GitLab; files live on other machines: the Action cannot read them):
 * `"always"` (scheduled runs: a destination that cannot be read, for want of a credential too, is
 * reported), `"with-credentials"` (plan and apply jobs: only the kinds whose token the job has — a pull
 * request's plan usually has no secret-writing token), or `"never"`.
 */
export function planForAction(
  ctx: JobContext,
  api: TokenformApi,
  set: ResolvedTokenSet,
  check: "always" | "with-credentials" | "never",
): Promise<Plan> {
  if (check === "never") return planTokenSet(api, set);
  const runner = runnerKinds(ctx);
  const kinds = check === "always" ? runner.all : runner.withCredentials;
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
