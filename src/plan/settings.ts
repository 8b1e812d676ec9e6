/**
 * A token's settings as lines a reviewer reads, shared by the terminal and Markdown renderers so both show
 * the same thing: `createSettings` lists every setting of a new token that differs from the defaults, one
 * line each (type and scopes always); `fieldDiff` turns one changed field into per-element lines — a list
 * as `+ scopes: "tools:call"` / `- ipAllowlist: "10.0.0.0/8"`, a map as `~ labels.team: "a" → "b"` —
 * as `terraform plan` diffs collections instead of printing them whole twice.
 */
import { formatDuration, parseDuration } from "../spec/duration.js";
import { DEFAULT_ON_REMOVE } from "../spec/resolve.js";
import type { ResolvedToken } from "../spec/resolved.js";
import { DEFAULT_REMOVAL_GRACE } from "../spec/schema.js";
import type { FieldChange } from "./types.js";

/** One line of a change's details: `+` added or set, `-` removed, `~` changed in place. */
export interface SettingLine {
  sign: "+" | "-" | "~";
  /** The setting, e.g. `scopes`, `labels.team`, `rateLimit.perMinute`. */
  field: string;
  /** The value as printed (`"tools:call"`, `60`, `"a" → "b"`). */
  value: string;
}

/** A value as printed in a setting line: strings quoted, lists as `["a", "b"]`, absent as `(none)`. */
export function printValue(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  if (Array.isArray(value)) return `[${value.map(printValue).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v != null);
    return `{ ${entries.map(([k, v]) => `${k} = ${printValue(v)}`).join(", ")} }`;
  }
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

const DEFAULT_GRACE_SECONDS = parseDuration(DEFAULT_REMOVAL_GRACE);

function expiryText(t: ResolvedToken): string | undefined {
  switch (t.expiry.kind) {
    case "never":
      return undefined;
    case "at":
      return t.expiry.at;
    case "in":
      return `${formatDuration(t.expiry.seconds)} after issue`;
  }
}

/**
 * Every setting of `t` a reviewer must see on a create: type and scopes always, the rest only when it
 * differs from the default (a description, tools, an allowlist, each rate limit, each label, disabled,
 * expiry, rotation, removal policy, adoption, a rename).
 */
export function createSettings(t: ResolvedToken): SettingLine[] {
  const lines: SettingLine[] = [];
  const add = (field: string, value: string) => lines.push({ sign: "+", field, value });
  add("type", printValue(t.type));
  if (t.holder !== undefined) add("holder", printValue(t.holder));
  if (t.description !== "") add("description", printValue(t.description));
  add("scopes", `${printValue(t.scopes)}${t.readOnly ? " (read-only)" : ""}`);
  if (t.tools !== null) add("tools", printValue(t.tools));
  if (t.ipAllowlist.length > 0) add("ipAllowlist", printValue(t.ipAllowlist));
  if (t.rateLimit.perMinute != null) add("rateLimit.perMinute", String(t.rateLimit.perMinute));
  if (t.rateLimit.perHour != null) add("rateLimit.perHour", String(t.rateLimit.perHour));
  for (const [key, value] of Object.entries(t.labels).sort(([a], [b]) => a.localeCompare(b)))
    add(`labels.${key}`, printValue(value));
  if (!t.enabled) add("enabled", "false (created disabled)");
  const expires = expiryText(t);
  if (expires !== undefined) add("expires", expires);
  if (t.rotation) {
    add(
      "rotation",
      `every ${formatDuration(t.rotation.everySeconds)}, overlap ${formatDuration(t.rotation.overlapSeconds)}`,
    );
  }
  if (t.rotateTrigger !== undefined) add("rotateTrigger", printValue(t.rotateTrigger));
  if (t.onRemove !== DEFAULT_ON_REMOVE) add("onRemove", printValue(t.onRemove));
  if (t.onRemove === "disable-then-delete" && t.removalGraceSeconds !== DEFAULT_GRACE_SECONDS)
    add("removalGrace", formatDuration(t.removalGraceSeconds));
  if (t.adopt) add("adopt", "true");
  if (t.renamedFrom !== undefined) add("renamedFrom", printValue(t.renamedFrom));
  return lines;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A list's elements as printed, for set comparison. */
function elements(value: unknown): string[] {
  return Array.isArray(value) ? value.map(printValue) : [];
}

/**
 * One changed field as lines: each element added to or removed from a list, each key added, removed or
 * changed in a map (`rateLimit`, `labels`; a key set to null counts as absent), and a scalar as
 * `~ field: from → to`. A list that becomes or stops being "any" (null, as `tools`) is shown whole.
 */
export function fieldDiff(change: FieldChange): SettingLine[] {
  const { field, from, to } = change;
  if (field === "tools" && (from == null || to == null)) {
    // null is "any tool", not an empty list.
    const show = (v: unknown) => (v == null ? "(any tool)" : printValue(v));
    return [{ sign: "~", field, value: `${show(from)} → ${show(to)}` }];
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const before = elements(from);
    const after = elements(to);
    return [
      ...before.filter((e) => !after.includes(e)).map((value) => ({ sign: "-" as const, field, value })),
      ...after.filter((e) => !before.includes(e)).map((value) => ({ sign: "+" as const, field, value })),
    ];
  }
  if ((isRecord(from) || from == null) && (isRecord(to) || to == null) && (isRecord(from) || isRecord(to))) {
    const before = isRecord(from) ? from : {};
    const after = isRecord(to) ? to : {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    const lines: SettingLine[] = [];
    for (const key of keys) {
      const a = before[key];
      const b = after[key];
      const name = `${field}.${key}`;
      if (a == null && b == null) continue;
      if (a == null) lines.push({ sign: "+", field: name, value: printValue(b) });
      else if (b == null) lines.push({ sign: "-", field: name, value: printValue(a) });
      else if (printValue(a) !== printValue(b))
        lines.push({ sign: "~", field: name, value: `${printValue(a)} → ${printValue(b)}` });
    }
    return lines;
  }
  return [{ sign: "~", field, value: `${printValue(from)} → ${printValue(to)}` }];
}
