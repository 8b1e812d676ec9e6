/**
 * `planTokenSet`: gathers what `computePlan` needs from the management API — the account's tokens (the
 * owner's to plan; the others for the names and destinations they hold), the acting token's name, and
 * audit entries only when a plan has drift or creates to explain — and, given the sinks, reads each
 * destination of a token the plan leaves in place to find destination drift; then computes the plan.
 */
import { hostname } from "node:os";
import type { TokenformApi } from "../api/contract.js";
import { type AuditEntry, OWNER_LABEL } from "../api/schemas.js";
import { DESTINATION_KIND_NAMES } from "../destinations/registry.js";
import type { SinkRegistry } from "../sinks/types.js";
import type { Destination, ResolvedTokenSet } from "../spec/resolved.js";
import { computePlan, type PlanInput } from "./compute.js";
import { checkDestinations, currentDeliveries, type DestinationToCheck } from "./destinations.js";
import type { ChangeKind, Plan } from "./types.js";
import { planWarnings } from "./warnings.js";

/** Audit pages read when looking for tokens deleted outside tokenform (bounded: a plan must stay fast). */
const MAX_AUDIT_PAGES = 5;
const AUDIT_PAGE_SIZE = 500;

export interface PlanOptions {
  now?: Date;
  /** The machine `file` destinations are written on (they are claimed per host); default `os.hostname()`. */
  host?: string;
  rotate?: PlanInput["rotate"];
  staleAfterDays?: number;
  expiringWithinDays?: number;
  /**
   * The sinks to read destinations with: given, each destination of a token the plan leaves in place is
   * checked for destination drift (one read each) and re-delivered when it no longer holds the secret.
   */
  sinks?: SinkRegistry;
  /** Set false to skip the destination-drift check even with sinks (`tokenform plan --no-check-destinations`). */
  checkDestinations?: boolean;
  /** Only these kinds of destination are read (the Action cannot read files on someone's machine). */
  checkKinds?: ReadonlyArray<Destination["kind"]>;
  /** Cancels the destination reads. */
  signal?: AbortSignal;
  /**
   * The environment apply will read destination credentials from: given, the plan warns about those
   * missing (`src/plan/warnings.ts`).
   */
  env?: NodeJS.ProcessEnv;
}

/** Changes after which a token's current destinations do not matter: it is rolled, replaced or leaves. */
const SUPERSEDING: ReadonlySet<ChangeKind> = new Set([
  "rotate",
  "redeliver",
  "recreate",
  "retire",
  "delete",
  "orphan",
  "disable",
]);

/** The destinations worth reading: current deliveries of live tokens the plan keeps, still in the spec. */
function destinationsToCheck(plan: Plan, actual: PlanInput["actual"]): DestinationToCheck[] {
  const superseded = new Set<string>();
  const dropped = new Set<string>();
  for (const change of plan.changes) {
    if (!("id" in change) || change.id === undefined) continue;
    if (SUPERSEDING.has(change.kind)) superseded.add(change.id);
    if (change.kind === "update") for (const d of change.undeliver) dropped.add(`${change.id} ${d.id}`);
  }
  return actual
    .filter((t) => t.status === "active" && !superseded.has(t.id))
    .flatMap(currentDeliveries)
    .filter((c) => !dropped.has(`${c.token.id} ${c.record.destination}`));
}

/** The label selector for one owner's tokens. */
export function ownerSelector(owner: string): string {
  return `${OWNER_LABEL}=${owner}`;
}

async function recentAudit(api: TokenformApi): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_AUDIT_PAGES; page++) {
    const result = await api.audit({ limit: AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    entries.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return entries;
}

export async function planTokenSet(
  api: TokenformApi,
  set: ResolvedTokenSet,
  options: PlanOptions = {},
): Promise<Plan> {
  const now = options.now ?? new Date();
  // The whole account: the owner's tokens to plan, the others for the names and destinations they hold.
  const [self, all] = await Promise.all([api.whoami(), api.listAllTokens()]);
  const actual = all.filter((t) => t.labels[OWNER_LABEL] === set.owner);
  const others = all.filter((t) => t.labels[OWNER_LABEL] !== set.owner);
  const input: PlanInput = {
    set,
    actual,
    others,
    host: options.host ?? hostname(),
    now,
    self: self.name,
    ...(options.rotate ? { rotate: options.rotate } : {}),
    ...(options.staleAfterDays !== undefined ? { staleAfterDays: options.staleAfterDays } : {}),
    ...(options.expiringWithinDays !== undefined ? { expiringWithinDays: options.expiringWithinDays } : {}),
  };
  let first = computePlan(input);
  if (options.sinks && options.checkDestinations !== false) {
    const kinds = new Set(options.checkKinds ?? DESTINATION_KIND_NAMES);
    const targets = destinationsToCheck(first, actual).filter((c) => kinds.has(c.record.target.kind));
    const checks = await checkDestinations(options.sinks, set.owner, targets, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    input.destinationChecks = checks;
    first = computePlan(input);
  }
  const needsHistory = first.drift.length > 0 || first.changes.some((c) => c.kind === "create");
  if (!needsHistory) return withWarnings(first, options.env);
  const perToken = await Promise.all(first.drift.map((d) => api.audit({ targetId: d.id, limit: 50 })));
  const audit = [...(await recentAudit(api)), ...perToken.flatMap((p) => p.items)];
  return withWarnings(computePlan({ ...input, audit }), options.env);
}

/** `plan` with its warnings, when it has any. */
function withWarnings(plan: Plan, env: NodeJS.ProcessEnv | undefined): Plan {
  const warnings = planWarnings(plan, env);
  return warnings.length > 0 ? { ...plan, warnings } : plan;
}
