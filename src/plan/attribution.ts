/**
 * Which audit entries are tokenform's own writes for a set, and so which are edits made outside it — with
 * another admin key or by hand with the set's own. tokenform's apply (the Action and the Terraform provider
 * too) declares the owner it writes for (`Tokenform-Owner`) and the service records that on the entry as
 * `changes.appliedFor` (src/service/ownership.ts). A write without that mark is outside tokenform,
 * whichever key made it, the key the plan runs as included.
 */
import { APPLIED_FOR_CHANGE, type AuditEntry, RESERVED_LABEL_PREFIX } from "../api/schemas.js";
import type { ManagedSettings } from "./desired.js";

/** The audited fields drift is about (the managed settings: `name`, deliveries and claims are not). */
const SETTING_FIELDS: ReadonlySet<string> = new Set<keyof ManagedSettings>([
  "description",
  "scopes",
  "readOnly",
  "ipAllowlist",
  "tools",
  "rateLimit",
  "labels",
  "enabled",
  "expiresAt",
]);

function labelsOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** Whether an entry changed a `tokenform.dev/*` label (only tokenform's writes could, even before the mark). */
function rewroteReservedLabels(entry: AuditEntry): boolean {
  const change = entry.changes.labels;
  if (change === undefined || change.to === null) return false;
  const from = labelsOf(change.from);
  const to = labelsOf(change.to);
  return [...new Set([...Object.keys(from), ...Object.keys(to)])].some(
    (key) => key.startsWith(RESERVED_LABEL_PREFIX) && from[key] !== to[key],
  );
}

/**
 * Whether `entry` is a write tokenform made for `owner`: marked so; or — written before writes were
 * marked — made by the key tokenform acts as (`isSelf`) and rewriting tokenform's labels, as every apply
 * write of settings did and a hand edit now cannot (the service refuses it).
 */
export function isOwnWrite(entry: AuditEntry, owner: string, isSelf: (actor: string) => boolean): boolean {
  const mark = entry.changes[APPLIED_FOR_CHANGE];
  if (mark !== undefined) return mark.to === owner;
  return isSelf(entry.actor) && rewroteReservedLabels(entry);
}

/** Whether an entry changed one of the managed settings. */
export function changedSettings(entry: AuditEntry): boolean {
  return (
    entry.action !== "token.refused" && Object.keys(entry.changes).some((key) => SETTING_FIELDS.has(key))
  );
}
