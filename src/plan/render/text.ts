/**
 * The terminal rendering of a plan, modelled on `terraform plan`: one block per change with `+ ~ ± -`
 * markers, field diffs, drift and reports, and a closing `Plan: …` line. Colour only when asked (a TTY).
 */
import { formatWhen, keyImpacts } from "../impact.js";
import type { Change, Plan } from "../types.js";
import {
  changeDetails,
  closingLine,
  driftAuthor,
  headline,
  pickupLines,
  retiringLine,
  SYMBOL,
  stoppingLine,
} from "./words.js";

export interface TextOptions {
  /** ANSI colours (set for a TTY only). */
  color?: boolean;
}

const ANSI = { green: 32, yellow: 33, red: 31, cyan: 36, magenta: 35, bold: 1, dim: 2 } as const;

/** Destinations that could not be checked, listed one per line up to this many. */
const MAX_UNVERIFIED_LINES = 10;

function painter(enabled: boolean) {
  return (style: keyof typeof ANSI, text: string) =>
    enabled ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text;
}

function colourOf(change: Change): keyof typeof ANSI {
  switch (change.kind) {
    case "create":
      return "green";
    case "rotate":
    case "redeliver":
      return "cyan";
    case "recreate":
      return "magenta";
    case "retire":
    case "delete":
      return "red";
    default:
      return "yellow";
  }
}

/** A change's detail lines, `field = value` aligned within the change as terraform aligns its attributes. */
function details(change: Change): string[] {
  const lines = changeDetails(change);
  const width = Math.max(0, ...lines.map((l) => (l.text.includes(" = ") ? l.text.indexOf(" = ") : 0)));
  return lines.map((l) => {
    const at = l.text.indexOf(" = ");
    const text = at > 0 ? `${l.text.slice(0, at).padEnd(width)}${l.text.slice(at)}` : l.text;
    return `${l.sign} ${text}`;
  });
}

type Paint = ReturnType<typeof painter>;

function errorLines(plan: Plan, paint: Paint): string[] {
  const errors = plan.errors ?? [];
  if (errors.length === 0) return [];
  return [
    paint("red", "Errors: the spec cannot be applied as written."),
    ...errors.map((e) => `  ${paint("red", "✗")} ${paint("bold", e.name)}: ${e.message}`),
    "",
  ];
}

/** Drift comes first, as terraform shows "changed outside of Terraform" before its actions. */
function driftLines(plan: Plan, paint: Paint): string[] {
  if (plan.drift.length === 0) return [];
  return [
    paint("yellow", "Changed outside tokenform (this plan sets it back):"),
    ...plan.drift.map((d) => {
      const who = driftAuthor(d);
      const what = d.fields.map((f) => f.field).join(", ") || "settings";
      return `  ! ${d.name}: ${what} changed${who}`;
    }),
    "",
  ];
}

function changeLines(plan: Plan, paint: Paint): string[] {
  if (plan.changes.length === 0) {
    return (plan.errors ?? []).length > 0
      ? [] // Nothing else to say: the closing line says what to do.
      : [`${paint("bold", "No changes.")} The tokens of ${plan.owner} match the spec.`];
  }
  const out = [`tokenform will perform the following actions for ${paint("bold", plan.owner)}:`, ""];
  for (const change of plan.changes) {
    const colour = colourOf(change);
    out.push(
      `  ${paint(colour, SYMBOL[change.kind].padStart(3))} ${paint("bold", change.name)} ${headline(change)}`,
    );
    for (const line of details(change))
      out.push(`        ${paint(colour, line.slice(0, 1))}${line.slice(1)}`);
    out.push("");
  }
  const impacts = keyImpacts(plan);
  const stopping = impacts.filter((k) => k.destructive);
  if (stopping.length > 0) {
    out.push(paint("red", `Keys that stop working on apply (${stopping.length}):`));
    for (const key of stopping) out.push(`  ${paint("red", "✗")} ${stoppingLine(key)}`);
    out.push("");
  }
  const later = impacts.filter((k) => !k.destructive);
  if (later.length > 0) {
    out.push(paint("cyan", `Previous secrets that stop working later (${later.length}):`));
    for (const key of later) out.push(`  ${paint("cyan", "…")} ${stoppingLine(key)}`);
    out.push("");
  }
  return out;
}

function unverifiedLines(plan: Plan, paint: Paint): string[] {
  const unverified = plan.destinationChecks?.unverified ?? [];
  if (unverified.length === 0) return [];
  const out = [
    paint(
      "yellow",
      `Could not check ${unverified.length} destination${unverified.length === 1 ? "" : "s"} for drift:`,
    ),
  ];
  for (const u of unverified.slice(0, MAX_UNVERIFIED_LINES))
    out.push(`  ? ${u.name} → ${u.description}: ${u.reason}`);
  if (unverified.length > MAX_UNVERIFIED_LINES)
    out.push(`  … and ${unverified.length - MAX_UNVERIFIED_LINES} more (see --format json)`);
  out.push("");
  return out;
}

function noteLines(plan: Plan): string[] {
  const { stale, expiring, retiring, pickups = [] } = plan.reports;
  if (stale.length + expiring.length + retiring.length + pickups.length === 0) return [];
  const out = ["Notes:"];
  for (const line of pickupLines(pickups)) out.push(`  • ${line}`);
  for (const s of stale) {
    out.push(
      `  • ${s.name} has not been used for ${s.days} days${s.lastUsedAt ? "" : " (never used)"}; consider disabling it`,
    );
  }
  for (const e of expiring) out.push(`  • ${e.name} expires ${formatWhen(e.expiresAt)} (in ${e.days} days)`);
  if (retiring.length > 0) out.push(`  • ${retiringLine(retiring)}`);
  out.push("");
  return out;
}

function warningLines(plan: Plan, paint: Paint): string[] {
  const warnings = plan.warnings ?? [];
  if (warnings.length === 0) return [];
  return [
    paint("yellow", `Warnings (${warnings.length}):`),
    ...warnings.map((w) => `  ${paint("yellow", "!")} ${w.message}`),
    "",
  ];
}

export function renderText(plan: Plan, options: TextOptions = {}): string {
  const paint = painter(options.color ?? false);
  const out = [
    ...errorLines(plan, paint),
    ...driftLines(plan, paint),
    ...changeLines(plan, paint),
    ...unverifiedLines(plan, paint),
    ...noteLines(plan),
    ...warningLines(plan, paint),
  ];
  if (plan.changes.length > 0 || (plan.errors ?? []).length > 0) out.push(paint("bold", closingLine(plan)));
  return `${out.join("\n")}\n`;
}
