/**
 * `computePlan`: desired (a resolved TokenSet) versus actual (the owner's tokens in the service) → a Plan.
 * Pure and synchronous: the caller supplies the tokens, the audit entries and the clock, so every case
 * is testable without a service. `fetch.ts` gathers those inputs from the API; the per-token rules (roll,
 * overlap, missing deliveries, recreate) are `token-rules.ts`'s, shared with the Terraform provider.
 */
import { createHash } from "node:crypto";
import { holderOf } from "../api/holder.js";
import {
  type AuditEntry,
  type DeliveryRecord,
  EMBEDDED_SESSION_PREFIX,
  OWNER_LABEL,
  type Token,
} from "../api/schemas.js";
import { nameKey } from "../spec/identifiers.js";
import {
  claimId,
  type Destination,
  describeDestination,
  destinationId,
  keepFileKeys,
  type ResolvedToken,
  type ResolvedTokenSet,
} from "../spec/resolved.js";
import { changedSettings, isOwnWrite } from "./attribution.js";
import {
  APPLIED_LABEL,
  actualSettings,
  canonicalJson,
  desiredSettings,
  diffSettings,
  type ManagedSettings,
  ON_REMOVE_LABEL,
  REMOVAL_GRACE_LABEL,
  RETIRED_AT_LABEL,
  settingsHash,
} from "./desired.js";
import { destinationHeldMessage, heldByAnother, nameHeldMessage } from "./held.js";
import {
  factsOf,
  type RecreateReason,
  ROLL_REASON_WORDS,
  type RollDecision,
  type RollRequest,
  recreateReason,
  redeliverOverlap,
  rollDecision,
  sameExpiry,
} from "./token-rules.js";
import {
  CHANGE_KINDS,
  type Change,
  type DestinationCheckReport,
  type DriftReport,
  type FieldChange,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanError,
  type PlannedDestination,
  type PlanReports,
  type PlanSummary,
} from "./types.js";

/** Days without use after which a key is reported stale (the NOFire seed: "keys not used in 30+ days"). */
export const DEFAULT_STALE_AFTER_DAYS = 30;
/** Days before expiry at which a key is reported as expiring. */
export const DEFAULT_EXPIRING_WITHIN_DAYS = 14;
const DAY_MS = 86_400_000;

export interface PlanInput {
  set: ResolvedTokenSet;
  /** Every token labelled with `set.owner` in the service. */
  actual: Token[];
  /**
   * The account's other tokens (other owners', unmanaged ones): a name or destination they hold is a plan
   * error unless the spec adopts the token. Absent: not checked.
   */
  others?: Token[];
  /** The machine that writes `file` destinations (files are claimed per host); default `localhost`. */
  host?: string;
  now: Date;
  /** Recent audit entries (newest first is not required); used to say who drifted or deleted a token. */
  audit?: AuditEntry[];
  /**
   * Name of the admin token tokenform acts as: a hand edit made with it is named as the set's own key.
   * (tokenform's own writes are told apart by their audit mark, src/plan/attribution.ts.)
   */
  self?: string;
  /** Other actor names that are tokenform itself (default: embedded session keys). */
  isSelf?: (actor: string) => boolean;
  /** Names to roll now regardless of schedule (`tokenform rotate`), with the overlap to use. */
  rotate?: { names: string[]; overlapSeconds?: number };
  staleAfterDays?: number;
  expiringWithinDays?: number;
  /** A destination-drift check of the owner's tokens (src/plan/destinations.ts): drifted ones are re-delivered. */
  destinationChecks?: DestinationCheckReport;
}

/** The token's destinations; `holders` maps a destination id to the other live token delivered there. */
function planned(token: ResolvedToken, holders: ReadonlyMap<string, string>): PlannedDestination[] {
  return token.deliver.map((destination) => {
    const id = destinationId(destination);
    const heldBy = holders.get(id);
    return {
      id,
      description: describeDestination(destination),
      destination,
      ...(heldBy !== undefined && heldBy !== token.name ? { heldBy } : {}),
    };
  });
}

/** A destination the service recorded a delivery to, described from its record (the spec no longer has it). */
function recordedDestination(record: DeliveryRecord): PlannedDestination {
  const target = record.target as Destination | undefined;
  return {
    id: record.destination,
    description: target ? describeDestination(target) : record.destination,
    ...(target ? { destination: target } : {}),
  };
}

/** Destinations recorded on `actual` that `keep` does not contain, one per id. */
function recordedExcept(actual: Token, keep: (id: string) => boolean): PlannedDestination[] {
  const seen = new Map<string, DeliveryRecord>();
  for (const record of actual.deliveries) if (!keep(record.destination)) seen.set(record.destination, record);
  return [...seen.values()].map(recordedDestination);
}

/** Where a token's secret went, as its delivery records describe the destinations. */
function recordedTargets(token: Token): Destination[] {
  // Records written by the apply engine carry the destination as resolved (src/apply/steps.ts).
  return token.deliveries.flatMap((r) => (r.target ? [r.target as unknown as Destination] : []));
}

/** Audit entries about one token, newest first. */
function historyOf(audit: AuditEntry[] | undefined, id: string): AuditEntry[] {
  return (audit ?? []).filter((e) => e.targetId === id).sort((a, b) => b.at.localeCompare(a.at));
}

/** The inputs indexed once, for every token's planning step. */
interface PlanContext {
  input: PlanInput;
  host: string;
  /** Whether an actor is the key tokenform acts as (the plan's own key, an embedded session key). */
  isSelf(actor: string): boolean;
  /** Whether an audit entry is a write tokenform made for this set (src/plan/attribution.ts). */
  isOwnWrite(entry: AuditEntry): boolean;
  /** The own token a spec token stands for (same name, else its previous name); else another owner's. */
  matchOf(token: ResolvedToken): { own?: Token; foreign?: Token };
  /** Who holds each destination claim in the account. */
  claimHolders: ReadonlyMap<string, Token>;
  /** Destination id → the live own token whose secret was delivered there. */
  holders: ReadonlyMap<string, string>;
  /** Destination ids some spec token delivers to. */
  claimed: ReadonlySet<string>;
  /** Why a token's destination no longer holds its secret, from the drift check. */
  driftOf(name: string, destination: string): string | undefined;
}

/** What the planning steps add to. */
interface PlanParts {
  changes: Change[];
  errors: PlanError[];
  drift: DriftReport[];
  reports: PlanReports;
  /** Own tokens a spec token matched (by name, by `renamedFrom`, or by adoption). */
  matched: Set<string>;
}

/** Indexes the inputs; `tokens` are the spec's, with file keys kept from the existing tokens' files. */
function planContext(input: PlanInput): { ctx: PlanContext; tokens: ResolvedToken[] } {
  // Names are one name per account whatever their case (the service compares them by `nameKey`).
  const byName = new Map<string, Token>();
  for (const token of input.actual) byName.set(nameKey(token.name), token);
  const othersByName = new Map<string, Token>();
  for (const token of input.others ?? []) othersByName.set(nameKey(token.name), token);
  const claimHolders = new Map<string, Token>();
  for (const token of [...input.actual, ...(input.others ?? [])]) {
    for (const claim of token.destinations ?? []) claimHolders.set(claim, token);
  }
  const matchOf = (token: ResolvedToken): { own?: Token; foreign?: Token } => {
    const own =
      byName.get(nameKey(token.name)) ??
      (token.renamedFrom ? byName.get(nameKey(token.renamedFrom)) : undefined);
    return own ? { own } : { foreign: othersByName.get(nameKey(token.name)) };
  };
  // File keys the spec derives stay what the existing token's files have (a rename keeps the variable).
  const tokens = input.set.tokens.map((t) => {
    const { own, foreign } = matchOf(t);
    const existing = own ?? (t.adopt ? foreign : undefined);
    return existing ? keepFileKeys(t, recordedTargets(existing)) : t;
  });
  const holders = new Map<string, string>();
  for (const token of input.actual) {
    if (token.status !== "active") continue;
    for (const record of token.deliveries) holders.set(record.destination, token.name);
  }
  const driftReasons = new Map(
    (input.destinationChecks?.drifted ?? []).map((d) => [`${d.name}\u0000${d.destination}`, d.reason]),
  );
  const isSelf = (actor: string) =>
    actor === input.self || (input.isSelf ? input.isSelf(actor) : actor.startsWith(EMBEDDED_SESSION_PREFIX));
  const ctx: PlanContext = {
    input,
    host: input.host ?? "localhost",
    isSelf,
    isOwnWrite: (entry) => isOwnWrite(entry, input.set.owner, isSelf),
    matchOf,
    claimHolders,
    holders,
    claimed: new Set(tokens.flatMap((t) => t.deliver.map(destinationId))),
    driftOf: (name, destination) => driftReasons.get(`${name}\u0000${destination}`),
  };
  return { ctx, tokens };
}

/**
 * The service token a spec token stands for: its own, or another owner's it adopts (`adoptFrom`); none for
 * a create. Undefined (with the errors recorded) when the name or a destination is held by another owner.
 */
function existingFor(
  token: ResolvedToken,
  ctx: PlanContext,
  parts: PlanParts,
): { actual?: Token; adoptFrom?: Token } | undefined {
  const match = ctx.matchOf(token);
  let actual = match.own;
  let adoptFrom: Token | undefined;
  if (!actual && match.foreign) {
    if (!token.adopt) {
      const holder = holderOf(match.foreign);
      parts.errors.push({
        name: token.name,
        code: "name_held",
        message: nameHeldMessage(token.name, holder),
        holder,
      });
      return undefined;
    }
    actual = match.foreign;
    adoptFrom = match.foreign;
  }
  const heldElsewhere = token.deliver.flatMap((d) => {
    const claim = claimId(d, ctx.host);
    const holder = ctx.claimHolders.get(claim);
    if (!heldByAnother(holder, ctx.input.set.owner, [actual?.id])) return [];
    const who = holderOf(holder);
    return [
      {
        name: token.name,
        code: "destination_held" as const,
        message: destinationHeldMessage(token.name, d, who),
        holder: who,
        destination: claim,
      },
    ];
  });
  if (actual) parts.matched.add(actual.id);
  if (heldElsewhere.length > 0) {
    parts.errors.push(...heldElsewhere);
    return undefined;
  }
  return { ...(actual ? { actual } : {}), ...(adoptFrom ? { adoptFrom } : {}) };
}

/** A spec token with no token in the service: a create, or a recreate when someone deleted it. */
function createChange(token: ResolvedToken, destinations: PlannedDestination[], ctx: PlanContext): Change {
  const deleted = (ctx.input.audit ?? [])
    .filter((e) => e.action === "token.delete" && e.targetName === token.name && !ctx.isOwnWrite(e))
    .sort((a, b) => b.at.localeCompare(a.at))[0];
  return deleted
    ? {
        kind: "recreate",
        name: token.name,
        desired: token,
        reason: `deleted outside tokenform by ${deleted.actor}${ctx.isSelf(deleted.actor) ? " (this set's own key)" : ""} at ${deleted.at}`,
        destinations,
      }
    : { kind: "create", name: token.name, desired: token, destinations };
}

/** The words of a recreate's reason. */
function recreateWords(reason: RecreateReason, token: ResolvedToken, actual: Token): string {
  return reason === "pending"
    ? "an earlier run was interrupted before delivery was confirmed"
    : `type changes from ${actual.type} to ${token.type} (a new key with the new prefix is issued)`;
}

/** The roll `tokenform rotate` asks for this token, if it names it. */
function rollRequest(token: ResolvedToken, input: PlanInput): RollRequest | undefined {
  const rotate = input.rotate;
  if (!rotate?.names.includes(token.name)) return undefined;
  return rotate.overlapSeconds !== undefined ? { overlapSeconds: rotate.overlapSeconds } : {};
}

/** Plans one spec token: the step `computePlan` takes for each. */
function planDeclared(token: ResolvedToken, ctx: PlanContext, parts: PlanParts): void {
  const found = existingFor(token, ctx, parts);
  if (!found) return;
  const { actual, adoptFrom } = found;
  const destinations = planned(token, ctx.holders);
  if (!actual) {
    parts.changes.push(createChange(token, destinations, ctx));
    return;
  }
  const recreate = recreateReason(token, actual);
  if (recreate) {
    parts.changes.push({
      kind: "recreate",
      name: token.name,
      id: actual.id,
      desired: token,
      reason: recreateWords(recreate, token, actual),
      destinations,
    });
    return;
  }
  const roll = rollDecision(token, factsOf(actual), ctx.input.now, rollRequest(token, ctx.input));
  if (adoptFrom) parts.changes.push(adoptChange(token, actual, adoptFrom));
  else planSettings(token, actual, roll, ctx, parts);
  planRoll(token, actual, roll, destinations, ctx, parts);
  reportOn(actual, roll, ctx.input, parts.reports);
}

/** Taking over another owner's token: its settings converge to the spec's. */
function adoptChange(token: ResolvedToken, actual: Token, adoptFrom: Token): Change {
  const desired = desiredSettings(token, new Date(actual.rotatedAt));
  return {
    kind: "adopt",
    name: token.name,
    id: actual.id,
    version: actual.version,
    desired: token,
    from: adoptFrom.labels[OWNER_LABEL] ?? null,
    fields: diffSettings(actualSettings(actual), desired).filter(
      (f) => !(f.field === "expiresAt" && sameExpiry(actual.expiresAt, desired.expiresAt)),
    ),
  };
}

/** Settings, name, claims and dropped destinations of an own token: update, drift and enable/disable. */
function planSettings(
  token: ResolvedToken,
  actual: Token,
  roll: RollDecision,
  ctx: PlanContext,
  parts: PlanParts,
): void {
  // A roll restarts a relative expiry, so compare expiry against the anchor the token will have.
  const desired = desiredSettings(token, new Date(actual.rotatedAt));
  const current = actualSettings(actual);
  const fields: FieldChange[] = diffSettings(current, desired).filter(
    (f) =>
      f.field !== "enabled" && !(f.field === "expiresAt" && sameExpiry(current.expiresAt, desired.expiresAt)),
  );
  const recordedIds = [...new Set(actual.deliveries.map((r) => r.destination))];
  const wanted = new Set(token.deliver.map(destinationId));
  const undeliver = recordedExcept(actual, (id) => wanted.has(id) || ctx.claimed.has(id));
  const dropped = recordedIds.filter((id) => !wanted.has(id));
  // A roll or a re-delivery claims the destinations it writes; otherwise claims that differ from the
  // spec's (a token from before claims, a dropped destination) are written with the settings.
  const wantedClaims = token.deliver.map((d) => claimId(d, ctx.host)).sort();
  const claimsDiffer = canonicalJson([...(actual.destinations ?? [])].sort()) !== canonicalJson(wantedClaims);
  if (actual.name !== token.name) fields.unshift({ field: "name", from: actual.name, to: token.name });
  if (claimsDiffer && roll.action === "none" && dropped.length === 0) {
    fields.push({ field: "destinations", from: [...(actual.destinations ?? [])].sort(), to: wantedClaims });
  }
  const drift = driftReport(token, actual, current, desired, ctx);
  if (drift) parts.drift.push(drift);
  if (fields.length > 0 || dropped.length > 0) {
    parts.changes.push({
      kind: "update",
      name: token.name,
      id: actual.id,
      version: actual.version,
      desired: token,
      fields:
        dropped.length > 0 ? [...fields, { field: "deliver", from: recordedIds, to: [...wanted] }] : fields,
      undeliver,
    });
  }
  // A token disabled because its secret leaked is enabled by the roll that replaces the secret, after the
  // new one is delivered: enabling it first would bring the leaked secret back.
  const leakDisabled = roll.reasons[0] === "leaked" && !current.enabled && desired.enabled;
  if (current.enabled !== desired.enabled && !leakDisabled) {
    parts.changes.push({
      kind: desired.enabled ? "enable" : "disable",
      name: token.name,
      id: actual.id,
      version: actual.version,
      desired: token,
    });
  }
}

/**
 * Drift: the service's settings no longer hash to what tokenform last applied; the audit entries since
 * tokenform last touched the token say who changed which fields.
 */
function driftReport(
  token: ResolvedToken,
  actual: Token,
  current: ManagedSettings,
  desired: ManagedSettings,
  ctx: PlanContext,
): DriftReport | undefined {
  const applied = actual.labels[APPLIED_LABEL];
  if (applied === undefined || applied === settingsHash(current)) return undefined;
  // The edits since tokenform last wrote the token, the newest first; whoever made them, the set's own
  // key included (src/plan/attribution.ts).
  const history = historyOf(ctx.input.audit, actual.id);
  const ownIndex = history.findIndex((e) => ctx.isOwnWrite(e));
  const edits = (ownIndex === -1 ? history : history.slice(0, ownIndex)).filter(changedSettings);
  const outside = edits[0];
  const touched = new Set(edits.flatMap((e) => Object.keys(e.changes)));
  const fields = diffSettings(current, desired).filter(
    (f) =>
      !(f.field === "expiresAt" && sameExpiry(current.expiresAt, desired.expiresAt)) &&
      (touched.size === 0 || touched.has(f.field)),
  );
  return {
    name: token.name,
    id: actual.id,
    fields,
    ...(outside
      ? {
          changedBy: outside.actor,
          ...(ctx.isSelf(outside.actor) ? { changedByOwnKey: true } : {}),
          changedAt: outside.at,
        }
      : {}),
  };
}

/** The rotate or redeliver change, if the secret rolls or a destination lost it (the drift check). */
function planRoll(
  token: ResolvedToken,
  actual: Token,
  roll: RollDecision,
  destinations: PlannedDestination[],
  ctx: PlanContext,
  parts: PlanParts,
): void {
  const base = { name: token.name, id: actual.id, version: actual.version, desired: token, destinations };
  if (roll.action === "rotate") {
    const reason = ROLL_REASON_WORDS[roll.reasons[0]!];
    parts.changes.push({ kind: "rotate", ...base, reason, overlapSeconds: roll.overlapSeconds });
    return;
  }
  if (!token.enabled) return;
  const lacking = new Set(roll.missing);
  const missing = destinations.filter((d) => lacking.has(d.id));
  // Destinations that have the current secret on record but no longer hold it (a drift check found it).
  const drifted = destinations.flatMap((d) => {
    const reason = lacking.has(d.id) ? undefined : ctx.driftOf(actual.name, d.id);
    return reason === undefined ? [] : [{ ...d, drift: reason }];
  });
  if (missing.length === 0 && drifted.length === 0) return;
  const reasons = [
    ...(missing.length > 0
      ? [
          `${missing.map((d) => d.description).join(", ")} ${missing.length === 1 ? "is" : "are"} missing the current secret`,
        ]
      : []),
    ...(drifted.length > 0
      ? [`destination drift: ${drifted.map((d) => `${d.description}: ${d.drift}`).join("; ")}`]
      : []),
  ];
  parts.changes.push({
    kind: "redeliver",
    ...base,
    reason: reasons.join("; "),
    // Existing destinations keep the old secret until they receive the new one.
    overlapSeconds: redeliverOverlap(token),
    missing: [...missing, ...drifted],
  });
}

/** Reports on a token that needs no change: stale, expiring. */
function reportOn(actual: Token, roll: RollDecision, input: PlanInput, reports: PlanReports): void {
  const now = input.now.getTime();
  const waiting = actual.pickup?.waitingSince;
  if (actual.pickup && waiting != null) {
    reports.pickups ??= [];
    reports.pickups.push({
      name: actual.name,
      id: actual.id,
      holder: actual.holder ?? "its holder",
      client: actual.pickup.client,
      server: actual.pickup.server,
      since: waiting,
      days: Math.floor((now - Date.parse(waiting)) / DAY_MS),
    });
  }
  if (actual.status !== "active") return;
  const lastUse = actual.lastUsedAt ?? actual.createdAt;
  const days = Math.floor((now - Date.parse(lastUse)) / DAY_MS);
  if (days >= (input.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS))
    reports.stale.push({ name: actual.name, id: actual.id, lastUsedAt: actual.lastUsedAt, days });
  if (actual.expiresAt && roll.action !== "rotate") {
    const left = (Date.parse(actual.expiresAt) - now) / DAY_MS;
    if (left <= (input.expiringWithinDays ?? DEFAULT_EXPIRING_WITHIN_DAYS)) {
      reports.expiring.push({
        name: actual.name,
        id: actual.id,
        expiresAt: actual.expiresAt,
        days: Math.floor(left),
      });
    }
  }
}

/** A token of this owner the spec no longer declares: retired, deleted or orphaned as its policy says. */
function planRemoval(actual: Token, ctx: PlanContext, parts: PlanParts): void {
  const { set, now } = ctx.input;
  const undeliver = recordedExcept(actual, (id) => ctx.claimed.has(id));
  const recorded = [...new Set(actual.deliveries.map((r) => r.destination))].sort();
  const secretAt = recordedExcept(actual, () => false).sort((a, b) => a.id.localeCompare(b.id));
  const removal = { id: actual.id, version: actual.version, recorded, secretAt };
  const remove = (reason: string) => {
    parts.changes.push({ kind: "delete", name: actual.name, ...removal, reason, undeliver });
  };
  if (actual.status === "pending") {
    remove("unconfirmed pending token");
    return;
  }
  const policy = actual.labels[ON_REMOVE_LABEL] ?? set.defaults.onRemove;
  const graceLabel = Number(actual.labels[REMOVAL_GRACE_LABEL]);
  const graceSeconds = Number.isFinite(graceLabel) ? graceLabel : set.defaults.removalGraceSeconds;
  if (policy === "orphan") {
    parts.changes.push({ kind: "orphan", name: actual.name, id: actual.id, version: actual.version });
    return;
  }
  if (policy === "delete") {
    remove("removed from the spec");
    return;
  }
  const retiredAt = actual.labels[RETIRED_AT_LABEL];
  if (retiredAt === undefined) {
    parts.changes.push({ kind: "retire", name: actual.name, ...removal, graceSeconds });
    return;
  }
  const deleteAfter = new Date(Date.parse(retiredAt) + graceSeconds * 1000);
  if (deleteAfter.getTime() <= now.getTime()) remove(`retired at ${retiredAt}; grace period over`);
  else
    parts.reports.retiring.push({ name: actual.name, id: actual.id, deleteAfter: deleteAfter.toISOString() });
}

/** The plan from its parts: each list in its order, the summary counted, the hash taken. */
function assemble(input: PlanInput, parts: PlanParts): Plan {
  const { changes, errors, drift, reports } = parts;
  const order = (c: Change) => CHANGE_KINDS.indexOf(c.kind);
  changes.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  drift.sort((a, b) => a.name.localeCompare(b.name));
  for (const list of [reports.stale, reports.expiring, reports.retiring, reports.pickups ?? []])
    list.sort((a, b) => a.name.localeCompare(b.name));
  errors.sort((a, b) => a.name.localeCompare(b.name) || a.message.localeCompare(b.message));

  const summary = Object.fromEntries(
    [...CHANGE_KINDS, "drift", "errors"].map((k) => [k, 0]),
  ) as unknown as PlanSummary;
  for (const change of changes) summary[change.kind] += 1;
  summary.drift = drift.length;
  summary.errors = errors.length;

  return {
    formatVersion: PLAN_FORMAT_VERSION,
    owner: input.set.owner,
    generatedAt: input.now.toISOString(),
    hash: planHash(input.set.owner, changes, errors),
    changes,
    errors,
    drift,
    reports,
    summary,
    ...(input.destinationChecks ? { destinationChecks: input.destinationChecks } : {}),
  };
}

/** Computes the plan. Deterministic for the same inputs; `hash` ignores `generatedAt`. */
export function computePlan(input: PlanInput): Plan {
  const { ctx, tokens } = planContext(input);
  const parts: PlanParts = {
    changes: [],
    errors: [],
    drift: [],
    reports: { stale: [], expiring: [], retiring: [] },
    matched: new Set(),
  };
  for (const token of tokens) planDeclared(token, ctx, parts);
  // Tokens of this owner the spec no longer declares (a renamed token is still declared).
  for (const actual of input.actual) if (!parts.matched.has(actual.id)) planRemoval(actual, ctx, parts);
  return assemble(input, parts);
}

/** The hash covers what apply acts on: kinds, targets, versions, fields and desired settings (and errors). */
export function planHash(owner: string, changes: Change[], errors: PlanError[] = []): string {
  const canonical = canonicalJson({
    owner,
    changes: changes.map((c) => ({
      ...c,
      desired: "desired" in c ? { ...c.desired, source: undefined } : undefined,
    })),
    ...(errors.length > 0 ? { errors } : {}),
  });
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}
