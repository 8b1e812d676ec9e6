/**
 * The Markdown the Action writes to pull-request comments and job summaries besides the plan itself:
 * spec errors, committed credentials, the fork notice, apply results (what was created, rotated, retired,
 * and where each new secret went — names, never values) and the scheduled run's drift and key reports.
 */
import { redactKnownSecrets } from "../../src/api/secret.js";
import type { ApplyResult, ChangeResult } from "../../src/apply/apply.js";
import { driftAuthor, headline, SYMBOL } from "../../src/plan/render/words.js";
import type { ReviewComparison } from "../../src/plan/review.js";
import type { ChangeKind, Plan } from "../../src/plan/types.js";
import { countDiagnostics, type Diagnostic, formatLocation } from "../../src/spec/diagnostics.js";
import type { SecretLeak } from "../../src/spec/secret-scan.js";

/** Items listed before "and N more" (a comment must stay readable and within GitHub's size limit). */
const MAX_LISTED = 50;

/** Past-tense words for apply results, per change kind. */
const DONE: Record<ChangeKind, string> = {
  create: "created",
  adopt: "adopted",
  update: "updated",
  enable: "enabled",
  disable: "disabled",
  rotate: "rotated",
  redeliver: "re-delivered",
  recreate: "recreated",
  retire: "retired",
  delete: "deleted",
  orphan: "released",
};

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function more(total: number): string[] {
  return total > MAX_LISTED ? [`- …and ${total - MAX_LISTED} more`] : [];
}

/** `2 tokens` / `1 token`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Spec errors and warnings as a list with file:line locations. Messages never contain a secret. */
export function diagnosticsMarkdown(diagnostics: readonly Diagnostic[]): string {
  const { errors, warnings } = countDiagnostics(diagnostics);
  if (errors === 0 && warnings === 0) return "";
  const head =
    errors > 0
      ? `**The specs have ${plural(errors, "error")}${warnings ? ` and ${plural(warnings, "warning")}` : ""}; nothing was planned.** Each is annotated on its file and line.`
      : `The specs have ${plural(warnings, "warning")}.`;
  const lines = diagnostics
    .slice(0, MAX_LISTED)
    .map(
      (d) =>
        `- ${d.severity === "error" ? "❌" : "⚠️"} \`${formatLocation(d)}\` ${cell(d.message)} (\`${d.code}\`)`,
    );
  return [head, "", ...lines, ...more(diagnostics.length), ""].join("\n");
}

/** Committed credentials: where, what kind, a prefix — and what to do. */
export function leaksMarkdown(leaks: readonly SecretLeak[]): string {
  if (leaks.length === 0) return "";
  return [
    "> [!CAUTION]",
    `> **This pull request commits ${leaks.length === 1 ? "a secret" : `${leaks.length} secrets`}.** A secret must never be committed: the repository is copied to every clone, fork and CI log. Remove ${leaks.length === 1 ? "it" : "them"} from the branch (rewrite its history), revoke ${leaks.length === 1 ? "it" : "them"} now — treat ${leaks.length === 1 ? "it" : "them"} as leaked — and let tokenform create and deliver secrets.`,
    ">",
    ...leaks
      .slice(0, MAX_LISTED)
      .map((l) => `> - \`${l.file}:${l.line}\` ${l.kind} starting \`${l.shown}…\``),
    ...more(leaks.length).map((l) => `> ${l}`),
    "",
  ].join("\n");
}

/** The fork-PR notice: why there is no plan, and what did run. */
export function forkMarkdown(): string {
  return [
    "> [!NOTE]",
    "> This pull request comes from a fork. GitHub gives workflows on fork pull requests no secrets and a read-only token, so tokenform cannot reach the token service to compute a plan or post a comment. The specs were validated and the changes scanned for committed secrets; the plan is computed once a maintainer pushes the change to a branch of this repository (or it is merged).",
    "",
  ].join("\n");
}

/** The note when no token service was configured; `scanned` when a pull request's changes were scanned. */
export function noServiceMarkdown(scanned: boolean): string {
  return [
    "> [!NOTE]",
    `> No token service is configured (inputs \`api-url\` and \`api-token\`), so no plan was computed: the specs were validated${scanned ? " and the changes scanned for committed secrets" : ""} only.`,
    "",
  ].join("\n");
}

/** One line for the `summary` output after an apply. */
export function applyLine(result: ApplyResult): string {
  if (result.results.length === 0) return "No changes.";
  const ok = result.results.filter((r) => r.ok);
  const counts = new Map<ChangeKind, number>();
  for (const r of ok) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  const parts = [...counts].map(([kind, n]) => `${n} ${DONE[kind]}`);
  const failed = result.results.length - ok.length;
  const applied = parts.length > 0 ? `Applied: ${parts.join(", ")}.` : "Nothing applied.";
  return failed > 0 ? `${applied} ${failed} failed.` : applied;
}

function resultRow(r: ChangeResult): string {
  const status = r.ok ? `✅ ${DONE[r.kind]}` : "❌ failed";
  const where = r.ok
    ? (r.delivered ?? []).join("<br>")
    : (r.failures ?? []).map((f) => f.destination).join("<br>");
  return `| \`${r.name}\` | ${r.kind} | ${status} | ${cell(r.message)} | ${cell(where) || "—"} |`;
}

/** The apply report: one row per change, then the failures in detail. */
export function applyMarkdown(plan: Plan, result: ApplyResult, title: string): string {
  const lines = [title, "", `Owner: \`${plan.owner}\` · ${applyLine(result)}`, ""];
  if (result.results.length > 0) {
    lines.push(
      "| Token | Change | Result | Detail | Secret delivered to |",
      "| --- | --- | --- | --- | --- |",
      ...result.results.map(resultRow),
      "",
    );
  }
  const failed = result.results.filter((r) => !r.ok);
  if (failed.length > 0) {
    lines.push("#### Failures", "");
    for (const r of failed) {
      lines.push(`- \`${r.name}\` (${r.kind}): ${cell(r.message)}`);
      for (const f of r.failures ?? []) lines.push(`  - ${cell(f.destination)}: ${cell(f.message)}`);
    }
    lines.push(
      "",
      "A token whose delivery failed was revoked (or its previous secret kept); the next run tries again.",
      "",
    );
  }
  lines.push(`<sub>plan ${plan.hash.slice(0, 19)} · no secret values are ever shown</sub>`, "");
  return redactKnownSecrets(lines.join("\n"));
}

/**
 * What the destination-drift check found: destinations that no longer held their token's secret (the plan
 * re-delivers them) and those that could not be read. Empty when the check found nothing to say.
 */
export function destinationChecksMarkdown(plan: Plan): string {
  const checks = plan.destinationChecks;
  if (!checks || checks.drifted.length + checks.unverified.length === 0) return "";
  const lines: string[] = [];
  if (checks.drifted.length > 0) {
    lines.push(
      `#### ⚠️ Destination drift (${checks.drifted.length})`,
      "",
      "No longer holding the secret tokenform delivered; re-delivered with a new secret:",
      "",
    );
    for (const d of checks.drifted.slice(0, MAX_LISTED))
      lines.push(`- \`${d.name}\` → ${cell(d.description)}: ${cell(d.reason)}`);
    lines.push(...more(checks.drifted.length), "");
  }
  if (checks.unverified.length > 0) {
    lines.push(`#### Destinations not checked (${checks.unverified.length})`, "");
    for (const d of checks.unverified.slice(0, MAX_LISTED))
      lines.push(`- \`${d.name}\` → ${cell(d.description)}: ${cell(d.reason)}`);
    lines.push(...more(checks.unverified.length), "");
  }
  return redactKnownSecrets(lines.join("\n"));
}

/**
 * The plan about to be applied next to the one reviewed on pull request `number`: changes the review did
 * not show (a `diff` block), changes due since without review, reviewed changes no longer planned.
 */
export function reviewMarkdown(comparison: ReviewComparison, number: number): string {
  const lines: string[] = [];
  const hash = `\`${comparison.reviewed.hash.slice(0, 19)}…\``;
  if (comparison.unreviewed.length > 0) {
    lines.push(
      `#### Not in the reviewed plan (${comparison.unreviewed.length})`,
      "",
      `The plan reviewed on #${number} (${hash}) did not show:`,
      "",
      "```diff",
      ...comparison.unreviewed
        .slice(0, MAX_LISTED)
        .map(
          (c) =>
            `${SYMBOL[c.kind] === "-" ? "-" : SYMBOL[c.kind] === "+" ? "+" : "!"} ${c.name}: ${headline(c)}`,
        ),
      "```",
      ...more(comparison.unreviewed.length),
      "",
    );
  } else {
    lines.push(`Applying the plan reviewed on #${number} (${hash}).`, "");
  }
  if (comparison.due.length > 0) {
    lines.push(
      `#### Due since the review (${comparison.due.length})`,
      "",
      "Made due by time or the destinations, not by the specs; applied without review:",
      "",
    );
    for (const d of comparison.due.slice(0, MAX_LISTED))
      lines.push(`- \`${d.change.name}\` ${d.change.kind} (${d.why})`);
    lines.push(...more(comparison.due.length), "");
  }
  if (comparison.gone.length > 0) {
    lines.push(
      `Reviewed but not planned here now (already done, or left to \`tokenform apply\` on a workstation): ${comparison.gone.map((g) => `${g.kind} \`${g.name}\``).join(", ")}.`,
      "",
    );
  }
  return redactKnownSecrets(lines.join("\n"));
}

/** The scheduled run's report on the whole set: drift, stale and expiring keys, changes left for a merge. */
export function scheduledMarkdown(full: Plan, scheduled: Plan): string {
  const lines: string[] = [];
  if (full.drift.length > 0) {
    lines.push(
      `#### ⚠️ Drift (${full.drift.length})`,
      "",
      "Changed outside tokenform; the next apply from the specs sets it back:",
      "",
    );
    for (const d of full.drift.slice(0, MAX_LISTED)) {
      const who = driftAuthor(d, (key) => `\`${key}\``);
      lines.push(
        `- \`${d.name}\`: ${cell(d.fields.map((f) => f.field).join(", ") || "settings")} changed${who}`,
      );
    }
    lines.push(...more(full.drift.length), "");
  } else {
    lines.push("No drift: every managed token matches its spec.", "");
  }
  const destinations = destinationChecksMarkdown(full);
  if (destinations) lines.push(destinations);
  const { stale, expiring, retiring } = full.reports;
  if (stale.length > 0) {
    lines.push(
      `#### Stale keys (${stale.length})`,
      "",
      "Unused for a long time; consider removing them from the specs:",
      "",
    );
    for (const s of stale.slice(0, MAX_LISTED))
      lines.push(
        `- \`${s.name}\`: ${s.lastUsedAt ? `last used ${s.lastUsedAt}` : "never used"} (${s.days} days)`,
      );
    lines.push(...more(stale.length), "");
  }
  if (expiring.length > 0) {
    lines.push(`#### Expiring soon (${expiring.length})`, "");
    for (const e of expiring.slice(0, MAX_LISTED))
      lines.push(`- \`${e.name}\` expires ${e.expiresAt} (in ${plural(e.days, "day")})`);
    lines.push(...more(expiring.length), "");
  }
  if (retiring.length > 0) {
    lines.push(`#### Retired, waiting for deletion (${retiring.length})`, "");
    for (const r of retiring.slice(0, MAX_LISTED))
      lines.push(`- \`${r.name}\` is deleted after ${r.deleteAfter}`);
    lines.push(...more(retiring.length), "");
  }
  const waiting = full.changes.length - scheduled.changes.length;
  if (waiting > 0) {
    lines.push(
      `${plural(waiting, "other change")} (creates, updates) wait for the specs to be applied from the default branch; a scheduled run applies only due rotations, re-deliveries and retirements.`,
      "",
    );
  }
  return lines.join("\n");
}
