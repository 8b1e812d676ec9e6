/**
 * The per-token planning rules, in one place for `computePlan` and the Terraform provider: why a token's
 * secret rolls, with what overlap, which wanted destinations lack its current secret, when the token is
 * recreated rather than changed, and what an existing token with the wanted name means to a create.
 * Pure: the desired token, facts about the token as it is now, and the clock in; a decision out. Front ends
 * only gather the facts (from the service, or from Terraform state) and word the outcome.
 */
import { OWNER_LABEL, type Token } from "../api/schemas.js";
import { destinationId, type ResolvedToken } from "../spec/resolved.js";
import { LEAKED_AT_LABEL, RETIRED_AT_LABEL, ROTATE_TRIGGER_LABEL } from "./desired.js";
import { isRotationDue } from "./rotation.js";

/**
 * Least overlap of a re-delivery roll: destinations that already work keep the previous secret at least
 * this long, so a re-delivery that fails everywhere is retried (the Action runs daily) before they lose it.
 */
export const REDELIVER_MIN_OVERLAP_SECONDS = 48 * 3600;

/**
 * How far apart two expiry times may be and still count as the same: the apply engine anchors a relative
 * expiry at the client's clock on create and at the service's `rotatedAt` afterwards, which can differ by
 * a moment. A drift this small is clock noise, not a change.
 */
export const EXPIRY_TOLERANCE_MS = 60_000;

/** Why a secret is rolled, in order of precedence (a plan names the first). */
export const ROLL_REASONS = [
  "leaked",
  "requested",
  "expired",
  "rotate-trigger",
  "rotation-due",
  "pickup-added",
] as const;
export type RollReason = (typeof ROLL_REASONS)[number];

/** How `tokenform plan` words each reason in a `rotate` change (part of the plan format). */
export const ROLL_REASON_WORDS: Readonly<Record<RollReason, string>> = {
  leaked: "its secret was reported leaked",
  requested: "requested",
  expired: "expired",
  "rotate-trigger": "rotate trigger changed",
  "rotation-due": "due",
  "pickup-added": "its holder now picks it up: the new secret waits for tokenform pickup",
};

/** What the rules need of the desired token (a `ResolvedToken` has it all). */
export type DesiredToken = Pick<
  ResolvedToken,
  "enabled" | "rotation" | "rotateTrigger" | "deliver" | "pickup"
>;

/** What the rules need of the token as it is now: from the service (`factsOf`) or from Terraform state. */
export interface TokenFacts {
  status: Token["status"] | string;
  /** When its current secret generation started; undefined when not known. */
  rotatedAt: string | undefined;
  /** The rotate trigger last applied (its label); undefined when none was. */
  rotateTrigger: string | undefined;
  /** When its secret was reported leaked (`tokenform.dev/leaked-at`); undefined when it was not. */
  leakedAt?: string;
  /** Whether the destination with this id holds the current secret (a delivery is on record). */
  holdsCurrentSecret(destinationId: string): boolean;
  /** Whether its holder picks it up already (a pickup target is set); undefined when not known. */
  pickedUp?: boolean;
}

/** A roll asked for now, regardless of schedule (`tokenform rotate`), with the overlap to use. */
export interface RollRequest {
  overlapSeconds?: number;
}

/** What happens to a token's secret. */
export interface RollDecision {
  /**
   * `rotate`: a new secret for `reasons` (every destination receives it); `redeliver`: a new secret only
   * because `missing` destinations lack the current one; `none`: the secret stays.
   */
  action: "rotate" | "redeliver" | "none";
  /** Why it rotates, in order of precedence; empty unless `action` is `rotate`. */
  reasons: RollReason[];
  /** Ids of wanted destinations lacking the current secret, in the spec's order (none when disabled). */
  missing: string[];
  /** How long the previous secret keeps working after the roll (the rotation's for `none`). */
  overlapSeconds: number;
}

/** Whether the destination `id` holds `token`'s current secret (recorded at its generation and fingerprint). */
export function holdsCurrentSecret(token: Token, id: string): boolean {
  return token.deliveries.some(
    (r) => r.destination === id && r.generation === token.generation && r.fingerprint === token.fingerprint,
  );
}

/** The facts about a token the service returned. */
export function factsOf(token: Token): TokenFacts {
  return {
    status: token.status,
    // A roll of a picked-up key opens a pickup; its schedule restarts then, not when the secret is released.
    rotatedAt: token.pickup?.waitingSince ?? token.rotatedAt,
    rotateTrigger: token.labels[ROTATE_TRIGGER_LABEL],
    leakedAt: token.labels[LEAKED_AT_LABEL],
    holdsCurrentSecret: (id) => holdsCurrentSecret(token, id),
    pickedUp: token.pickup != null,
  };
}

/** The overlap of a roll that only re-delivers: whoever holds the current secret keeps it a while. */
export function redeliverOverlap(desired: Pick<ResolvedToken, "rotation">): number {
  return Math.max(desired.rotation?.overlapSeconds ?? 0, REDELIVER_MIN_OVERLAP_SECONDS);
}

/** Why the secret rotates now, in order of precedence; only an enabled token rolls. */
export function rollReasons(
  desired: DesiredToken,
  facts: TokenFacts,
  now: Date,
  request?: RollRequest,
): RollReason[] {
  if (!desired.enabled) return [];
  const reasons: RollReason[] = [];
  if (facts.leakedAt !== undefined) reasons.push("leaked");
  if (request) reasons.push("requested");
  if (facts.status === "expired") reasons.push("expired");
  if (desired.rotateTrigger !== undefined && desired.rotateTrigger !== facts.rotateTrigger) {
    reasons.push("rotate-trigger");
  }
  if (
    desired.rotation &&
    facts.rotatedAt !== undefined &&
    isRotationDue(facts.rotatedAt, desired.rotation.everySeconds, now)
  ) {
    reasons.push("rotation-due");
  }
  // A key that was delivered elsewhere and is now picked up: its holder has no copy, so a secret must wait.
  if (desired.pickup !== undefined && facts.pickedUp === false) reasons.push("pickup-added");
  return reasons;
}

/** The roll decision for one token (see `RollDecision`). */
export function rollDecision(
  desired: DesiredToken,
  facts: TokenFacts,
  now: Date,
  request?: RollRequest,
): RollDecision {
  const reasons = rollReasons(desired, facts, now, request);
  const missing = desired.enabled
    ? desired.deliver.map(destinationId).filter((id) => !facts.holdsCurrentSecret(id))
    : [];
  const rotation = desired.rotation?.overlapSeconds ?? 0;
  if (reasons.length > 0) {
    // A leaked or expired secret gets no overlap: it must stop now.
    const overlapSeconds =
      reasons[0] === "leaked" || reasons[0] === "expired"
        ? 0
        : reasons[0] === "requested" && request?.overlapSeconds !== undefined
          ? request.overlapSeconds
          : reasons[0] === "pickup-added"
            ? redeliverOverlap(desired)
            : rotation;
    return { action: "rotate", reasons, missing, overlapSeconds };
  }
  if (missing.length > 0) {
    return { action: "redeliver", reasons, missing, overlapSeconds: redeliverOverlap(desired) };
  }
  return { action: "none", reasons, missing, overlapSeconds: rotation };
}

/** Why a token is replaced by a new one rather than changed in place. */
export type RecreateReason = "pending" | "type-changed";

/** Whether the token's secret waits for its holder's pickup (pending on purpose, never a leftover). */
export function waitsForPickup(actual: { pickup?: Token["pickup"] | undefined }): boolean {
  return actual.pickup?.waitingSince != null;
}

/**
 * Whether the existing token must be replaced: a pending one (an earlier run was interrupted before its
 * delivery was confirmed; a key waiting for its holder's pickup is pending on purpose), or one of another
 * type (a key's prefix says its type, so a new key is issued).
 */
export function recreateReason(
  desired: Pick<ResolvedToken, "type">,
  actual: Pick<Token, "status" | "type"> & { pickup?: Token["pickup"] | undefined },
): RecreateReason | undefined {
  if (actual.status === "pending" && !waitsForPickup(actual)) return "pending";
  if (typeChanges(desired, actual)) return "type-changed";
  return undefined;
}

/** Whether the token's type changes: a token keeps its type, so that replaces it (a new key is issued). */
export function typeChanges(desired: { type: string }, actual: { type: string }): boolean {
  return actual.type !== desired.type;
}

/** What a create does about an existing token that has the wanted name (see `nameTakenCase`). */
export type NameTakenCase = "replace" | "rename-aside" | "adopt" | "refuse";

/**
 * A create met `existing` with the same name: a pending leftover of an interrupted apply is replaced; one
 * this owner retired (a removal, or the first half of a replacement) is renamed aside to free the name; one
 * of the same type is taken over when the configuration says `adopt`; anything else is refused (it
 * belongs to someone and must be imported or adopted deliberately).
 */
export function nameTakenCase(
  existing: Token,
  desired: Pick<ResolvedToken, "type">,
  owner: string,
  adopt: boolean,
): NameTakenCase {
  const ours = existing.labels[OWNER_LABEL] === owner;
  const retired = ours && existing.labels[RETIRED_AT_LABEL] !== undefined && !existing.enabled;
  if (retired) return "rename-aside";
  const recreate = recreateReason(desired, existing);
  if (recreate === "pending") return "replace";
  if (recreate === undefined && adopt) return "adopt";
  return "refuse";
}

/** The same expiry? (RFC 3339 times in any precision or offset, within `EXPIRY_TOLERANCE_MS`; null = never.) */
export function sameExpiry(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const x = Date.parse(a);
  const y = Date.parse(b);
  return !Number.isNaN(x) && !Number.isNaN(y) && Math.abs(x - y) < EXPIRY_TOLERANCE_MS;
}
