/**
 * The plan job (pull requests, pushes to other branches, manual runs): validate the specs, scan a pull
 * request's added lines for committed secrets, compute the plan, and report it — one pull-request comment
 * kept up to date, the job summary, the plan JSON file. On a fork pull request (no secrets, read-only
 * token) only validation and the scan run, and the summary says why.
 */
import * as core from "@actions/core";
import { planTokenSet } from "../../../src/plan/fetch.js";
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from "../../../src/plan/render/markdown.js";
import { closingLine } from "../../../src/plan/render/words.js";
import { hasChanges, type Plan } from "../../../src/plan/types.js";
import type { SecretLeak } from "../../../src/spec/secret-scan.js";
import { annotate, leakDiagnostic, newLeaks } from "../annotations.js";
import { planMarker, upsertComment } from "../comment.js";
import { isPullRequest, type PullRequestTrigger } from "../event.js";
import { statusOf } from "../github.js";
import { scanPullRequest } from "../pr-scan.js";
import { diagnosticsMarkdown, forkMarkdown, leaksMarkdown, noServiceMarkdown, plural } from "../report.js";
import { writeJobSummary, writePlanFile } from "../summary.js";
import { type CheckedSpecs, checkSpecs, type JobContext, type JobOutcome, specFailure } from "./context.js";

const TITLE = "### tokenform plan";
/** Room kept in a comment for the marker, the secret warning and the footer around the plan. */
const COMMENT_MARGIN = 512;

/** Scans the pull request's changes; a missing token is reported, never skipped silently. */
async function scan(
  ctx: JobContext,
  pr: PullRequestTrigger,
  specs: CheckedSpecs,
): Promise<{ leaks: SecretLeak[]; notes: string[] }> {
  if (!ctx.github) {
    core.warning(
      "no repo-token (or GITHUB_TOKEN): the pull request's changed files were not scanned for secrets",
    );
    return {
      leaks: [],
      notes: ["The changed files were not scanned for secrets: no `repo-token` was available."],
    };
  }
  const result = await scanPullRequest(ctx.github, {
    owner: ctx.run.repository.owner,
    repo: ctx.run.repository.repo,
    pullNumber: pr.number,
    workspace: ctx.workspace,
  });
  annotate(newLeaks(result.leaks, specs.diagnostics).map(leakDiagnostic));
  const notes = [`Scanned the added lines of ${plural(result.filesChanged, "changed file")} for secrets.`];
  if (result.notScanned.length > 0) {
    notes.push(
      `Not scanned (binary, or too large a diff to read): ${result.notScanned
        .slice(0, 20)
        .map((f) => `\`${f}\``)
        .join(", ")}${result.notScanned.length > 20 ? ", …" : ""}.`,
    );
  }
  return { leaks: result.leaks, notes };
}

/** The link to the run's summary, for the truncated-comment note. */
function summaryLink(ctx: JobContext): string {
  return ctx.run.runUrl ? `[job summary](${ctx.run.runUrl})` : "job summary";
}

/** Keeps the pull request's plan comment up to date; a refusal is a warning, not a failed plan. */
async function comment(
  ctx: JobContext,
  pr: PullRequestTrigger,
  owner: string,
  parts: string[],
  plan?: Plan,
): Promise<void> {
  if (!ctx.inputs.comment || !ctx.github) return;
  const marker = planMarker(owner);
  const before = [marker, ...parts].join("\n");
  const body = plan
    ? `${before}\n${renderMarkdown(plan, {
        title: TITLE,
        maxLength: GITHUB_COMMENT_LIMIT - before.length - COMMENT_MARGIN,
        truncatedNote: `This plan is too long for one comment: the full plan is in the ${summaryLink(ctx)}, and as JSON in the \`plan-json\` output.`,
      })}`
    : `${before}\n`;
  try {
    const outcome = await upsertComment(
      ctx.github,
      { owner: ctx.run.repository.owner, repo: ctx.run.repository.repo, issueNumber: pr.number },
      marker,
      body,
    );
    core.info(`Plan comment ${outcome.action}: ${outcome.url}`);
  } catch (error) {
    const status = statusOf(error);
    core.warning(
      `could not ${status === 403 ? "write" : "update"} the plan comment on pull request #${pr.number}` +
        `${status ? ` (HTTP ${status})` : ""}: ${error instanceof Error ? error.message : String(error)}. ` +
        "The workflow needs `permissions: pull-requests: write`. The plan is in the job summary.",
    );
  }
}

export async function planJob(ctx: JobContext): Promise<JobOutcome> {
  const specs = await checkSpecs(ctx);
  const pr = isPullRequest(ctx.run.trigger) ? ctx.run.trigger : undefined;
  const { leaks, notes } = pr ? await scan(ctx, pr, specs) : { leaks: [], notes: [] };
  const failures: string[] = [];
  if (!specs.set) failures.push(specFailure(specs.diagnostics, "nothing was planned"));
  if (leaks.length > 0)
    failures.push(
      `${plural(leaks.length, "committed secret")} found in the pull request (annotated on their lines); a secret must never be committed`,
    );
  const validation = diagnosticsMarkdown(specs.diagnostics);
  const leakText = leaksMarkdown(leaks);
  const scanNotes = notes.length > 0 ? `<sub>${notes.join(" ")}</sub>\n` : "";

  if (pr?.fork) {
    await writeJobSummary(
      [TITLE, "", forkMarkdown(), leakText, validation || "✅ The specs are valid.\n", scanNotes].join("\n"),
      ctx.env,
    );
    core.notice("fork pull request: no secrets are available, so only validation and the secret scan ran");
    return {
      hasChanges: false,
      summary:
        failures.length > 0
          ? "Fork pull request: checks failed."
          : "Fork pull request: specs valid, no secrets found; not planned.",
      failures,
    };
  }

  const owner = specs.owner ?? `specs:${ctx.inputs.specs.join(",")}`;
  if (!specs.set || !ctx.api) {
    const notice = !specs.set ? "" : noServiceMarkdown(pr !== undefined);
    const parts = [TITLE, "", leakText, notice, validation || "✅ The specs are valid.\n", scanNotes].filter(
      (p, i) => i < 2 || p !== "",
    );
    await writeJobSummary(parts.join("\n"), ctx.env);
    if (pr) await comment(ctx, pr, owner, parts);
    return {
      hasChanges: false,
      summary: !specs.set
        ? "The specs are invalid; nothing was planned."
        : "Specs valid; no token service configured, not planned.",
      failures,
    };
  }

  const plan = await planTokenSet(ctx.api, specs.set);
  const planJson = await writePlanFile(plan, ctx.env);
  core.info(`${closingLine(plan)} (plan ${plan.hash.slice(0, 19)}, JSON at ${planJson})`);
  const extra = [leakText, validation, scanNotes].filter((p) => p !== "");
  await writeJobSummary([...extra, renderMarkdown(plan, { title: TITLE })].join("\n"), ctx.env);
  if (pr) await comment(ctx, pr, owner, extra, plan);
  return { hasChanges: hasChanges(plan), planJson, summary: closingLine(plan), failures };
}
