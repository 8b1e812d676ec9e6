/**
 * The plan job (pull requests, pushes to other branches, manual runs): validate the specs, scan a pull
 * request's added lines for committed secrets, compute the plan, and report it — one pull-request comment
 * kept up to date, the job summary, the plan JSON file. On a fork pull request (no secrets, read-only
 * token) only validation and the scan run, and the summary says why.
 */
import * as core from "@actions/core";
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from "../../../src/plan/render/markdown.js";
import { closingLine } from "../../../src/plan/render/words.js";
import { reviewLine, reviewRecord } from "../../../src/plan/review.js";
import { hasChanges, type Plan } from "../../../src/plan/types.js";
import type { SecretLeak } from "../../../src/spec/secret-scan.js";
import { annotate, leakDiagnostic, newLeaks } from "../annotations.js";
import { planMarker, upsertComment } from "../comment.js";
import { isPullRequest, type PullRequestTrigger } from "../event.js";
import { statusOf } from "../github.js";
import { labelsFor, syncPlanLabels } from "../labels.js";
import { localMarkdown, splitLocalDeliveries } from "../local-deliveries.js";
import { scanPullRequest } from "../pr-scan.js";
import { diagnosticsMarkdown, forkMarkdown, leaksMarkdown, noServiceMarkdown, plural } from "../report.js";
import { writeJobSummary, writePlanFile } from "../summary.js";
import { type CheckedSpecs, checkSpecs, type JobContext, type JobOutcome, specFailure } from "./context.js";
import { planForAction } from "./deliver.js";

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

/** `2026-12-02 15:40 UTC`: when the plan was computed, as a reviewer reads it. */
function planTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * The comment's last line: the commit planned, the time and the run, so a reviewer sees at a glance whether
 * the comment is current (a re-run on a new commit changes it even when the plan does not).
 */
function provenance(ctx: JobContext, pr: PullRequestTrigger, plan?: Plan): string {
  const { owner, repo } = ctx.run.repository;
  const commit = `[\`${pr.headSha.slice(0, 7)}\`](${ctx.run.serverUrl}/${owner}/${repo}/commit/${pr.headSha})`;
  const run = ctx.run.runUrl ? ` · [run](${ctx.run.runUrl})` : "";
  const when = plan
    ? `planned ${planTime(plan.generatedAt)}`
    : `checked ${planTime(new Date().toISOString())}`;
  return `<sub>${when} for ${commit}${run}</sub>`;
}

/**
 * Keeps the pull request's plan comment up to date: `report` (title, warnings, errors) and, when there is
 * one, the plan, cut to fit GitHub's comment limit. A refused write is a warning: the plan is in the summary.
 */
async function comment(
  ctx: JobContext,
  pr: PullRequestTrigger,
  owner: string,
  report: string,
  plan?: Plan,
): Promise<void> {
  if (!ctx.inputs.comment || !ctx.github) return;
  const marker = planMarker(owner);
  // Hidden: the record of the plan shown, which the apply job on merge compares its own plan with.
  const head = `${marker}\n${plan ? `${reviewLine(reviewRecord(plan))}\n` : ""}${report}`;
  const footer = provenance(ctx, pr, plan);
  const body = `${
    plan
      ? `${head}\n${renderMarkdown(plan, {
          title: "",
          maxLength: GITHUB_COMMENT_LIMIT - head.length - footer.length - COMMENT_MARGIN,
          truncatedNote: `This plan is too long for one comment: the full plan is in the ${summaryLink(ctx)}, and as JSON in the \`plan-json\` output.`,
        }).trimStart()}`
      : head
  }\n${footer}\n`;
  const target = { owner: ctx.run.repository.owner, repo: ctx.run.repository.repo, issueNumber: pr.number };
  try {
    const outcome = await upsertComment(ctx.github, target, marker, body);
    core.info(`Plan comment ${outcome.action}: ${outcome.url}`);
  } catch (error) {
    const status = statusOf(error);
    core.warning(
      `could not ${status === 403 ? "write" : "update"} the plan comment on pull request #${pr.number}` +
        `${status ? ` (HTTP ${status})` : ""}: ${error instanceof Error ? error.message : String(error)}. ` +
        "The workflow needs `permissions: pull-requests: write`. The plan is in the job summary.",
    );
  }
  const labels = await syncPlanLabels(ctx.github, target, labelsFor(plan));
  if (labels.added.length + labels.removed.length > 0)
    core.info(
      `Plan labels: ${[...labels.added.map((l) => `+${l}`), ...labels.removed.map((l) => `-${l}`)].join(" ")}`,
    );
}

/** Markdown blocks joined with blank lines, empty ones dropped. */
function blocks(...parts: string[]): string {
  return `${parts
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .join("\n\n")}\n`;
}

/** Runs the plan job; see the module comment. */
export async function planJob(ctx: JobContext): Promise<JobOutcome> {
  const specs = await checkSpecs(ctx);
  const pr = isPullRequest(ctx.run.trigger) ? ctx.run.trigger : undefined;
  const api = pr?.fork ? undefined : ctx.api;
  if (!pr?.fork && Boolean(ctx.inputs.apiUrl) !== Boolean(ctx.inputs.apiToken)) {
    core.warning(
      `${ctx.inputs.apiUrl ? "api-url is set but api-token is empty" : "api-token is set but api-url is empty"}: no plan can be computed. Is the secret available to this workflow (environment, repository or organisation secrets)?`,
    );
  }
  // The scan (GitHub) and the plan (token service) do not depend on each other: run them side by side.
  const [scanned, plan] = await Promise.all([
    pr ? scan(ctx, pr, specs) : { leaks: [], notes: [] },
    specs.set && api
      ? planForAction(ctx, api, specs.set, ctx.inputs.checkDestinations ? "with-credentials" : "never")
      : undefined,
  ]);
  const { leaks, notes } = scanned;
  const failures: string[] = [];
  if (!specs.set) failures.push(specFailure(specs.diagnostics, "nothing was planned"));
  if (leaks.length > 0)
    failures.push(
      `${plural(leaks.length, "committed secret")} found in the pull request (annotated on their lines); a secret must never be committed`,
    );
  const validation = diagnosticsMarkdown(specs.diagnostics) || (plan ? "" : "✅ The specs are valid.");
  const leakText = leaksMarkdown(leaks);
  const scanNotes = notes.length > 0 ? `<sub>${notes.join(" ")}</sub>` : "";

  if (pr?.fork) {
    await writeJobSummary(blocks(TITLE, forkMarkdown(), leakText, validation, scanNotes), ctx.env);
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
  if (!plan) {
    const notice = specs.set ? noServiceMarkdown(pr !== undefined) : "";
    const report = blocks(TITLE, leakText, notice, validation, scanNotes);
    await writeJobSummary(report, ctx.env);
    if (pr) await comment(ctx, pr, owner, report);
    return {
      hasChanges: false,
      summary: specs.set
        ? "Specs valid; no token service configured, not planned."
        : "The specs are invalid; nothing was planned.",
      failures,
    };
  }

  const planJson = await writePlanFile(plan, ctx.env);
  core.info(`${closingLine(plan)} (plan ${plan.hash.slice(0, 19)}, JSON at ${planJson})`);
  if (plan.errors.length > 0) {
    failures.push(
      `the plan has ${plural(plan.errors.length, "error")}: ${plan.errors.map((e) => `${e.name}: ${e.message}`).join("; ")}`,
    );
  }
  const left = localMarkdown(splitLocalDeliveries(plan).local, false);
  const before = blocks(TITLE, leakText, validation, left, scanNotes);
  await writeJobSummary(blocks(before, renderMarkdown(plan, { title: "" })), ctx.env);
  if (pr) await comment(ctx, pr, owner, before, plan);
  return { hasChanges: hasChanges(plan), planJson, summary: closingLine(plan), failures };
}
