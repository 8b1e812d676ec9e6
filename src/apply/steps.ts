/**
 * The safe per-token operations apply is made of, each usable on its own (the Terraform provider calls
 * them for one resource):
 * - `issueAndDeliver`: create pending → deliver everywhere → confirm; any failed delivery revokes the token,
 *   so no live token ever exists without its secret delivered.
 * - `rollAndDeliver`: roll with overlap → deliver the new secret everywhere → record it; the previous secret
 *   keeps working for the overlap, so no destination is left without a valid key.
 * - `convergeSettings`, `retireToken`, `releaseToken`, `deleteToken`.
 * Every step is idempotent under re-planning: a crash between any two calls leaves a state the next plan
 * converges from (a pending token is recreated, a missing delivery is re-delivered, a settings change
 * re-planned).
 */

import { hostname } from "node:os";
import type { TokenformApi } from "../api/contract.js";
import { ApiError } from "../api/errors.js";
import { type DeliveryRecord, OWNER_LABEL, type Token } from "../api/schemas.js";
import type { SecretValue } from "../api/secret.js";
import {
  desiredExpiresAt,
  desiredSettings,
  managedLabels,
  RESERVED_LABEL_PREFIX,
  RETIRED_AT_LABEL,
  settingsBody,
} from "../plan/desired.js";
import { ownerSelector } from "../plan/fetch.js";
import { DeliveryError, type Sink, type SinkRegistry } from "../sinks/types.js";
import { formatDuration } from "../spec/duration.js";
import {
  claimId,
  type Destination,
  destinationId,
  type ResolvedToken,
  recordedTarget,
} from "../spec/resolved.js";

/** What a step reports as it goes (apply turns these into progress lines). */
export interface StepEvent {
  token: string;
  step:
    | "create"
    | "deliver"
    | "confirm"
    | "revoke"
    | "roll"
    | "record"
    | "update"
    | "retire"
    | "release"
    | "undeliver"
    | "delete"
    | "rename"
    | "claim"
    | "pickup";
  /** Safe detail: a destination description, a display prefix — never a secret. */
  detail?: string;
}

export interface StepContext {
  api: TokenformApi;
  sinks: SinkRegistry;
  owner: string;
  /** The machine `file` destinations are written on (they are claimed per host); default `os.hostname()`. */
  host?: string;
  now?: () => Date;
  onStep?: (event: StepEvent) => void;
  signal?: AbortSignal;
}

/** One destination that could not be written. */
export interface FailedDelivery {
  destination: string;
  message: string;
  transient: boolean;
}

/** A step that failed in a way the user must hear about; carries the per-destination failures. */
export class ApplyStepError extends Error {
  override readonly name = "ApplyStepError";
  constructor(
    message: string,
    readonly failures: FailedDelivery[] = [],
  ) {
    super(message);
  }
}

/** The sink for a destination. The registry is keyed by kind, so the cast only restates that pairing. */
function sinkFor(sinks: SinkRegistry, destination: Destination): Sink {
  return sinks[destination.kind] as unknown as Sink;
}

const clock = (ctx: StepContext) => (ctx.now ? ctx.now() : new Date());

/** The claims a token holds for its desired destinations. */
export function claimsOf(ctx: StepContext, desired: ResolvedToken): string[] {
  const host = ctx.host ?? hostname();
  return [...new Set(desired.deliver.map((d) => claimId(d, host)))].sort();
}

function emit(ctx: StepContext, event: StepEvent): void {
  ctx.onStep?.(event);
}

function record(
  destination: Destination,
  token: Token,
  secret: SecretValue,
  at: Date,
  version: string | undefined,
): DeliveryRecord {
  return {
    destination: destinationId(destination),
    generation: token.generation,
    fingerprint: secret.fingerprint,
    deliveredAt: at.toISOString(),
    ...(version !== undefined ? { version } : {}),
    target: { ...recordedTarget(destination) },
  };
}

/**
 * Delivers `secret` to each destination in order; returns the records of those that succeeded and the
 * failures. Destinations that another live token's secret currently occupies are best written last by the
 * caller's ordering; this function does not reorder.
 */
export async function deliverAll(
  ctx: StepContext,
  token: Token,
  secret: SecretValue,
  destinations: Destination[],
  options: {
    /** Stop at the first failure (a new token is revoked on any failure, so writing on would only spread it). */
    stopAtFirstFailure?: boolean;
    /** Destination ids whose drift the plan showed: delivered over it without the token's previous record. */
    overwrite?: ReadonlySet<string>;
  } = {},
): Promise<{ delivered: DeliveryRecord[]; failed: FailedDelivery[] }> {
  const delivered: DeliveryRecord[] = [];
  const failed: FailedDelivery[] = [];
  for (const destination of destinations) {
    const id = destinationId(destination);
    emit(ctx, { token: token.name, step: "deliver", detail: id });
    const previous = options.overwrite?.has(id)
      ? undefined
      : token.deliveries.find((r) => r.destination === id);
    let version: string | undefined;
    try {
      ({ version } = await sinkFor(ctx.sinks, destination).deliver(destination, secret, {
        tokenName: token.name,
        owner: ctx.owner,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(previous ? { previous } : {}),
      }));
    } catch (error) {
      failed.push({
        destination: id,
        message: error instanceof Error ? error.message : String(error),
        transient: error instanceof DeliveryError ? error.transient : false,
      });
      if (options.stopAtFirstFailure) break;
      continue;
    }
    delivered.push(record(destination, token, secret, clock(ctx), version));
  }
  return { delivered, failed };
}

function failureText(failed: FailedDelivery[]): string {
  return failed.map((f) => `${f.destination}: ${f.message}`).join("; ");
}

/** The create body for a desired token (pending until delivery is confirmed). */
function createBody(ctx: StepContext, desired: ResolvedToken, now: Date) {
  const settings = desiredSettings(desired, now);
  return {
    name: desired.name,
    type: desired.type,
    ...settingsBody(settings),
    labels: managedLabels(ctx.owner, desired, settings),
    // Claimed with the (pending) token, before any delivery: a destination another owner holds fails here.
    destinations: claimsOf(ctx, desired),
    pending: true,
  };
}

/**
 * Issues a new token and delivers it. Returns the confirmed token. On any failed delivery the pending token
 * is deleted and `ApplyStepError` is thrown: nothing live is left without its secret.
 */
export async function issueAndDeliver(ctx: StepContext, desired: ResolvedToken): Promise<Token> {
  emit(ctx, { token: desired.name, step: "create" });
  if (desired.pickup) {
    // Its holder picks it up (tokenform pickup): the service keeps the secret from apply altogether.
    const { pending: _pending, ...body } = createBody(ctx, desired, clock(ctx));
    const token = await ctx.api.createPickupToken(body);
    emit(ctx, { token: desired.name, step: "pickup", detail: `waits for ${desired.holder ?? "its holder"}` });
    return token;
  }
  const issued = await ctx.api.createToken(createBody(ctx, desired, clock(ctx)));
  const { delivered, failed } = await deliverAll(ctx, issued.token, issued.secret, desired.deliver, {
    stopAtFirstFailure: true,
  });
  if (failed.length > 0) {
    emit(ctx, { token: desired.name, step: "revoke", detail: issued.secret.displayPrefix });
    await ctx.api.deleteToken(issued.token.id).catch((error: unknown) => {
      // A pending token that cannot be deleted now expires by itself and never authenticates.
      if (!(error instanceof ApiError && error.code === "not_found")) throw error;
    });
    throw new ApplyStepError(
      `${desired.name}: delivery failed, so the new token was revoked (${failureText(failed)})`,
      failed,
    );
  }
  emit(ctx, { token: desired.name, step: "confirm" });
  return ctx.api.confirmToken(issued.token.id, delivered);
}

/**
 * Replaces a token by a new one of the same name. A leftover pending token is deleted first; a live one is
 * renamed aside, replaced, and deleted only after the new secret is delivered everywhere (renamed back if
 * the replacement fails).
 */
export async function replaceToken(
  ctx: StepContext,
  existing: Token | undefined,
  desired: ResolvedToken,
): Promise<Token> {
  if (!existing) return issueAndDeliver(ctx, desired);
  if (existing.status === "pending") {
    emit(ctx, { token: desired.name, step: "delete", detail: "unconfirmed pending token" });
    await ignoreNotFound(ctx.api.deleteToken(existing.id));
    return issueAndDeliver(ctx, desired);
  }
  const aside = `${existing.name.slice(0, 48)}.replaced-${Date.now().toString(36)}`;
  emit(ctx, { token: desired.name, step: "rename", detail: aside });
  await ctx.api.updateToken(existing.id, { name: aside }, { ifMatch: existing.version });
  let created: Token;
  try {
    created = await issueAndDeliver(ctx, desired);
  } catch (error) {
    await ctx.api.updateToken(existing.id, { name: existing.name }).catch(() => undefined);
    throw error;
  }
  emit(ctx, { token: desired.name, step: "delete", detail: `previous ${existing.type} token` });
  await ignoreNotFound(ctx.api.deleteToken(existing.id));
  return created;
}

async function ignoreNotFound(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ApiError && error.code === "not_found")) throw error;
  }
}

/**
 * Rolls a token's secret and delivers the new one everywhere. The roll happens first, with an overlap: the
 * new secret works at once and the previous one keeps working for `overlapSeconds`, so every destination
 * has a working key at every moment — before, during and after delivery, and after a crash at any point.
 * Then the deliveries, the new expiry and tokenform's labels are recorded with `If-Match`, so a change
 * made to the token meanwhile (an admin disabling it) is never overwritten.
 *
 * Destinations that could not be written keep the previous secret for the overlap, and the next plan
 * re-delivers; `ApplyStepError` is thrown. (A pending roll, confirmed after the first delivery, would avoid
 * a live secret that reached no destination when every delivery fails, but a crash between that delivery
 * and the confirmation would leave the destination holding a key that does not work; the overlap is the
 * safer side. With `overlapSeconds` 0 — `rotate --now`, an expired key — the previous secret dies at once,
 * as asked.)
 */
export async function rollAndDeliver(
  ctx: StepContext,
  id: string,
  desired: ResolvedToken,
  overlapSeconds: number,
  options: {
    ifMatch?: number;
    current?: Token;
    /** Destination ids whose drift the plan showed, re-delivered over on purpose (see `deliverAll`). */
    overwrite?: ReadonlySet<string>;
  } = {},
): Promise<Token> {
  const overlap = formatDuration(overlapSeconds);
  // Claim every destination before writing to any (a new one may be held by another owner: 409 here).
  let ifMatch = options.ifMatch;
  const claims = claimsOf(ctx, desired);
  const before = options.current ?? (await ctx.api.getToken(id));
  if (claims.some((c) => !before.destinations.includes(c))) {
    emit(ctx, { token: desired.name, step: "claim" });
    const claimed = await ctx.api.updateToken(
      id,
      { destinations: [...new Set([...before.destinations, ...claims])] },
      { ifMatch: ifMatch ?? before.version },
    );
    ifMatch = claimed.version;
  }
  emit(ctx, { token: desired.name, step: "roll", detail: `overlap ${overlap}` });
  if (desired.pickup) return rollToPickup(ctx, id, desired, overlap, ifMatch);
  const rolled = await ctx.api.rollToken(id, { overlap }, ifMatch !== undefined ? { ifMatch } : {});
  const { delivered, failed } = await deliverAll(
    ctx,
    rolled.token,
    rolled.secret,
    desired.deliver,
    options.overwrite ? { overwrite: options.overwrite } : {},
  );
  emit(ctx, { token: desired.name, step: "record" });
  const anchor = new Date(rolled.token.rotatedAt);
  const settings = desiredSettings(desired, anchor);
  const keptOld = rolled.token.deliveries.filter((r) => failed.some((f) => f.destination === r.destination));
  const updated = await ctx.api.updateToken(
    id,
    {
      expiresAt: desiredExpiresAt(desired, anchor),
      labels: managedLabels(ctx.owner, desired, settings),
      deliveries: [...delivered, ...keptOld],
      destinations: claims,
      // A token disabled because its secret leaked is enabled only now, once the new secret is delivered.
      ...(failed.length === 0 ? { enabled: settings.enabled } : {}),
    },
    { ifMatch: rolled.token.version },
  );
  if (failed.length > 0) {
    throw new ApplyStepError(
      `${desired.name}: the new secret could not be delivered to ${failed.length} destination(s); they keep the previous secret for ${overlap} and the next run retries (${failureText(failed)})`,
      failed,
    );
  }
  return updated;
}

/**
 * The roll of a key its holder picks up: the new secret waits for their next `tokenform pickup`; the
 * current one keeps working until then and through the overlap. The labels and expiry are recorded as for
 * any roll.
 */
async function rollToPickup(
  ctx: StepContext,
  id: string,
  desired: ResolvedToken,
  overlap: string,
  ifMatch: number | undefined,
): Promise<Token> {
  const rolled = await ctx.api.rollToPickup(id, { overlap }, ifMatch !== undefined ? { ifMatch } : {});
  emit(ctx, { token: desired.name, step: "pickup", detail: `waits for ${desired.holder ?? "its holder"}` });
  const settings = desiredSettings(desired, new Date(rolled.rotatedAt));
  return ctx.api.updateToken(
    id,
    {
      expiresAt: desiredExpiresAt(desired, new Date(rolled.rotatedAt)),
      labels: managedLabels(ctx.owner, desired, settings),
      enabled: settings.enabled,
    },
    { ifMatch: rolled.version },
  );
}

/**
 * Sets every managed setting and label of a token to the desired values (one PATCH, guarded by If-Match),
 * and removes the secret from destinations the spec no longer names.
 */
export async function convergeSettings(
  ctx: StepContext,
  current: Token,
  desired: ResolvedToken,
  undeliver: Destination[] = [],
): Promise<Token> {
  for (const destination of undeliver) await removeFrom(ctx, current, destination);
  const wanted = new Set(desired.deliver.map(destinationId));
  const settings = desiredSettings(desired, new Date(current.rotatedAt));
  emit(ctx, { token: desired.name, step: "update" });
  return ctx.api.updateToken(
    current.id,
    {
      name: desired.name,
      ...settingsBody(settings),
      labels: managedLabels(ctx.owner, desired, settings),
      deliveries: current.deliveries.filter((r) => wanted.has(r.destination)),
      // Released only now, after the secret was removed from dropped destinations above.
      destinations: claimsOf(ctx, desired),
    },
    { ifMatch: current.version },
  );
}

/**
 * Removes a token's secret from a destination, unless another token of the owner has delivered there (a
 * destination handed over to another token, by this run or concurrently by Terraform, keeps its key).
 */
async function removeFrom(
  ctx: StepContext,
  token: { id: string; name: string },
  destination: Destination,
): Promise<void> {
  const id = destinationId(destination);
  const others = await ctx.api.listAllTokens({ selector: ownerSelector(ctx.owner) });
  if (others.some((t) => t.id !== token.id && t.deliveries.some((r) => r.destination === id))) {
    emit(ctx, { token: token.name, step: "undeliver", detail: `${id} kept: another token delivers there` });
    return;
  }
  emit(ctx, { token: token.name, step: "undeliver", detail: id });
  await sinkFor(ctx.sinks, destination).remove(destination, {
    tokenName: token.name,
    owner: ctx.owner,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}

/** Disables a token that left the spec and stamps when, so it is deleted after its grace period. */
export async function retireToken(ctx: StepContext, current: Token): Promise<Token> {
  emit(ctx, { token: current.name, step: "retire" });
  return ctx.api.updateToken(
    current.id,
    { enabled: false, labels: { ...current.labels, [RETIRED_AT_LABEL]: clock(ctx).toISOString() } },
    { ifMatch: current.version },
  );
}

/** Stops managing a token (`onRemove: orphan`): removes tokenform's labels, leaves the token as it is. */
export async function releaseToken(ctx: StepContext, current: Token): Promise<Token> {
  emit(ctx, { token: current.name, step: "release" });
  const labels = Object.fromEntries(
    Object.entries(current.labels).filter(([k]) => k !== OWNER_LABEL && !k.startsWith(RESERVED_LABEL_PREFIX)),
  );
  return ctx.api.updateToken(current.id, { labels }, { ifMatch: current.version });
}

/**
 * Removes the (dead) secret from `undeliver` destinations, then deletes the token (`ifMatch`: only at that
 * version). A token that is already gone is fine.
 */
export async function deleteToken(
  ctx: StepContext,
  id: string,
  name: string,
  undeliver: Destination[] = [],
  options: { ifMatch?: number } = {},
): Promise<void> {
  for (const destination of undeliver) await removeFrom(ctx, { id, name }, destination);
  emit(ctx, { token: name, step: "delete" });
  await ignoreNotFound(ctx.api.deleteToken(id, options));
}
