/**
 * The Markdown rendering of a plan for pull-request comments and job summaries: a summary table, a
 * `diff` block per change kind inside collapsible sections (GitHub colours `+`/`-` lines in both light and
 * dark themes), drift and reports. `maxLength` keeps it within GitHub's comment limit.
 */

import { formatWhen, keyImpacts } from "../impact.js";
import type { Change, ChangeKind, Plan } from "../types.js";
import {
  changeDetails,
  closingLine,
  type DetailLine,
  driftAuthor,
  headline,
  pickupLines,
  retiringLine,
  SYMBOL,
  stoppingLine,
} from "./words.js";

/** GitHub rejects comment bodies over 65,536 characters; keep a margin for the marker and footer. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface MarkdownOptions {
  /** A heading line; default `### tokenform plan`. */
  title?: string;
  /** Truncate the details beyond this many characters (the summary always fits). */
  maxLength?: number;
  /** Text appended when details were cut (e.g. "Full plan in the job summary"). */
  truncatedNote?: string;
}

const TITLES: Record<ChangeKind, string> = {
  create: "Create",
  adopt: "Adopt",
  update: "Update in place",
  enable: "Enable",
  disable: "Disable",
  rotate: "Rotate",
  redeliver: "Re-deliver",
  recreate: "Recreate",
  retire: "Retire",
  delete: "Delete",
  orphan: "Release",
};

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The sign a detail line gets in a `diff` block: GitHub colours `+` green, `-` red and `!` orange. */
const DIFF_SIGN: Record<DetailLine["sign"], string> = { "+": "+", "-": "-", "~": "!", "→": "+" };

/** A change as `diff` lines: its headline, then the same details the terminal shows. */
function diffLines(change: Change): string[] {
  const sign = SYMBOL[change.kind] === "+" ? "+" : SYMBOL[change.kind] === "-" ? "-" : "!";
  return [
    `${sign} ${change.name}: ${headline(change)}`,
    ...changeDetails(change).map((l) => `${DIFF_SIGN[l.sign]}   ${l.sign === "→" ? "→ " : ""}${l.text}`),
  ];
}

export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const head: string[] = [options.title ?? "### tokenform plan", ""];
  head.push(`Owner: \`${plan.owner}\` · ${closingLine(plan)}`, "");
  const errors = plan.errors ?? [];
  if (errors.length > 0) {
    head.push("> [!CAUTION]", "> This spec cannot be applied as written; merging it applies nothing:", ">");
    for (const e of errors) head.push(`> - \`${e.name}\`: ${cell(e.message)}`);
    head.push("");
  }
  const impacts = keyImpacts(plan);
  const stopping = impacts.filter((k) => k.destructive);
  if (stopping.length > 0) {
    head.push(
      "> [!WARNING]",
      `> **Applying this plan stops ${stopping.length === 1 ? "a key" : `${stopping.length} keys`} from working.** Check that nothing still uses ${stopping.length === 1 ? "it" : "them"}:`,
      ">",
    );
    for (const key of stopping.slice(0, 20)) head.push(`> - ${cell(stoppingLine(key))}`);
    if (stopping.length > 20) head.push(`> - …and ${stopping.length - 20} more`);
    head.push("");
  }
  const warnings = plan.warnings ?? [];
  if (warnings.length > 0) {
    head.push("> [!NOTE]", "> Before applying:", ">");
    for (const w of warnings) head.push(`> - ${cell(w.message)}`);
    head.push("");
  }
  if (plan.changes.length > 0 || plan.drift.length > 0) {
    head.push("| Change | Tokens |", "| --- | --- |");
    const kinds = [...new Set(plan.changes.map((c) => c.kind))];
    for (const kind of kinds) {
      const names = plan.changes.filter((c) => c.kind === kind).map((c) => `\`${c.name}\``);
      head.push(
        `| ${SYMBOL[kind]} ${TITLES[kind]} (${names.length}) | ${cell(names.slice(0, 20).join(", "))}${names.length > 20 ? ", …" : ""} |`,
      );
    }
    if (plan.drift.length > 0)
      head.push(
        `| ⚠ Drift (${plan.drift.length}) | ${cell(plan.drift.map((d) => `\`${d.name}\``).join(", "))} |`,
      );
    head.push("");
  }
  const body: string[] = [];
  // Drift first, as terraform shows what changed outside of it before its actions.
  if (plan.drift.length > 0) {
    body.push("#### Changed outside tokenform", "", "Applying this plan sets it back:", "");
    for (const d of plan.drift) {
      const who = driftAuthor(d, (key) => `\`${key}\``);
      body.push(
        `- \`${d.name}\`: ${cell(d.fields.map((f) => f.field).join(", ") || "settings")} changed${who}`,
      );
    }
    body.push("");
  }
  const kinds = [...new Set(plan.changes.map((c) => c.kind))];
  for (const kind of kinds) {
    const changes = plan.changes.filter((c) => c.kind === kind);
    body.push(
      `<details${kind === "delete" || kind === "recreate" ? " open" : ""}><summary>${TITLES[kind]} (${changes.length})</summary>`,
      "",
      "```diff",
    );
    changes.forEach((change, i) => {
      if (i > 0) body.push("");
      body.push(...diffLines(change));
    });
    body.push("```", "", "</details>", "");
  }
  const later = impacts.filter((k) => !k.destructive);
  if (later.length > 0) {
    body.push(`#### Previous secrets that stop working later (${later.length})`, "");
    for (const key of later) body.push(`- ${cell(stoppingLine(key))}`);
    body.push("");
  }
  const unverified = plan.destinationChecks?.unverified ?? [];
  if (unverified.length > 0) {
    body.push(`#### Destinations not checked (${unverified.length})`, "");
    for (const u of unverified) body.push(`- \`${u.name}\` → ${cell(u.description)}: ${cell(u.reason)}`);
    body.push("");
  }
  const { stale, expiring, retiring, pickups = [] } = plan.reports;
  if (pickups.length > 0) {
    body.push(`#### Waiting for pickup (${pickups.length})`, "");
    for (const line of pickupLines(pickups)) body.push(`- ${cell(line)}`);
    body.push("");
  }
  if (stale.length + expiring.length + retiring.length > 0) {
    body.push("<details><summary>Notes</summary>", "");
    for (const s of stale) body.push(`- \`${s.name}\` unused for ${s.days} days`);
    for (const e of expiring) body.push(`- \`${e.name}\` expires ${formatWhen(e.expiresAt)}`);
    if (retiring.length > 0) body.push(`- ${retiringLine(retiring)}`);
    body.push("", "</details>", "");
  }
  const footer = `<sub>plan ${plan.hash.slice(0, 19)} · no secret values are ever shown</sub>`;
  let text = [...head, ...body, footer].join("\n");
  const max = options.maxLength;
  if (max !== undefined && text.length > max) {
    const note = options.truncatedNote ?? "The full plan did not fit here.";
    text = [...head, `> ${note}`, "", footer].join("\n");
    if (text.length > max) text = `${text.slice(0, max - 20)}\n\n…(truncated)`;
  }
  return `${text}\n`;
}
