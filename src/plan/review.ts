/**
 * Apply what was reviewed: the record a pull-request comment keeps of the plan it showed, and the
 * comparison of a later plan (the one about to be applied on merge) with it.
 *
 * A change is identified for review by what it does, not by the token's version or the plan's hash (both
 * move when anything touches the token): its kind, its token, and the spec it applies — settings, fields
 * that change, destinations. Changes that time or the destinations make due need no review — a rotation
 * that fell due or a key that expired, a retired token whose grace is over, a pending leftover, a
 * re-delivery for destination drift — and are listed separately. Any other change the review did not show
 * is unreviewed: the apply stops.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "./desired.js";
import type { Change, Plan } from "./types.js";

export const REVIEW_FORMAT_VERSION = 1;

/** A reviewed change: its kind, its token and the digest of what it does. */
export type ReviewedChange = [kind: Change["kind"], name: string, key: string];

/** What a plan comment records of the plan it showed. */
export interface ReviewRecord {
  v: typeof REVIEW_FORMAT_VERSION;
  owner: string;
  /** The plan's hash, as shown in the comment's footer. */
  hash: string;
  /** The changes that needed review; absent when too many to record (then `digest` decides). */
  changes?: ReviewedChange[];
  /** Digest of the sorted keys of every change that needed review. */
  digest: string;
}

/** Records larger than this keep only their digest (a comment holds 65,536 characters in all). */
const MAX_RECORDED_CHARS = 24_000;

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}

/** What a change does, in a form that stays the same between the review and the merge. */
export function reviewKey(change: Change): string {
  const spec = "desired" in change ? { ...change.desired, source: undefined } : undefined;
  const ids = (list: Array<{ id: string }>) => list.map((d) => d.id).sort();
  const base = { kind: change.kind, name: change.name };
  switch (change.kind) {
    case "create":
    case "recreate":
      return shortHash(canonicalJson({ ...base, spec }));
    case "adopt":
      return shortHash(canonicalJson({ ...base, spec, from: change.from }));
    case "update":
      return shortHash(
        canonicalJson({
          ...base,
          spec,
          fields: change.fields.map((f) => f.field).sort(),
          undeliver: ids(change.undeliver),
        }),
      );
    case "rotate":
      return shortHash(
        canonicalJson({ ...base, reason: change.reason, trigger: change.desired.rotateTrigger }),
      );
    case "redeliver":
      return shortHash(canonicalJson({ ...base, to: ids((change.missing ?? []).filter((d) => !d.drift)) }));
    case "delete":
      return shortHash(canonicalJson({ ...base, removed: change.reason === "removed from the spec" }));
    default:
      return shortHash(canonicalJson(base));
  }
}

/**
 * Why `change` may be applied without review — time or the destinations made it due, not the spec — or
 * undefined when it needs review.
 */
export function dueWithoutReview(change: Change): string | undefined {
  switch (change.kind) {
    case "rotate":
      if (change.reason === "due") return "rotation due";
      if (change.reason === "expired") return "expired";
      return undefined;
    case "delete":
      if (change.reason.startsWith("retired at")) return "retired; grace period over";
      if (change.reason === "unconfirmed pending token") return "left over from an interrupted run";
      return undefined;
    case "redeliver": {
      const missing = change.missing ?? [];
      return missing.length > 0 && missing.every((d) => d.drift !== undefined)
        ? "destination drift"
        : undefined;
    }
    default:
      return undefined;
  }
}

function digestOf(keys: string[]): string {
  return `sha256:${createHash("sha256")
    .update([...keys].sort().join("\n"))
    .digest("hex")}`;
}

/** The record of `plan` a comment keeps. */
export function reviewRecord(plan: Plan): ReviewRecord {
  const changes: ReviewedChange[] = plan.changes
    .filter((c) => dueWithoutReview(c) === undefined)
    .map((c) => [c.kind, c.name, reviewKey(c)]);
  const record: ReviewRecord = {
    v: REVIEW_FORMAT_VERSION,
    owner: plan.owner,
    hash: plan.hash,
    changes,
    digest: digestOf(changes.map((c) => c[2])),
  };
  if (JSON.stringify(record).length <= MAX_RECORDED_CHARS) return record;
  const { changes: _left, ...compact } = record;
  return compact;
}

const RECORD_PREFIX = "<!-- tokenform-review:";

/** The record as one hidden comment line (base64url JSON: nothing in it can close the HTML comment). */
export function reviewLine(record: ReviewRecord): string {
  return `${RECORD_PREFIX}${Buffer.from(JSON.stringify(record)).toString("base64url")} -->`;
}

/** The record in a comment body, or undefined when it has none (or one this version cannot read). */
export function parseReviewLine(body: string): ReviewRecord | undefined {
  const line = body.split("\n").find((l) => l.startsWith(RECORD_PREFIX) && l.endsWith(" -->"));
  if (!line) return undefined;
  try {
    const record = JSON.parse(
      Buffer.from(line.slice(RECORD_PREFIX.length, -" -->".length), "base64url").toString("utf8"),
    ) as Partial<ReviewRecord>;
    if (record.v !== REVIEW_FORMAT_VERSION || typeof record.owner !== "string") return undefined;
    if (typeof record.hash !== "string" || typeof record.digest !== "string") return undefined;
    if (record.changes !== undefined && !Array.isArray(record.changes)) return undefined;
    return record as ReviewRecord;
  } catch {
    return undefined;
  }
}

/** A later plan next to the reviewed one. */
export interface ReviewComparison {
  reviewed: ReviewRecord;
  /** Changes now planned that the review did not show: they stop the apply. */
  unreviewed: Change[];
  /** Changes time or the destinations made due since, each with why: applied without review. */
  due: Array<{ change: Change; why: string }>;
  /** Reviewed changes no longer planned (someone or something already made them): nothing to do. */
  gone: Array<{ kind: Change["kind"]; name: string }>;
  /** True when the changes that need review are exactly those reviewed (or fewer). */
  matches: boolean;
}

/** Compares `plan` with the reviewed record (same owner assumed). */
export function compareWithReview(plan: Plan, reviewed: ReviewRecord): ReviewComparison {
  const due: ReviewComparison["due"] = [];
  const needing: Array<{ change: Change; key: string }> = [];
  for (const change of plan.changes) {
    const why = dueWithoutReview(change);
    if (why !== undefined) due.push({ change, why });
    else needing.push({ change, key: reviewKey(change) });
  }
  if (!reviewed.changes) {
    // Only the digest was recorded: all or nothing.
    const same = digestOf(needing.map((n) => n.key)) === reviewed.digest;
    return { reviewed, due, gone: [], unreviewed: same ? [] : needing.map((n) => n.change), matches: same };
  }
  const reviewedKeys = new Set(reviewed.changes.map((c) => c[2]));
  const plannedKeys = new Set(needing.map((n) => n.key));
  const unreviewed = needing.filter((n) => !reviewedKeys.has(n.key)).map((n) => n.change);
  const gone = reviewed.changes.filter((c) => !plannedKeys.has(c[2])).map(([kind, name]) => ({ kind, name }));
  return { reviewed, due, gone, unreviewed, matches: unreviewed.length === 0 };
}
