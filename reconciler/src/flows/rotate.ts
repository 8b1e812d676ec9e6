/**
 * The scheduled job (a `schedule` event, or `mode: rotate`): apply only what time made due — rotations,
 * re-deliveries, retirements and deletions after their grace (`SCHEDULED_KINDS`) — and report drift,
 * stale and expiring keys. Creates and updates wait for a reviewed merge. `fail-on-drift` turns drift red.
 */
import * as core from "@actions/core";
import { SCHEDULED_KINDS, selectChanges } from "../../../src/plan/filter.js";
import { closingLine } from "../../../src/plan/render/words.js";
import { hasChanges } from "../../../src/plan/types.js";
import { localMarkdown, splitLocalDeliveries } from "../local-deliveries.js";
import { applyLine, applyMarkdown, scheduledMarkdown } from "../report.js";
import { writeJobSummary, writePlanFile } from "../summary.js";
import { checkSpecs, type JobContext, type JobOutcome, requireApi, specFailure } from "./context.js";
import { applyFailures, applyWithProgress, planForAction } from "./deliver.js";

const TITLE = "### tokenform scheduled run";

/** Runs the scheduled job; see the module comment. */
export async function rotateJob(ctx: JobContext): Promise<JobOutcome> {
  const specs = await checkSpecs(ctx);
  if (!specs.set) {
    const failure = specFailure(specs.diagnostics, "nothing was rotated");
    await writeJobSummary(`${TITLE}\n\n❌ ${failure}.\n`, ctx.env);
    return { hasChanges: false, summary: "The specs are invalid; nothing was rotated.", failures: [failure] };
  }
  const api = requireApi(ctx, "rotate");
  // Scheduled runs always read the destinations: a deleted or overwritten secret is re-delivered.
  const full = await planForAction(ctx, api, specs.set, "always");
  const due = selectChanges(full, SCHEDULED_KINDS);
  const planJson = await writePlanFile(due, ctx.env);
  core.info(`Due now: ${closingLine(due)} Drift: ${full.drift.length}.`);
  const failures: string[] = [];
  let applied = "";
  let summary = "Nothing due.";
  const { remote, local } = splitLocalDeliveries(due);
  if (hasChanges(remote)) {
    const result = await applyWithProgress(ctx, api, remote);
    applied = applyMarkdown(remote, result, "#### Applied");
    summary = applyLine(result);
    failures.push(...applyFailures(result));
  }
  if (full.errors.length > 0) {
    core.warning(
      `the specs cannot be applied as written (${full.errors.map((e) => `${e.name}: ${e.message}`).join("; ")}); due rotations of other tokens went ahead`,
    );
  }
  if (full.drift.length > 0) {
    const names = full.drift.map((d) => d.name).join(", ");
    const message = `drift found in ${full.drift.length} token${full.drift.length === 1 ? "" : "s"}: ${names}`;
    if (ctx.inputs.failOnDrift) failures.push(`${message} (fail-on-drift is set)`);
    else core.warning(message);
    summary = `${summary} Drift: ${full.drift.length}.`;
  }
  const head = `${TITLE}\n\nOwner: \`${full.owner}\` · due now: ${closingLine(due)}\n`;
  const parts = [head, applied, localMarkdown(local, true), scheduledMarkdown(full, due)];
  await writeJobSummary(parts.filter((p) => p !== "").join("\n"), ctx.env);
  return { hasChanges: hasChanges(due), planJson, summary, failures };
}
