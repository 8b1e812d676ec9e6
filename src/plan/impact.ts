/**
 * What stops working when a plan is applied: for each retirement, deletion, disable, replacement, removed
 * destination and rotation without overlap, which key stops being accepted, where its secret sits (so a
 * reviewer sees which repository or project loses a working key) and when. The renderers' destructive
 * banner and the pull request's `tokenform:destroy` label are both decided here.
 */
import { formatDuration } from "../spec/duration.js";
import { describeDestination } from "../spec/resolved.js";
import type { Change, ChangeKind, Plan } from "./types.js";

/** One key that stops working on apply. */
export interface StoppingKey {
  /** Token name. */
  name: string;
  kind: ChangeKind;
  /** Where the key that stops working is delivered (descriptions, or ids for old records). */
  where: string[];
  /** When and why, as a phrase after "stops working": `on apply (retired; deleted after 7d)`. */
  when: string;
}

/**
 * A retirement in words, as the headline, the impact line and Terraform's destroy say it:
 * `retired: disabled now, deleted after 7d`.
 */
export function retiredWords(graceSeconds: number): string {
  return `retired: disabled now, deleted after ${graceSeconds > 0 ? formatDuration(graceSeconds) : "no grace period"}`;
}

/** The key `change` stops, or undefined when every key it touches keeps working. */
export function stoppingKey(change: Change): StoppingKey | undefined {
  const key = (where: string[], when: string): StoppingKey => ({
    name: change.name,
    kind: change.kind,
    where,
    when,
  });
  switch (change.kind) {
    case "retire":
      return key(change.recorded, `on apply (${retiredWords(change.graceSeconds)})`);
    case "delete":
      return key(
        change.recorded.length > 0 ? change.recorded : change.undeliver.map((d) => d.description),
        "on apply (deleted)",
      );
    case "disable":
      return key(change.desired.deliver.map(describeDestination), "on apply (disabled)");
    case "recreate":
      return change.id === undefined
        ? undefined
        : key(
            change.destinations.map((d) => d.description),
            "on apply (replaced: the new token's secret is delivered in its place)",
          );
    case "rotate":
    case "redeliver":
      return change.overlapSeconds > 0
        ? undefined
        : key(
            change.destinations.map((d) => d.description),
            "on apply (rotated with no overlap: the new secret replaces it at once)",
          );
    case "update":
      return change.undeliver.length === 0
        ? undefined
        : key(
            change.undeliver.map((d) => d.description),
            "on apply at these destinations (the secret is removed there)",
          );
    case "create":
    case "adopt":
    case "enable":
    case "orphan":
      return undefined;
  }
}

/** Every key the plan stops, in the plan's order. */
export function stoppingKeys(plan: Plan): StoppingKey[] {
  return plan.changes.map(stoppingKey).filter((k): k is StoppingKey => k !== undefined);
}

/** True when applying the plan stops any key from working. */
export function isDestructive(plan: Plan): boolean {
  return plan.changes.some((change) => stoppingKey(change) !== undefined);
}
