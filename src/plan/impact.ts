/**
 * What stops working when a plan is applied, and when: for each retirement, deletion, disable,
 * replacement, removed destination and rotation, which key stops being accepted, where its secret sits
 * (so a reviewer sees which repository, project or file loses a working key) and when — on apply, or at
 * the end of a rotation's overlap, with the date it falls on if the plan is applied now. The renderers'
 * destructive banner and the pull request's `tokenform:destroy` label are both decided here.
 */

import { formatDuration } from "../spec/duration.js";
import { describeDestination } from "../spec/resolved.js";
import { pickupWhere } from "./pickup-words.js";
import type { Change, ChangeKind, Plan, PlannedDestination } from "./types.js";

/** One key that stops working because of a change. */
export interface KeyImpact {
  /** Token name. */
  name: string;
  kind: ChangeKind;
  /** True for a rotation: the token's previous secret stops, the new one works. */
  previousSecret: boolean;
  /** Where the key that stops working is delivered (descriptions, or ids for old records). */
  where: string[];
  /** When and why, as a phrase after "stops working": `on apply (retired; deleted after 7d, about …)`. */
  when: string;
  /**
   * True when the key stops working on apply with nothing in its place there: the destructive banner.
   * False for a rotation with an overlap (the old secret works on, and its destinations get the new one).
   */
  destructive: boolean;
}

/** A time as plans print it, `2026-12-04 19:44 UTC`; the text itself when it is not a time. */
export function formatWhen(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const at = new Date(ms).toISOString();
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}

/** `about 2026-12-04 19:44 UTC` for `seconds` after `from` (the plan's time), or "" when unknown. */
export function aboutDate(from: string, seconds: number): string {
  const start = Date.parse(from);
  return Number.isFinite(start) ? `about ${formatWhen(new Date(start + seconds * 1000).toISOString())}` : "";
}

/** `, about 2026-12-09 19:44 UTC if applied now` for `seconds` after the plan's time; "" without one. */
function ifAppliedNow(seconds: number, generatedAt: string): string {
  const date = aboutDate(generatedAt, seconds);
  return date === "" ? "" : `, ${date} if applied now`;
}

function described(destinations: readonly PlannedDestination[]): string[] {
  return destinations.map((d) => d.description);
}

/**
 * A retirement in words, as the headline, the impact line and Terraform's destroy say it:
 * `retired: disabled now, deleted after 7d`.
 */
export function retiredWords(graceSeconds: number): string {
  return `retired: disabled now, deleted after ${graceSeconds > 0 ? formatDuration(graceSeconds) : "no grace period"}`;
}

/** The key `change` stops, or undefined when every key it touches keeps working. */
/**
 * The key `change` stops, or undefined when every key it touches keeps working. `generatedAt` (the plan's
 * time) dates what happens later; without it the words carry no date (Terraform's destroy).
 */
export function stoppingKey(change: Change, generatedAt = ""): KeyImpact | undefined {
  const key = (where: string[], when: string, destructive = true, previousSecret = false): KeyImpact => ({
    name: change.name,
    kind: change.kind,
    previousSecret,
    where,
    when,
    destructive,
  });
  switch (change.kind) {
    case "retire":
      return key(
        change.secretAt.length > 0 ? described(change.secretAt) : change.recorded,
        `on apply (retired: disabled now, deleted ${change.graceSeconds > 0 ? `${formatDuration(change.graceSeconds)} after apply${ifAppliedNow(change.graceSeconds, generatedAt)}` : "at once"})`,
      );
    case "delete":
      return key(
        change.secretAt.length > 0
          ? described(change.secretAt)
          : change.recorded.length > 0
            ? change.recorded
            : described(change.undeliver),
        "on apply (deleted)",
      );
    case "disable":
      return key(change.desired.deliver.map(describeDestination), "on apply (disabled)");
    case "recreate":
      return change.id === undefined
        ? undefined
        : key(
            described(change.destinations),
            "on apply (replaced: the new token's secret is delivered in its place)",
          );
    case "rotate":
    case "redeliver":
      if (change.desired.pickup) {
        // The new secret waits for the holder: the old one lives until the pickup, then through the overlap.
        // With no overlap (a leaked key) it stops on apply, and the key waits for the holder like a new one.
        const { client, server } = change.desired.pickup;
        const holder = change.desired.holder ?? "its holder";
        return change.overlapSeconds > 0
          ? key(
              [pickupWhere(client, server)],
              `${formatDuration(change.overlapSeconds)} after ${holder} picks up the new one`,
              false,
              true,
            )
          : key(
              [pickupWhere(client, server)],
              `on apply (rotated with no overlap: ${holder} picks up the new one)`,
              true,
              true,
            );
      }
      return change.overlapSeconds > 0
        ? key(
            // Where the previous secret is: a destination missing the current secret never had it.
            described(change.destinations.filter((d) => !change.missing?.some((m) => m.id === d.id))),
            `at the end of its ${formatDuration(change.overlapSeconds)} overlap${ifAppliedNow(change.overlapSeconds, generatedAt)}; the new secret reaches ${change.destinations.length === 1 ? "its destination" : "every destination"} on apply`,
            false,
            true,
          )
        : key(
            described(change.destinations),
            "on apply (rotated with no overlap: the new secret replaces it at once)",
            true,
            true,
          );
    case "update":
      return change.undeliver.length === 0
        ? undefined
        : key(described(change.undeliver), "on apply at these destinations (the secret is removed there)");
    case "create":
    case "adopt":
    case "enable":
    case "orphan":
      return undefined;
  }
}

/** Every key the plan stops, now or later, in the plan's order. */
export function keyImpacts(plan: Plan): KeyImpact[] {
  return plan.changes
    .map((change) => stoppingKey(change, plan.generatedAt))
    .filter((k): k is KeyImpact => k !== undefined);
}

/** The keys that stop working on apply with nothing in their place: the destructive banner's list. */
export function stoppingKeys(plan: Plan): KeyImpact[] {
  return keyImpacts(plan).filter((k) => k.destructive);
}

/** True when applying the plan stops any key from working. */
export function isDestructive(plan: Plan): boolean {
  return stoppingKeys(plan).length > 0;
}
