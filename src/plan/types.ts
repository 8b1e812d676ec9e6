/**
 * The Plan: what applying a TokenSet would change in the token service, as plain data. It is the same
 * object whether rendered for a terminal, a pull-request comment or JSON (`PLAN_FORMAT_VERSION`), and it
 * never contains a secret. `hash` covers everything apply acts on, so a stale plan can be refused.
 */
import type { ClaimHolder } from "../api/holder.js";
import type { Destination, ResolvedToken } from "../spec/resolved.js";
import type { PlanWarning } from "./warnings.js";

/** Version of the JSON plan format (`tokenform plan --format json`). Bump on incompatible change. */
export const PLAN_FORMAT_VERSION = 1;

/** Change kinds in the order a plan lists (and apply executes) them. */
export const CHANGE_KINDS = [
  "create",
  "adopt",
  "update",
  "enable",
  "disable",
  "rotate",
  "redeliver",
  "recreate",
  "retire",
  "delete",
  "orphan",
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One field that differs between the spec and the service. Values are safe to print (no secrets). */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** A destination as the plan shows it: its stable id and a human description. */
export interface PlannedDestination {
  id: string;
  description: string;
  /** The resolved destination; absent only for an old delivery record that did not store its location. */
  destination?: Destination;
  /**
   * Another live token whose secret is at this destination now (a rename or hand-over). Apply writes such
   * destinations last, so a delivery failing elsewhere never replaces a working key with a revoked one.
   */
  heldBy?: string;
  /** Why the destination no longer holds the current secret, when a destination-drift check found it. */
  drift?: string;
}

interface ChangeBase {
  kind: ChangeKind;
  /** Token name. */
  name: string;
  /** Service id of the existing token; absent for creates. */
  id?: string;
  /** Version of the existing token when planned (apply uses it for If-Match). */
  version?: number;
}

export interface CreateChange extends ChangeBase {
  kind: "create";
  desired: ResolvedToken;
  destinations: PlannedDestination[];
}

/** A token another owner (or nobody) manages, taken over because the spec says `adopt: true`. */
export interface AdoptChange extends ChangeBase {
  kind: "adopt";
  id: string;
  version: number;
  desired: ResolvedToken;
  /** The owner it is taken from; null when no TokenSet managed it. */
  from: string | null;
  /** Settings that change with the adoption. */
  fields: FieldChange[];
}

export interface UpdateChange extends ChangeBase {
  kind: "update";
  id: string;
  version: number;
  desired: ResolvedToken;
  fields: FieldChange[];
  /** Destinations the spec no longer names: the secret is removed there. */
  undeliver: PlannedDestination[];
}

export interface ToggleChange extends ChangeBase {
  kind: "enable" | "disable";
  id: string;
  version: number;
  desired: ResolvedToken;
}

export interface RotateChange extends ChangeBase {
  kind: "rotate" | "redeliver";
  id: string;
  version: number;
  desired: ResolvedToken;
  /** Why: `due` (rotation.every elapsed), `requested` (rotate trigger / CLI), `expired`, or a re-delivery reason. */
  reason: string;
  /** How long the previous secret keeps working after the roll. */
  overlapSeconds: number;
  /** Every destination receives the new secret. */
  destinations: PlannedDestination[];
  /** For redeliver: destinations that are missing the current secret. */
  missing?: PlannedDestination[];
}

export interface RecreateChange extends ChangeBase {
  kind: "recreate";
  /** The leftover token to delete first (a pending token from an interrupted run); absent when it is gone. */
  id?: string;
  desired: ResolvedToken;
  reason: string;
  destinations: PlannedDestination[];
}

export interface RetireChange extends ChangeBase {
  kind: "retire";
  id: string;
  version: number;
  /** Seconds after retirement when the token is deleted. */
  graceSeconds: number;
  /** Destination ids the token's secret was delivered to (apply keeps it if a replacement failed there). */
  recorded: string[];
  /** The same destinations, described: where a key stops working (the plan's impact lines). */
  secretAt: PlannedDestination[];
}

export interface DeleteChange extends ChangeBase {
  kind: "delete";
  id: string;
  version: number;
  reason: string;
  /** Destination ids the token's secret was delivered to (apply keeps it if a replacement failed there). */
  recorded: string[];
  /** The same destinations, described: where a key stops working (the plan's impact lines). */
  secretAt: PlannedDestination[];
  /** Destinations whose copy of the (now dead) secret is removed; those claimed by other tokens are kept. */
  undeliver: PlannedDestination[];
}

export interface OrphanChange extends ChangeBase {
  kind: "orphan";
  id: string;
  version: number;
}

export type Change =
  | CreateChange
  | AdoptChange
  | UpdateChange
  | ToggleChange
  | RotateChange
  | RecreateChange
  | RetireChange
  | DeleteChange
  | OrphanChange;

/**
 * Why part of the spec cannot be applied as written: a name or a destination another owner's token (or an
 * unmanaged one) holds. The token's changes are left out, and a plan with errors applies nothing.
 */
export interface PlanError {
  /** The spec token affected. */
  name: string;
  code: "name_held" | "destination_held";
  message: string;
  /** The token that holds it. */
  holder: ClaimHolder;
  /** For `destination_held`: the destination's claim id. */
  destination?: string;
}

/** A setting changed outside tokenform, with who did it when the audit log says. */
export interface DriftReport {
  name: string;
  id: string;
  fields: FieldChange[];
  /** Name of the admin token that last changed it outside tokenform, when known. */
  changedBy?: string;
  /**
   * True when `changedBy` is the key this plan runs as: a hand edit made with the set's own key (its
   * audit entry lacks the mark tokenform's apply puts on its writes, `changes.appliedFor`).
   */
  changedByOwnKey?: boolean;
  changedAt?: string;
}

/** Tokens worth a look that need no change. */
export interface PlanReports {
  /** Unused for `staleAfterDays` or more (or never used since created that long ago). */
  stale: Array<{ name: string; id: string; lastUsedAt: string | null; days: number }>;
  /** Expiring within `expiringWithinDays`. */
  expiring: Array<{ name: string; id: string; expiresAt: string; days: number }>;
  /** Retired tokens waiting for their grace period to end. */
  retiring: Array<{ name: string; id: string; deleteAfter: string }>;
  /** Keys whose secret waits for their holder's `tokenform pickup`; absent when none waits. */
  pickups?: PickupReport[];
}

/** A key waiting for its holder's pickup: who, into which client entry, and since when. */
export interface PickupReport {
  name: string;
  id: string;
  holder: string;
  client: string;
  server: string;
  since: string;
  days: number;
}

export interface PlanSummary {
  create: number;
  adopt: number;
  update: number;
  enable: number;
  disable: number;
  rotate: number;
  redeliver: number;
  recreate: number;
  retire: number;
  delete: number;
  orphan: number;
  drift: number;
  errors: number;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  owner: string;
  /** When the plan was computed (not part of the hash). */
  generatedAt: string;
  /** `sha256:` of the canonical form of `changes`; apply refuses a plan whose hash it cannot reproduce. */
  hash: string;
  changes: Change[];
  /** What cannot be applied as written; when any, apply refuses the whole plan. */
  errors: PlanError[];
  drift: DriftReport[];
  reports: PlanReports;
  summary: PlanSummary;
  /** The destination-drift check, when the plan ran one (not part of the hash; its re-deliveries are). */
  destinationChecks?: DestinationCheckReport;
  /** What to look at before applying (`src/plan/warnings.ts`); not part of the hash. */
  warnings?: PlanWarning[];
}

/** One destination a destination-drift check looked at: the token, the destination and what was found. */
export interface CheckedDestination {
  /** Token name. */
  name: string;
  /** Destination id. */
  destination: string;
  description: string;
  /** Why it no longer holds tokenform's delivery (drift), or why it could not be read (unverified). */
  reason: string;
}

/**
 * A destination-drift check: each destination holding a token's current secret was read once; those that
 * no longer hold it (deleted, overwritten) are re-delivered by the plan; those that could not be read (no
 * credential, no permission, API down) are reported and left alone.
 */
export interface DestinationCheckReport {
  checked: number;
  drifted: CheckedDestination[];
  unverified: CheckedDestination[];
}

/** The destinations `change` issues a new secret to (a create, replacement, rotation or re-delivery). */
export function deliveredTo(change: Change): PlannedDestination[] {
  switch (change.kind) {
    case "create":
    case "recreate":
    case "rotate":
    case "redeliver":
      return change.destinations;
    default:
      return [];
  }
}

/** The destinations `change` removes a secret from (a destination dropped from the spec, a deletion). */
export function removedFrom(change: Change): PlannedDestination[] {
  return change.kind === "update" || change.kind === "delete" ? change.undeliver : [];
}

/** True when applying the plan would change something. */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}
