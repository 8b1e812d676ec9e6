/**
 * Words and symbols shared by the plan renderers, so the terminal, Markdown and JSON summaries agree:
 * the symbol of each change kind, its verb, and the closing "Plan: …" line.
 */
import { formatDuration } from "../../spec/duration.js";
import { type Destination, destinationSettings, type ResolvedToken } from "../../spec/resolved.js";
import { formatWhen, type KeyImpact, retiredWords } from "../impact.js";
import { pickupWhere } from "../pickup-words.js";
import { createSettings, fieldDiff, type SettingLine } from "../settings.js";
import type { Change, ChangeKind, DriftReport, PickupReport, Plan, PlanReports } from "../types.js";

/** terraform-style markers: `+` create, `~` in place, `±` new secret, `-/+` replace, `-` remove. */
export const SYMBOL: Record<ChangeKind, string> = {
  create: "+",
  adopt: "~",
  update: "~",
  enable: "~",
  disable: "~",
  rotate: "±",
  redeliver: "±",
  recreate: "-/+",
  retire: "-",
  delete: "-",
  orphan: "~",
};

/** Phrase used in the closing line for each kind ("2 to create"). */
const CLOSING: Record<ChangeKind, string> = {
  create: "to create",
  adopt: "to adopt",
  update: "to update",
  enable: "to enable",
  disable: "to disable",
  rotate: "to rotate",
  redeliver: "to re-deliver",
  recreate: "to recreate",
  retire: "to retire",
  delete: "to delete",
  orphan: "to release",
};

/** What happens to a token, as a sentence fragment after its name. */
export function headline(change: Change): string {
  switch (change.kind) {
    case "create":
      return `will be created (${change.desired.type})`;
    case "adopt":
      return `will be adopted from ${change.from === null ? "outside tokenform" : `owner ${change.from}`} (adopt: true)`;
    case "update":
      return change.fields.some((f) => f.field === "name")
        ? `will be renamed in place (was ${String(change.fields.find((f) => f.field === "name")!.from)}); its secret and destinations stay`
        : "will be updated in place";
    case "enable":
      return "will be enabled";
    case "disable":
      return "will be disabled";
    case "rotate":
      if (!change.desired.pickup)
        return `will be rotated (${change.reason}); ${previousSecret(change.overlapSeconds)}`;
      return change.overlapSeconds > 0
        ? `will be rotated (${change.reason}); the previous secret keeps working until ${change.desired.holder ?? "its holder"} picks up the new one, and ${formatDuration(change.overlapSeconds)} after`
        : `will be rotated (${change.reason}); ${previousSecret(0)}, and the new one waits for ${change.desired.holder ?? "its holder"}'s pickup`;
    case "redeliver":
      return `will be re-delivered with a new secret (${change.reason})`;
    case "recreate":
      return `will be replaced (${change.reason})`;
    case "retire":
      return `will be ${retiredWords(change.graceSeconds)}`;
    case "delete":
      return `will be deleted (${change.reason})`;
    case "orphan":
      return "will be released: left in the service, no longer managed";
  }
}

/** `headline` after the fact, without its tense: `retired: disabled now, deleted after 7d` (every headline starts `will be `). */
export function outcome(change: Change): string {
  return headline(change).replace(/^will be /, "");
}

/** Until when a rotated token's previous secret works, in words a reviewer reads at a glance. */
function previousSecret(overlapSeconds: number): string {
  return overlapSeconds <= 0
    ? "the previous secret stops working at once (no overlap)"
    : `the previous secret keeps working for ${formatDuration(overlapSeconds)} after apply`;
}

/**
 * One key that stops working, as a line: `docs-bot (GitHub acme/docs secret X) stops working on apply
 * (…)`, or for a rotation `the previous secret of api-bot (…) stops working 2d after apply (about …)`.
 */
export function stoppingLine(key: KeyImpact): string {
  const where = key.where.length > 0 ? key.where.join(", ") : "no recorded destination";
  const subject = key.previousSecret ? `the previous secret of ${key.name}` : key.name;
  return `${subject} (${where}) stops working ${key.when}`;
}

/** One line of a change's details, the same in the terminal and the pull-request comment. */
export interface DetailLine {
  /** `+` set or added, `-` removed, `~` changed in place, `→` a secret delivered. */
  sign: "+" | "-" | "~" | "→";
  text: string;
}

/** A destination with the settings a reviewer should see: `GitLab project a/b variable X (scope *) · protected …`. */
function withSettings(description: string, destination: Destination | undefined): string {
  const settings = destination ? destinationSettings(destination) : [];
  return [description, ...settings].join(" · ");
}

/** Setting lines as detail lines: `field = value` for a create, `field: value` for a diff. */
function settingDetails(lines: readonly SettingLine[], separator: " = " | ": "): DetailLine[] {
  return lines.map((l) => ({ sign: l.sign, text: `${l.field}${separator}${l.value}` }));
}

/**
 * What a change does in detail: a create's every non-default setting and where its secret goes, an
 * update's per-element diffs, the destinations a new secret reaches or a secret leaves.
 */
export function changeDetails(change: Change): DetailLine[] {
  switch (change.kind) {
    case "create":
    case "recreate":
      return [
        ...settingDetails(createSettings(change.desired), " = "),
        ...change.destinations.map((d) => ({
          sign: "→" as const,
          text: `deliver to ${withSettings(d.description, d.destination)}`,
        })),
        ...pickupDetail(change.desired),
      ];
    case "adopt":
      return settingDetails(change.fields.flatMap(fieldDiff), ": ");
    case "update":
      return [
        ...settingDetails(change.fields.filter((f) => f.field !== "deliver").flatMap(fieldDiff), ": "),
        ...change.undeliver.map((d) => ({
          sign: "-" as const,
          text: `stop delivering to ${d.description} (secret removed there)`,
        })),
      ];
    case "rotate":
    case "redeliver":
      return [
        ...change.destinations.map((d) => ({
          sign: "→" as const,
          text: `new secret to ${withSettings(d.description, d.destination)}${driftNote(change, d.id)}`,
        })),
        ...pickupDetail(change.desired),
      ];
    case "delete":
      return change.undeliver.map((d) => ({
        sign: "-" as const,
        text: `secret removed from ${d.description}`,
      }));
    default:
      return [];
  }
}

/** The pickup a key's new secret waits for, as a detail line (none for a key apply delivers). */
function pickupDetail(desired: ResolvedToken): DetailLine[] {
  const pickup = desired.pickup;
  if (!pickup) return [];
  return [
    {
      sign: "→",
      text: `waits for ${desired.holder ?? "its holder"} to pick it up into ${pickupWhere(pickup.client, pickup.server)} (tokenform pickup; an admin approves the code)`,
    },
  ];
}

/** Keys waiting for their holders' pickups, one line each. */
export function pickupLines(pickups: readonly PickupReport[]): string[] {
  return pickups.map(
    (p) =>
      `${p.name} waits for ${p.holder} to pick it up into ${pickupWhere(p.client, p.server)} since ${formatWhen(p.since)}${p.days > 0 ? ` (${p.days} day${p.days === 1 ? "" : "s"})` : ""}`,
  );
}

/** Retired tokens waiting for deletion, folded into one line; "" when there are none. */
export function retiringLine(retiring: PlanReports["retiring"]): string {
  if (retiring.length === 0) return "";
  const listed = retiring.slice(0, 10).map((r) => `${r.name} (after ${formatWhen(r.deleteAfter)})`);
  const more = retiring.length > 10 ? `, and ${retiring.length - 10} more` : "";
  return `${retiring.length === 1 ? "1 retired token waits" : `${retiring.length} retired tokens wait`} for deletion: ${listed.join(", ")}${more}`;
}

/** ` (destination drift: …)` after a destination a drift check found without the current secret, else "". */
export function driftNote(change: Change, destination: string): string {
  if (change.kind !== "redeliver") return "";
  const drift = change.missing?.find((d) => d.id === destination)?.drift;
  return drift === undefined ? "" : ` (destination drift: ${drift})`;
}

/**
 * `Plan: 2 to create, 1 to update, 1 to rotate, 1 to retire.`, `No changes.`, or, when the spec cannot be
 * applied as written, `Plan: 1 error; nothing can be applied.`
 */
export function closingLine(plan: Plan): string {
  const errors = plan.errors?.length ?? 0;
  if (errors > 0)
    return `Plan: ${errors} error${errors === 1 ? "" : "s"}; nothing can be applied until ${errors === 1 ? "it is" : "they are"} fixed.`;
  const parts = (Object.keys(CLOSING) as ChangeKind[])
    .filter((kind) => plan.summary[kind] > 0)
    .map((kind) => `${plan.summary[kind]} ${CLOSING[kind]}`);
  return parts.length === 0 ? "No changes." : `Plan: ${parts.join(", ")}.`;
}

/** A value as it appears in a field diff (JSON for structures, bare for strings and numbers). */
export function show(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "string") return JSON.stringify(value);
  return JSON.stringify(value);
}

/**
 * ` by bob-admin at …` after a drifted token, ` by bootstrap-admin (this set's own key) at …` when the hand
 * edit was made with the key the plan runs as; "" when the audit log does not say. `name` quotes the key.
 */
export function driftAuthor(drift: DriftReport, name: (key: string) => string = (key) => key): string {
  if (drift.changedBy === undefined) return "";
  const own = drift.changedByOwnKey ? " (this set's own key)" : "";
  return ` by ${name(drift.changedBy)}${own}${drift.changedAt ? ` at ${drift.changedAt}` : ""}`;
}
