/**
 * `applyPlan`: executes a Plan change by change with the steps of `steps.ts`. Changes of one token run in
 * plan order; different tokens run with bounded concurrency. Before touching an existing token it re-reads
 * it and refuses to act if it changed since the plan (its version moved), so a stale plan never overwrites
 * someone else's change. A failed change is reported and the others go on; the result says what happened.
 */
import { ownerApi, type TokenformApi } from "../api/contract.js";
import { ApiError } from "../api/errors.js";
import type { Token } from "../api/schemas.js";
import type { Change, Plan, PlannedDestination } from "../plan/types.js";
import type { SinkRegistry } from "../sinks/types.js";
import { type Destination, destinationId, type ResolvedToken } from "../spec/resolved.js";
import {
  ApplyStepError,
  convergeSettings,
  deleteToken,
  type FailedDelivery,
  issueAndDeliver,
  releaseToken,
  replaceToken,
  retireToken,
  rollAndDeliver,
  type StepContext,
  type StepEvent,
} from "./steps.js";

/** Tokens worked on at once. Small: GitHub asks for serial content writes and the sinks space them anyway. */
export const DEFAULT_CONCURRENCY = 4;

export interface ChangeResult {
  kind: Change["kind"];
  name: string;
  ok: boolean;
  /** What happened, safe to print. */
  message: string;
  /** Per-destination failures, when delivery failed. */
  failures?: FailedDelivery[];
  /** The token after the change (absent for deletes and failures). */
  token?: { id: string; displayPrefix: string; generation: number; status: Token["status"] };
  /** Destinations that received a new secret in this change. */
  delivered?: string[];
}

export interface ApplyResult {
  ok: boolean;
  planHash: string;
  results: ChangeResult[];
}

export type ApplyEvent =
  | { type: "begin"; total: number }
  | { type: "step"; change: Change; step: StepEvent }
  | { type: "change"; change: Change; result: ChangeResult; done: number; total: number }
  | { type: "end"; result: ApplyResult };

export interface ApplyOptions {
  api: TokenformApi;
  sinks: SinkRegistry;
  now?: () => Date;
  concurrency?: number;
  /** The machine `file` destinations are written on (they are claimed per host); default `os.hostname()`. */
  host?: string;
  onEvent?: (event: ApplyEvent) => void;
  signal?: AbortSignal;
}

function destinationsOf(list: PlannedDestination[]): Destination[] {
  return list.flatMap((d) => (d.destination ? [d.destination] : []));
}

/** The desired token with destinations held by another live token moved to the end (written last). */
function heldLast(desired: ResolvedToken, planned: PlannedDestination[]): ResolvedToken {
  const held = new Set(planned.filter((d) => d.heldBy !== undefined).map((d) => d.id));
  if (held.size === 0) return desired;
  const first = desired.deliver.filter((d) => !held.has(destinationId(d)));
  const last = desired.deliver.filter((d) => held.has(destinationId(d)));
  return { ...desired, deliver: [...first, ...last] };
}

/** Thrown for a plan that has errors: none of it is applied. */
export class PlanErrorsError extends Error {
  override readonly name = "PlanErrorsError";
  constructor(readonly errors: Plan["errors"]) {
    super(
      `the plan has ${errors.length} error${errors.length === 1 ? "" : "s"}, so nothing was applied: ${errors.map((e) => `${e.name}: ${e.message}`).join("; ")}`,
    );
  }
}

class StalePlanError extends Error {
  override readonly name = "StalePlanError";
}

/** Re-reads a token and checks that it is still the version the plan saw. */
async function current(api: TokenformApi, change: Change, versions: Map<string, number>): Promise<Token> {
  const token = await api.getToken(change.id!);
  const expected = versions.get(change.id!) ?? change.version;
  if (expected !== undefined && token.version !== expected) {
    throw new StalePlanError(
      `${change.name} changed in the service since the plan was made (version ${expected} → ${token.version}); run plan again`,
    );
  }
  return token;
}

async function execute(
  change: Change,
  ctx: StepContext,
  versions: Map<string, number>,
): Promise<Omit<ChangeResult, "kind" | "name" | "ok">> {
  const summary = (token: Token, message: string, delivered?: string[]) => {
    versions.set(token.id, token.version);
    return {
      message,
      token: {
        id: token.id,
        displayPrefix: token.displayPrefix,
        generation: token.generation,
        status: token.status,
      },
      ...(delivered ? { delivered } : {}),
    };
  };
  switch (change.kind) {
    case "create": {
      const token = await issueAndDeliver(ctx, heldLast(change.desired, change.destinations));
      return summary(
        token,
        change.desired.pickup
          ? `created; its secret waits for ${change.desired.holder ?? "its holder"}'s tokenform pickup`
          : `created ${token.displayPrefix}…`,
        change.destinations.map((d) => d.description),
      );
    }
    case "recreate": {
      const existing = change.id ? await ctx.api.getToken(change.id).catch(notFoundAsUndefined) : undefined;
      const token = await replaceToken(ctx, existing, heldLast(change.desired, change.destinations));
      return summary(
        token,
        `recreated as ${token.displayPrefix}…`,
        change.destinations.map((d) => d.description),
      );
    }
    case "adopt": {
      const before = await current(ctx.api, change, versions);
      const token = await convergeSettings(ctx, before, change.desired);
      return summary(
        token,
        `adopted from ${change.from === null ? "outside tokenform" : `owner ${change.from}`}`,
      );
    }
    case "update":
    case "enable":
    case "disable": {
      const before = await current(ctx.api, change, versions);
      const undeliver = change.kind === "update" ? destinationsOf(change.undeliver) : [];
      const token = await convergeSettings(ctx, before, change.desired, undeliver);
      return summary(token, change.kind === "update" ? "updated" : `${change.kind}d`);
    }
    case "rotate":
    case "redeliver": {
      const before = await current(ctx.api, change, versions);
      // Drift the plan showed was reviewed with it: those destinations are written over, not refused.
      const overwrite = new Set((change.missing ?? []).filter((d) => d.drift !== undefined).map((d) => d.id));
      const token = await rollAndDeliver(ctx, change.id, change.desired, change.overlapSeconds, {
        ifMatch: before.version,
        current: before,
        overwrite,
      });
      return summary(
        token,
        change.desired.pickup
          ? `rolled: the new secret waits for ${change.desired.holder ?? "its holder"}'s tokenform pickup`
          : `rolled to ${token.displayPrefix}… (generation ${token.generation})`,
        change.destinations.map((d) => d.description),
      );
    }
    case "retire": {
      const token = await retireToken(ctx, await current(ctx.api, change, versions));
      return summary(token, "retired (disabled)");
    }
    case "orphan": {
      const token = await releaseToken(ctx, await current(ctx.api, change, versions));
      return summary(token, "released from management");
    }
    case "delete": {
      const before = await ctx.api.getToken(change.id).catch(notFoundAsUndefined);
      if (!before) return { message: "already gone" };
      if (before.version !== (versions.get(change.id) ?? change.version))
        await current(ctx.api, change, versions);
      await deleteToken(ctx, change.id, change.name, destinationsOf(change.undeliver), {
        ifMatch: before.version,
      });
      return { message: "deleted" };
    }
  }
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof ApiError && error.code === "not_found") return undefined;
  throw error;
}

/** Applies every change of `plan`. Never throws for a failed change; throws only for misuse. */
/** Changes that take a token's access away; they run after every change that issues or updates secrets. */
const REMOVALS: ReadonlySet<Change["kind"]> = new Set(["retire", "delete"]);

/** Destination ids a change writes a new secret to. */
function issuedTo(change: Change): string[] {
  return "destinations" in change ? change.destinations.map((d) => d.id) : [];
}

/**
 * Applies every change of `plan`. Never throws for a failed change; throws only for misuse.
 *
 * Two phases: first every change that creates, updates or rolls tokens, then the retirements and deletes.
 * A retired or deleted token that still holds the key of a destination whose new token failed to arrive
 * is left alone until a later run (a rename or a hand-over must never cut a destination off).
 */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  if ((plan.errors ?? []).length > 0) {
    throw new PlanErrorsError(plan.errors);
  }
  const total = plan.changes.length;
  // Every write declares the plan's owner: the service lets only such writes change tokenform's labels,
  // and the audit log tells them from hand edits made with the same key (src/service/ownership.ts).
  const api = ownerApi(options.api, plan.owner);
  options.onEvent?.({ type: "begin", total });
  const results: ChangeResult[] = [];
  const versions = new Map<string, number>();
  let done = 0;

  const report = (change: Change, result: ChangeResult) => {
    results.push(result);
    done += 1;
    options.onEvent?.({ type: "change", change, result, done, total });
  };

  const runPhase = async (changes: Change[]) => {
    const groups = new Map<string, Change[]>();
    for (const change of changes) groups.set(change.name, [...(groups.get(change.name) ?? []), change]);
    const queue = [...groups.values()];
    const worker = async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        for (const [index, change] of group.entries()) {
          const ctx: StepContext = {
            api,
            sinks: options.sinks,
            owner: plan.owner,
            ...(options.host ? { host: options.host } : {}),
            ...(options.now ? { now: options.now } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            onStep: (step) => options.onEvent?.({ type: "step", change, step }),
          };
          let result: ChangeResult;
          try {
            if (options.signal?.aborted) throw new Error("apply was interrupted before this change started");
            result = {
              kind: change.kind,
              name: change.name,
              ok: true,
              ...(await execute(change, ctx, versions)),
            };
          } catch (error) {
            result = {
              kind: change.kind,
              name: change.name,
              ok: false,
              message: error instanceof Error ? error.message : String(error),
              ...(error instanceof ApplyStepError && error.failures.length > 0
                ? { failures: error.failures }
                : {}),
            };
          }
          report(change, result);
          // Later changes of the same token depend on this one.
          if (!result.ok) {
            for (const skipped of group.slice(index + 1)) {
              const message = `skipped: ${change.kind} of ${change.name} failed first`;
              report(skipped, { kind: skipped.kind, name: skipped.name, ok: false, message });
            }
            break;
          }
        }
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
  };

  const issuing = plan.changes.filter((c) => !REMOVALS.has(c.kind));
  await runPhase(issuing);

  // Destinations whose new secret did not arrive keep the key of the token being retired or deleted.
  const failedNames = new Set(results.filter((r) => !r.ok).map((r) => r.name));
  const unserved = new Set(issuing.filter((c) => failedNames.has(c.name)).flatMap(issuedTo));
  const removals: Change[] = [];
  for (const change of plan.changes.filter((c) => REMOVALS.has(c.kind))) {
    const held = "recorded" in change ? change.recorded.filter((id) => unserved.has(id)) : [];
    if (held.length === 0) removals.push(change);
    else {
      const message = `skipped: it still holds the only working key at ${held.join(", ")}, whose replacement failed`;
      report(change, { kind: change.kind, name: change.name, ok: false, message });
    }
  }
  await runPhase(removals);

  const order = new Map(plan.changes.map((c, i) => [`${c.kind}\u0000${c.name}`, i]));
  results.sort(
    (a, b) => (order.get(`${a.kind}\u0000${a.name}`) ?? 0) - (order.get(`${b.kind}\u0000${b.name}`) ?? 0),
  );
  const result: ApplyResult = { ok: results.every((r) => r.ok), planHash: plan.hash, results };
  options.onEvent?.({ type: "end", result });
  return result;
}
