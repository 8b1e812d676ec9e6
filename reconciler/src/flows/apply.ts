/**
 * The apply job (a push to the default branch, or `mode: apply`): validate, plan afresh against the token
 * service, compare with the plan reviewed on the merged pull request (`review-gate.ts`), apply, and report
 * what was created, rotated and retired and where each new secret went. Any failed change or delivery
 * fails the job; the next run converges what is left.
 */
import * as core from "@actions/core";
import { closingLine } from "../../../src/plan/render/words.js";
import { hasChanges } from "../../../src/plan/types.js";
import { localMarkdown, splitLocalDeliveries } from "../local-deliveries.js";
import { applyLine, applyMarkdown, destinationChecksMarkdown } from "../report.js";
import { writeJobSummary, writePlanFile } from "../summary.js";
import { checkSpecs, type JobContext, type JobOutcome, requireApi, specFailure } from "./context.js";
import { applyFailures, applyWithProgress, planForAction } from "./deliver.js";
import { reviewGate } from "./review-gate.js";

const TITLE = "### tokenform apply";

/** Runs the apply job; see the module comment. */
export async function applyJob(ctx: JobContext): Promise<JobOutcome> {
  const specs = await checkSpecs(ctx);
  if (!specs.set) {
    const failure = specFailure(specs.diagnostics, "nothing was applied");
    await writeJobSummary(`${TITLE}\n\n❌ ${failure}.\n`, ctx.env);
    return { hasChanges: false, summary: "The specs are invalid; nothing was applied.", failures: [failure] };
  }
  const api = requireApi(ctx, "apply");
  const plan = await planForAction(
    ctx,
    api,
    specs.set,
    ctx.inputs.checkDestinations ? "with-credentials" : "never",
  );
  const planJson = await writePlanFile(plan, ctx.env);
  core.info(`${closingLine(plan)} (plan ${plan.hash.slice(0, 19)})`);
  if (plan.errors.length > 0) {
    const failure = `nothing was applied: the plan has ${plan.errors.length} error(s): ${plan.errors.map((e) => `${e.name}: ${e.message}`).join("; ")}`;
    await writeJobSummary(
      `${TITLE}

❌ ${failure}
`,
      ctx.env,
    );
    return { hasChanges: hasChanges(plan), planJson, summary: closingLine(plan), failures: [failure] };
  }
  const { remote, local } = splitLocalDeliveries(plan);
  const left = localMarkdown(local, true);
  if (!hasChanges(remote)) {
    const what = hasChanges(plan)
      ? "nothing the Action applies"
      : "No changes: the token service matches the specs";
    await writeJobSummary(`${TITLE}\n\nOwner: \`${plan.owner}\` · ${what}.\n\n${left}`, ctx.env);
    return {
      hasChanges: hasChanges(plan),
      planJson,
      summary: hasChanges(plan) ? "Nothing applied." : "No changes.",
      failures: [],
    };
  }
  // Only what this job applies is held to the review (file deliveries are left to a workstation).
  const gate = await reviewGate(ctx, remote);
  if (gate.stop) {
    await writeJobSummary(
      `${TITLE}\n\nOwner: \`${plan.owner}\` · ${closingLine(plan)}\n\n${gate.markdown}\n${left}`,
      ctx.env,
    );
    return {
      hasChanges: true,
      planJson,
      summary: "Not applied: the plan differs from the reviewed one.",
      failures: [gate.failure ?? "nothing was applied"],
    };
  }
  const result = await applyWithProgress(ctx, api, remote);
  await writeJobSummary(
    `${applyMarkdown(remote, result, TITLE)}\n${gate.markdown}\n${destinationChecksMarkdown(plan)}\n${left}`,
    ctx.env,
  );
  return { hasChanges: true, planJson, summary: applyLine(result), failures: applyFailures(result) };
}
