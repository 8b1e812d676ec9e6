/**
 * `planTokenSet`: gathers what `computePlan` needs from the management API — the account's tokens (the
 * owner's to plan; the others for the names and destinations they hold), the acting token's name, and
 * audit entries only when a plan has drift or creates to explain — and computes the plan.
 */
import { hostname } from "node:os";
import type { TokenformApi } from "../api/contract.js";
import { type AuditEntry, OWNER_LABEL } from "../api/schemas.js";
import type { ResolvedTokenSet } from "../spec/resolved.js";
import { computePlan, type PlanInput } from "./compute.js";
import type { Plan } from "./types.js";

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
  const first = computePlan(input);
  const needsHistory = first.drift.length > 0 || first.changes.some((c) => c.kind === "create");
  if (!needsHistory) return first;
  const perToken = await Promise.all(first.drift.map((d) => api.audit({ targetId: d.id, limit: 50 })));
  const audit = [...(await recentAudit(api)), ...perToken.flatMap((p) => p.items)];
  return computePlan({ ...input, audit });
}
