/**
 * `computePlan`: desired (a resolved TokenSet) versus actual (the owner's tokens in the service) → a Plan.
 * Pure and synchronous: the caller supplies the tokens, the audit entries and the clock, so every case
 * is testable without a service. `fetch.ts` gathers those inputs from the API.
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
import {
  APPLIED_LABEL,
  actualSettings,
  canonicalJson,
  desiredSettings,
  diffSettings,
  ON_REMOVE_LABEL,
  REMOVAL_GRACE_LABEL,
  RETIRED_AT_LABEL,
  ROTATE_TRIGGER_LABEL,
  settingsHash,
} from "./desired.js";
import { destinationHeldMessage, nameHeldMessage } from "./held.js";
import { isRotationDue } from "./rotation.js";
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
/** Drift in an expiry smaller than this is clock noise, not a change. */
const EXPIRY_TOLERANCE_MS = 60_000;
const DAY_MS = 86_400_000;
/**
 * Least overlap of a re-delivery roll: destinations that already work keep the previous secret at least
 * this long, so a re-delivery that fails everywhere is retried (the Action runs daily) before they lose it.
 */
export const REDELIVER_MIN_OVERLAP_SECONDS = 48 * 3600;

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
  /** Name of the admin token tokenform acts as, to tell its own changes from outside ones. */
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

function rotationReason(token: ResolvedToken, actual: Token, input: PlanInput): string | undefined {
  if (input.rotate?.names.includes(token.name)) return "requested";
  if (actual.status === "expired") return "expired";
  if (token.rotateTrigger !== undefined && token.rotateTrigger !== actual.labels[ROTATE_TRIGGER_LABEL]) {
    return "rotate trigger changed";
  }
  if (token.rotation && isRotationDue(actual.rotatedAt, token.rotation.everySeconds, input.now)) return "due";
  return undefined;
}

/** Whether the destination `id` holds `token`'s current secret (recorded at its generation and fingerprint). */
export function holdsCurrentSecret(token: Token, id: string): boolean {
  return token.deliveries.some(
    (r) => r.destination === id && r.generation === token.generation && r.fingerprint === token.fingerprint,
  );
}

function missingDeliveries(actual: Token, destinations: PlannedDestination[]): PlannedDestination[] {
  return destinations.filter((d) => !holdsCurrentSecret(actual, d.id));
}

function sameExpiry(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(Date.parse(a) - Date.parse(b)) < EXPIRY_TOLERANCE_MS;
}

/** Computes the plan. Deterministic for the same inputs; `hash` ignores `generatedAt`. */
export function computePlan(input: PlanInput): Plan {
  const { set, now } = input;
  const isSelf = (actor: string) =>
    actor === input.self || (input.isSelf ? input.isSelf(actor) : actor.startsWith(EMBEDDED_SESSION_PREFIX));
  const changes: Change[] = [];
  const errors: PlanError[] = [];
  const host = input.host ?? "localhost";
  const drift: DriftReport[] = [];
  const reports: PlanReports = { stale: [], expiring: [], retiring: [] };
  // Names are one name per account whatever their case (the service compares them by `nameKey`).
  const byName = new Map<string, Token>();
  for (const token of input.actual) byName.set(nameKey(token.name), token);
  const othersByName = new Map<string, Token>();
  for (const token of input.others ?? []) othersByName.set(nameKey(token.name), token);
  /** Who holds each destination claim in the account. */
  const claimHolders = new Map<string, Token>();
  for (const token of [...input.actual, ...(input.others ?? [])]) {
    for (const claim of token.destinations ?? []) claimHolders.set(claim, token);
  }
  /** The own token a spec token stands for (same name, else its previous name); else another owner's. */
  const matchOf = (token: ResolvedToken): { own?: Token; foreign?: Token } => {
    const own =
      byName.get(nameKey(token.name)) ??
      (token.renamedFrom ? byName.get(nameKey(token.renamedFrom)) : undefined);
    return own ? { own } : { foreign: othersByName.get(nameKey(token.name)) };
  };
  // File keys the spec derives stay what the existing token's files have (a rename keeps the variable).
  const tokens = set.tokens.map((t) => {
    const { own, foreign } = matchOf(t);
    const existing = own ?? (t.adopt ? foreign : undefined);
    return existing ? keepFileKeys(t, recordedTargets(existing)) : t;
  });
  /** Own tokens a spec token matched (by name, by `renamedFrom`, or by adoption). */
  const matched = new Set<string>();
  const claimed = new Set(tokens.flatMap((t) => t.deliver.map(destinationId)));
  const holders = new Map<string, string>();
  for (const token of input.actual) {
    if (token.status !== "active") continue;
    for (const record of token.deliveries) holders.set(record.destination, token.name);
  }
  /** Why a token's destination no longer holds its secret, from the drift check (by token name). */
  const driftReasons = new Map(
    (input.destinationChecks?.drifted ?? []).map((d) => [`${d.name}\u0000${d.destination}`, d.reason]),
  );
  const driftOf = (name: string, destination: string) => driftReasons.get(`${name}\u0000${destination}`);
  const staleDays = input.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS;
  const expiringDays = input.expiringWithinDays ?? DEFAULT_EXPIRING_WITHIN_DAYS;

  for (const token of tokens) {
    const match = matchOf(token);
    let actual = match.own;
    const renamedFrom = actual && actual.name !== token.name ? actual.name : undefined;
    let adoptFrom: Token | undefined;
    if (!actual) {
      const foreign = match.foreign;
      if (foreign && !token.adopt) {
        const holder = holderOf(foreign);
        errors.push({
          name: token.name,
          code: "name_held",
          message: nameHeldMessage(token.name, holder),
          holder,
        });
        continue;
      }
      if (foreign) {
        actual = foreign;
        adoptFrom = foreign;
      }
    }
    const heldElsewhere = token.deliver.flatMap((d) => {
      const claim = claimId(d, host);
      const holder = claimHolders.get(claim);
      if (!holder || holder.id === actual?.id || holder.labels[OWNER_LABEL] === set.owner) return [];
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
    if (heldElsewhere.length > 0) {
      errors.push(...heldElsewhere);
      if (actual) matched.add(actual.id);
      continue;
    }
    if (actual) matched.add(actual.id);
    const destinations = planned(token, holders);
    if (!actual) {
      const deleted = (input.audit ?? [])
        .filter((e) => e.action === "token.delete" && e.targetName === token.name && !isSelf(e.actor))
        .sort((a, b) => b.at.localeCompare(a.at))[0];
      changes.push(
        deleted
          ? {
              kind: "recreate",
              name: token.name,
              desired: token,
              reason: `deleted outside tokenform by ${deleted.actor} at ${deleted.at}`,
              destinations,
            }
          : { kind: "create", name: token.name, desired: token, destinations },
      );
      continue;
    }
    if (actual.status === "pending") {
      changes.push({
        kind: "recreate",
        name: token.name,
        id: actual.id,
        desired: token,
        reason: "an earlier run was interrupted before delivery was confirmed",
        destinations,
      });
      continue;
    }
    if (actual.type !== token.type) {
      changes.push({
        kind: "recreate",
        name: token.name,
        id: actual.id,
        desired: token,
        reason: `type changes from ${actual.type} to ${token.type} (a new key with the new prefix is issued)`,
        destinations,
      });
      continue;
    }

    const rollReason = token.enabled ? rotationReason(token, actual, input) : undefined;
    const wantedClaims = token.deliver.map((d) => claimId(d, host)).sort();
    if (adoptFrom) {
      const desiredAdopted = desiredSettings(token, new Date(actual.rotatedAt));
      changes.push({
        kind: "adopt",
        name: token.name,
        id: actual.id,
        version: actual.version,
        desired: token,
        from: adoptFrom.labels[OWNER_LABEL] ?? null,
        fields: diffSettings(actualSettings(actual), desiredAdopted).filter(
          (f) => !(f.field === "expiresAt" && sameExpiry(actual.expiresAt, desiredAdopted.expiresAt)),
        ),
      });
    }
    // A roll restarts a relative expiry, so compare expiry against the anchor the token will have.
    const anchor = new Date(actual.rotatedAt);
    const desired = desiredSettings(token, anchor);
    const current = actualSettings(actual);
    const fields: FieldChange[] = diffSettings(current, desired).filter(
      (f) =>
        f.field !== "enabled" &&
        !(f.field === "expiresAt" && sameExpiry(current.expiresAt, desired.expiresAt)),
    );
    const recordedIds = [...new Set(actual.deliveries.map((r) => r.destination))];
    const wanted = new Set(destinations.map((d) => d.id));
    const undeliver = recordedExcept(actual, (id) => wanted.has(id) || claimed.has(id));
    const dropped = recordedIds.filter((id) => !wanted.has(id));

    // A roll or a re-delivery claims the destinations it writes; otherwise claims that differ from the
    // spec's (a token from before claims, a dropped destination) are written with the settings.
    const missing = token.enabled && !rollReason ? missingDeliveries(actual, destinations) : [];
    const delivering = rollReason !== undefined || missing.length > 0;
    const claimsDiffer =
      canonicalJson([...(actual.destinations ?? [])].sort()) !== canonicalJson(wantedClaims);
    if (renamedFrom !== undefined) fields.unshift({ field: "name", from: renamedFrom, to: token.name });
    if (claimsDiffer && !delivering && dropped.length === 0 && !adoptFrom) {
      fields.push({ field: "destinations", from: [...(actual.destinations ?? [])].sort(), to: wantedClaims });
    }

    // Drift: the service's settings no longer hash to what tokenform last applied (another owner's
    // settings are not drift: adopting them is the change).
    const applied = actual.labels[APPLIED_LABEL];
    if (!adoptFrom && applied !== undefined && applied !== settingsHash(current)) {
      // Changes by others since tokenform last touched the token; their audit entries name the fields.
      const history = historyOf(input.audit, actual.id);
      const selfIndex = history.findIndex((e) => isSelf(e.actor));
      const sinceSelf = selfIndex === -1 ? history : history.slice(0, selfIndex);
      const outside = sinceSelf.find((e) => !isSelf(e.actor));
      const touched = new Set(sinceSelf.flatMap((e) => Object.keys(e.changes)));
      const driftFields = diffSettings(current, desired).filter(
        (f) =>
          !(f.field === "expiresAt" && sameExpiry(current.expiresAt, desired.expiresAt)) &&
          (touched.size === 0 || touched.has(f.field)),
      );
      drift.push({
        name: token.name,
        id: actual.id,
        fields: driftFields,
        ...(outside ? { changedBy: outside.actor, changedAt: outside.at } : {}),
      });
    }

    if (!adoptFrom && (fields.length > 0 || dropped.length > 0)) {
      changes.push({
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
    if (!adoptFrom && current.enabled !== desired.enabled) {
      changes.push({
        kind: desired.enabled ? "enable" : "disable",
        name: token.name,
        id: actual.id,
        version: actual.version,
        desired: token,
      });
    }
    const overlapSeconds =
      input.rotate?.names.includes(token.name) && input.rotate.overlapSeconds !== undefined
        ? input.rotate.overlapSeconds
        : (token.rotation?.overlapSeconds ?? 0);
    if (rollReason) {
      changes.push({
        kind: "rotate",
        name: token.name,
        id: actual.id,
        version: actual.version,
        desired: token,
        reason: rollReason,
        overlapSeconds: rollReason === "expired" ? 0 : overlapSeconds,
        destinations,
      });
    } else if (token.enabled) {
      // Destinations that have the current secret on record but no longer hold it (a drift check found it).
      const drifted = destinations.flatMap((d) => {
        const reason = missing.includes(d) ? undefined : driftOf(actual.name, d.id);
        return reason === undefined ? [] : [{ ...d, drift: reason }];
      });
      if (missing.length > 0 || drifted.length > 0) {
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
        changes.push({
          kind: "redeliver",
          name: token.name,
          id: actual.id,
          version: actual.version,
          desired: token,
          reason: reasons.join("; "),
          // Existing destinations keep the old secret until they receive the new one.
          overlapSeconds: Math.max(token.rotation?.overlapSeconds ?? 0, REDELIVER_MIN_OVERLAP_SECONDS),
          destinations,
          missing: [...missing, ...drifted],
        });
      }
    }

    // Reports on tokens that need no change.
    if (actual.status === "active") {
      const lastUse = actual.lastUsedAt ?? actual.createdAt;
      const days = Math.floor((now.getTime() - Date.parse(lastUse)) / DAY_MS);
      if (days >= staleDays)
        reports.stale.push({ name: actual.name, id: actual.id, lastUsedAt: actual.lastUsedAt, days });
      if (actual.expiresAt && !rollReason) {
        const left = (Date.parse(actual.expiresAt) - now.getTime()) / DAY_MS;
        if (left <= expiringDays) {
          reports.expiring.push({
            name: actual.name,
            id: actual.id,
            expiresAt: actual.expiresAt,
            days: Math.floor(left),
          });
        }
      }
    }
  }

  // Tokens of this owner that the spec no longer declares (a renamed token is still declared).
  for (const actual of input.actual) {
    if (matched.has(actual.id)) continue;
    const undeliver = recordedExcept(actual, (id) => claimed.has(id));
    const recorded = [...new Set(actual.deliveries.map((r) => r.destination))].sort();
    const removal = { id: actual.id, version: actual.version, recorded };
    if (actual.status === "pending") {
      changes.push({
        kind: "delete",
        name: actual.name,
        ...removal,
        reason: "unconfirmed pending token",
        undeliver,
      });
      continue;
    }
    const policy = actual.labels[ON_REMOVE_LABEL] ?? set.defaults.onRemove;
    const graceLabel = Number(actual.labels[REMOVAL_GRACE_LABEL]);
    const graceSeconds = Number.isFinite(graceLabel) ? graceLabel : set.defaults.removalGraceSeconds;
    if (policy === "orphan") {
      changes.push({ kind: "orphan", name: actual.name, id: actual.id, version: actual.version });
    } else if (policy === "delete") {
      changes.push({
        kind: "delete",
        name: actual.name,
        ...removal,
        reason: "removed from the spec",
        undeliver,
      });
    } else {
      const retiredAt = actual.labels[RETIRED_AT_LABEL];
      if (retiredAt === undefined) {
        changes.push({
          kind: "retire",
          name: actual.name,
          ...removal,
          graceSeconds,
        });
      } else {
        const deleteAfter = new Date(Date.parse(retiredAt) + graceSeconds * 1000);
        if (deleteAfter.getTime() <= now.getTime()) {
          changes.push({
            kind: "delete",
            name: actual.name,
            ...removal,
            reason: `retired at ${retiredAt}; grace period over`,
            undeliver,
          });
        } else {
          reports.retiring.push({ name: actual.name, id: actual.id, deleteAfter: deleteAfter.toISOString() });
        }
      }
    }
  }

  const order = (c: Change) => CHANGE_KINDS.indexOf(c.kind);
  changes.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  drift.sort((a, b) => a.name.localeCompare(b.name));
  for (const list of [reports.stale, reports.expiring, reports.retiring])
    list.sort((a, b) => a.name.localeCompare(b.name));

  const summary = Object.fromEntries(
    [...CHANGE_KINDS, "drift", "errors"].map((k) => [k, 0]),
  ) as unknown as PlanSummary;
  for (const change of changes) summary[change.kind] += 1;
  summary.drift = drift.length;

  errors.sort((a, b) => a.name.localeCompare(b.name) || a.message.localeCompare(b.message));
  summary.errors = errors.length;

  return {
    formatVersion: PLAN_FORMAT_VERSION,
    owner: set.owner,
    generatedAt: now.toISOString(),
    hash: planHash(set.owner, changes, errors),
    changes,
    errors,
    drift,
    reports,
    summary,
    ...(input.destinationChecks ? { destinationChecks: input.destinationChecks } : {}),
  };
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
