/**
 * Planning one `tokenform_token`: the new state Terraform shows and later holds the provider to. Settings
 * changes are in-place updates; a roll (rotation due, rotate_trigger changed, a destination that lacks the
 * current secret) keeps the token and marks its secret's generation, fingerprint and prefix unknown; only a
 * type change replaces it. Defaults are planned explicitly, so a token changed outside Terraform (disabled
 * through the API, say) shows up as a diff back to the configured value.
 */

import { expiresAfter } from "../../../../src/plan/desired.js";
import {
  type RollReason as EngineRollReason,
  rollDecision,
  sameExpiry,
  type TokenFacts,
  typeChanges,
} from "../../../../src/plan/token-rules.js";
import { formatDuration, parseDuration } from "../../../../src/spec/duration.js";
import { type Destination, destinationId, type ResolvedToken } from "../../../../src/spec/resolved.js";
import { type AttributePath, type Diagnostic, path } from "../../runtime/diagnostics.js";
import { isObject, type TfObject, type TfValue, UNKNOWN, Unknown } from "../../runtime/values.js";
import { removalWarning } from "./removal.js";
import { DELIVERY_BLOCK_NAMES } from "./to-spec.js";

/** Attributes only the service sets. */
const COMPUTED = [
  "id",
  "display_prefix",
  "fingerprint",
  "status",
  "created_at",
  "generation",
  "rotated_at",
  "delivered",
  "owner",
];
/** Attributes that change when the secret is rolled. */
const ROLLED = ["display_prefix", "fingerprint", "generation", "rotated_at", "delivered"];

/**
 * Why a roll is planned: the reasons `tokenform plan` rotates for (a rotate trigger is Terraform's way to
 * ask for one), or a destination lacking the current secret (`tokenform plan` re-delivers for that).
 */
export type RollReason = Exclude<EngineRollReason, "requested"> | "new-destination";

/** A planned roll: why, how long the previous secret keeps working, and the destinations lacking it. */
export interface PlannedRoll {
  reasons: RollReason[];
  /** Ids of configured destinations lacking the current secret. */
  missing: string[];
  overlapSeconds: number;
}

/** The outcome of planning. */
export interface TokenPlan {
  planned: TfObject | null;
  requiresReplace: AttributePath[];
  diagnostics: Diagnostic[];
}

/** What planning needs besides the three values. */
export interface PlanInputs {
  prior: TfObject | null;
  proposed: TfObject | null;
  /** The configuration with each file block's key planned (`withFileKeys`). */
  config: TfObject | null;
  /** The provider's owner: every applied token carries it. */
  owner: string;
  /** The resolved configuration (unknown values left out); undefined when it cannot be resolved. */
  resolved: ResolvedToken | undefined;
  now: Date;
  /** For a destroy: where the prior state's delivery blocks send the secret (see removal.ts). */
  removedFrom?: Destination[];
}

/** The planned value of an optional+computed attribute: the configured value, else the default. */
function defaulted(config: TfObject, name: string, fallback: TfValue): TfValue {
  const v = config[name] ?? null;
  return v === null ? fallback : v;
}

/** The default removal grace as configured text, keeping the prior spelling when it means the same. */
function graceText(seconds: number, prior: TfValue | undefined): string {
  return typeof prior === "string" && parseDuration(prior) === seconds ? prior : formatDuration(seconds);
}

/** The facts the planning rules need, as Terraform state holds them (`delivered`: ids at the current generation). */
export function stateFacts(prior: TfObject): TokenFacts {
  const have = new Set(Array.isArray(prior.delivered) ? (prior.delivered as string[]) : []);
  return {
    status: typeof prior.status === "string" ? prior.status : "",
    rotatedAt: typeof prior.rotated_at === "string" ? prior.rotated_at : undefined,
    rotateTrigger: typeof prior.rotate_trigger === "string" ? prior.rotate_trigger : undefined,
    holdsCurrentSecret: (id) => have.has(id),
  };
}

/**
 * Whether the secret must be rolled, why, with what overlap and for which destinations: the plan engine's
 * decision (src/plan/token-rules.ts) on the known values, `UNKNOWN` when it depends on values not known yet
 * (unless a known reason already rolls it). Only Terraform's unknown values are handled here.
 */
export function plannedRoll(inputs: {
  prior: TfObject;
  config: TfObject;
  enabled: TfValue;
  resolved: ResolvedToken | undefined;
  now: Date;
}): PlannedRoll | Unknown {
  const { prior, config, resolved, now } = inputs;
  if (inputs.enabled === false) return { reasons: [], missing: [], overlapSeconds: 0 };
  if (resolved === undefined) return UNKNOWN;
  const rotation = config.rotation ?? null;
  // An unknown `every` resolves to a placeholder: no schedule can be judged from it.
  const everyUnknown = isObject(rotation) && (rotation.every ?? null) instanceof Unknown;
  const deliveryUnknown = hasUnknownDelivery(config);
  const unknown =
    inputs.enabled instanceof Unknown ||
    (config.rotate_trigger ?? null) instanceof Unknown ||
    rotation instanceof Unknown ||
    everyUnknown ||
    deliveryUnknown;
  const desired = { ...resolved, enabled: true, ...(everyUnknown ? { rotation: undefined } : {}) };
  const decision = rollDecision(desired, stateFacts(prior), now);
  const missing = deliveryUnknown ? [] : decision.missing;
  const reasons: RollReason[] = [
    ...decision.reasons.filter((r): r is Exclude<EngineRollReason, "requested"> => r !== "requested"),
    ...(missing.length > 0 ? (["new-destination"] as const) : []),
  ];
  if (reasons.length === 0 && unknown) return UNKNOWN;
  return { reasons, missing, overlapSeconds: decision.overlapSeconds };
}

/**
 * Whether the secret must be rolled: a list of reasons, `UNKNOWN` when it depends on values not known yet,
 * or an empty list (see `plannedRoll`).
 */
export function rollReasons(inputs: Parameters<typeof plannedRoll>[0]): RollReason[] | Unknown {
  const roll = plannedRoll(inputs);
  return roll instanceof Unknown ? roll : roll.reasons;
}

/** Whether a delivery block (or one of its values) is not known yet. */
export function hasUnknownDelivery(config: TfObject): boolean {
  for (const name of DELIVERY_BLOCK_NAMES) {
    const blocks = config[name] ?? null;
    if (blocks instanceof Unknown) return true;
    if (
      Array.isArray(blocks) &&
      blocks.some(
        (b) => b instanceof Unknown || (isObject(b) && Object.values(b).some((v) => v instanceof Unknown)),
      )
    ) {
      return true;
    }
  }
  return false;
}

/** Plans a create, update or destroy. */
export function planToken(inputs: PlanInputs): TokenPlan {
  const { prior, proposed, config, resolved, now } = inputs;
  if (proposed === null || config === null) return planDestroy(prior, inputs.removedFrom ?? []);
  const planned: TfObject = { ...proposed };
  const diagnostics: Diagnostic[] = [];
  planned.file = plannedFileBlocks(proposed.file ?? null, config.file ?? null);

  // Defaults, planned explicitly. Each follows its configured value when set (known or not).
  const typeUnknown = config.type instanceof Unknown;
  planned.description = defaulted(config, "description", resolved ? resolved.description : UNKNOWN);
  planned.type = defaulted(config, "type", resolved ? resolved.type : UNKNOWN);
  planned.read_only = defaulted(config, "read_only", resolved && !typeUnknown ? resolved.readOnly : UNKNOWN);
  planned.enabled = defaulted(config, "enabled", resolved ? resolved.enabled : UNKNOWN);
  planned.on_remove = defaulted(config, "on_remove", resolved ? resolved.onRemove : UNKNOWN);
  planned.removal_grace = defaulted(
    config,
    "removal_grace",
    resolved ? graceText(resolved.removalGraceSeconds, prior?.removal_grace) : UNKNOWN,
  );

  if (prior === null) {
    for (const name of COMPUTED) planned[name] = UNKNOWN;
    planned.owner = inputs.owner;
    planned.expires_at = plannedExpiry(config, undefined, null);
    return { planned, requiresReplace: [], diagnostics };
  }

  for (const name of COMPUTED) planned[name] = prior[name] ?? null;
  // Every apply labels the token with the provider's owner (taking it from another needs adopt = true).
  planned.owner = inputs.owner;
  const roll = rollReasons({ prior, config, enabled: planned.enabled, resolved, now });
  const rolling = roll instanceof Unknown || roll.length > 0;
  if (rolling) for (const name of ROLLED) planned[name] = UNKNOWN;
  else if (resolved !== undefined) {
    // Destinations dropped from the configuration lose their record (and their copy of the secret).
    const wanted = new Set(resolved.deliver.map(destinationId));
    const prev = Array.isArray(prior.delivered) ? (prior.delivered as string[]) : [];
    planned.delivered = prev.filter((id) => wanted.has(id));
  }
  if (!(planned.enabled === prior.enabled)) planned.status = UNKNOWN;
  planned.expires_at = plannedExpiry(
    config,
    rolling ? undefined : prior.rotated_at,
    prior.expires_at ?? null,
  );

  const requiresReplace: AttributePath[] = [];
  if (
    typeof planned.type === "string" &&
    typeof prior.type === "string" &&
    typeChanges({ type: planned.type }, { type: prior.type })
  ) {
    requiresReplace.push(path("type"));
  }
  return { planned, requiresReplace, diagnostics };
}

/** The proposed file blocks with the keys `config` planned (the blocks are the same, index for index). */
function plannedFileBlocks(proposed: TfValue, config: TfValue): TfValue {
  if (!Array.isArray(proposed) || !Array.isArray(config)) return proposed;
  return proposed.map((block, i) => {
    const configured = config[i];
    return isObject(block) && isObject(configured ?? null)
      ? { ...block, key: (configured as TfObject).key ?? null }
      : block;
  });
}

/**
 * expires_at: the configured time; else `expires_in` after the current generation started (unknown
 * when a roll moves that start, or on create); else null (never expires).
 */
function plannedExpiry(config: TfObject, anchor: TfValue | undefined, prior: TfValue): TfValue {
  const at = config.expires_at ?? null;
  if (at !== null) return at;
  const expiresIn = config.expires_in ?? null;
  if (expiresIn === null || expiresIn === "never") return null;
  if (expiresIn instanceof Unknown || typeof expiresIn !== "string" || typeof anchor !== "string")
    return UNKNOWN;
  const seconds = parseDuration(expiresIn);
  if (seconds === undefined) return UNKNOWN;
  const value = expiresAfter(new Date(anchor), seconds);
  return typeof prior === "string" && sameExpiry(prior, value) ? prior : value;
}

/** A destroy: nothing planned; a warning saying what on_remove does to the token (removal.ts). */
function planDestroy(prior: TfObject | null, removedFrom: Destination[]): TokenPlan {
  const diagnostics = prior ? [removalWarning(prior, removedFrom, { phase: "plan" })] : [];
  return { planned: null, requiresReplace: [], diagnostics };
}
