/**
 * Applying one `tokenform_token` change with the apply engine's per-token steps (src/apply): create =
 * issue pending → deliver → confirm (revoked when a delivery fails, so state never records a token whose
 * secret went nowhere); update = rename, converge settings, roll and deliver when the plan says so;
 * destroy = what on_remove says; a create with adopt = true that meets an existing token takes it over
 * instead (settings and owner converged, secret rolled only where a destination lacks it). The raw secret
 * exists only inside those steps and is never returned.
 */
import { ownerApi, type TokenformApi } from "../../../../src/api/contract.js";
import { ApiError } from "../../../../src/api/errors.js";
import type { Token } from "../../../../src/api/schemas.js";
import {
  ApplyStepError,
  convergeSettings,
  deleteToken,
  issueAndDeliver,
  releaseToken,
  replaceToken,
  retireToken,
  rollAndDeliver,
  type StepContext,
} from "../../../../src/apply/index.js";
import { RETIRED_AT_LABEL } from "../../../../src/plan/desired.js";
import { ownerSelector } from "../../../../src/plan/fetch.js";
import { factsOf, nameTakenCase, redeliverOverlap, rollDecision } from "../../../../src/plan/token-rules.js";
import type { SinkRegistry } from "../../../../src/sinks/types.js";
import { type Destination, destinationId, type ResolvedToken } from "../../../../src/spec/resolved.js";
import { type Diagnostic, error } from "../../runtime/diagnostics.js";
import { type TfObject, Unknown } from "../../runtime/values.js";
import { stateFacts } from "./plan.js";
import { onRemoveOf, removalWarning } from "./removal.js";
import { stateFromToken } from "./state.js";
import { DELIVERY_BLOCK_NAMES } from "./to-spec.js";

/** Everything apply needs from the configured provider. */
export interface ApplyDeps {
  api: TokenformApi;
  sinks: SinkRegistry;
  owner: string;
  signal: AbortSignal;
  /** Resolves a configuration through the spec module (file keys planned against `prior`). */
  resolve(config: TfObject, prior: TfObject | null): ResolvedToken;
  /** The configuration with its file keys planned against `prior` (what the plan showed). */
  fileKeys(config: TfObject, prior: TfObject | null): TfObject;
  /** The resolved destinations of a state's delivery blocks (where its secret was sent). */
  destinations(state: TfObject): Destination[];
}

export interface ApplyOutcome {
  state: TfObject | null;
  diagnostics: Diagnostic[];
}

function stepContext(deps: ApplyDeps): StepContext {
  return { api: deps.api, sinks: deps.sinks, owner: deps.owner, signal: deps.signal };
}

/**
 * What the new state is built on: the plan, with the delivery blocks as configured (now all known) and
 * their file keys planned, so state holds the key the plan showed.
 */
function stateBasis(planned: TfObject, config: TfObject, prior: TfObject | null, deps: ApplyDeps): TfObject {
  const effective = deps.fileKeys(config, prior);
  const basis: TfObject = { ...planned };
  for (const block of DELIVERY_BLOCK_NAMES) basis[block] = effective[block] ?? [];
  return basis;
}

/** The field a 409 was about (`name` or `destination`), from its details. */
function conflictField(err: ApiError): unknown {
  const details = err.details;
  return typeof details === "object" && details !== null ? (details as { field?: unknown }).field : undefined;
}

/** A diagnostic for a failed step: what happened, each failed destination, and what happens next. */
function stepFailure(summary: string, err: ApplyStepError): Diagnostic {
  const lines = err.failures.map(
    (f) => `  - ${f.destination}: ${f.message}${f.transient ? " (may succeed on retry)" : ""}`,
  );
  return error(
    summary,
    [err.message, ...(lines.length > 0 ? ["", "Failed destinations:", ...lines] : [])].join("\n"),
  );
}

/** A diagnostic for a refusal by the token service. */
function apiFailure(doing: string, err: ApiError): Diagnostic {
  const hint =
    err.code === "unauthorized" || err.code === "invalid_api_key"
      ? "\n\nCheck the provider's api_token (or TOKENFORM_API_TOKEN)."
      : err.code === "insufficient_scope"
        ? "\n\nThe provider's api_token needs the tokens:read and tokens:write scopes."
        : err.status === 0
          ? "\n\nCheck the provider's endpoint (or TOKENFORM_API_URL) and that the token service is running."
          : "";
  return error(
    `The token service refused to ${doing}`,
    `${err.message} (${err.code}, ${err.request})${hint}`,
  );
}

/** Carries out the planned change. */
export async function applyToken(
  change: { prior: TfObject | null; planned: TfObject | null; config: TfObject | null },
  given: ApplyDeps,
): Promise<ApplyOutcome> {
  const { prior, planned, config } = change;
  // Every write declares the provider's owner: the service lets only such writes change tokenform's
  // labels, and the audit log tells them from hand edits made with the same key.
  const deps = { ...given, api: ownerApi(given.api, given.owner) };
  try {
    if (planned === null || config === null) {
      if (prior === null) return { state: null, diagnostics: [] };
      return await destroy(prior, deps);
    }
    if (prior === null) return await create(planned, config, deps);
    return await update(prior, planned, config, deps);
  } catch (err) {
    if (err instanceof ApiError) {
      const doing =
        planned === null ? "delete the token" : prior === null ? "create the token" : "update the token";
      // Nothing is known to have changed: keep what Terraform had (nothing, for a create).
      return { state: prior, diagnostics: [apiFailure(doing, err)] };
    }
    throw err;
  }
}

async function create(planned: TfObject, config: TfObject, deps: ApplyDeps): Promise<ApplyOutcome> {
  const desired = deps.resolve(config, null);
  const basis = stateBasis(planned, config, null, deps);
  const ctx = stepContext(deps);
  let token: Token;
  try {
    token = await issueAndDeliver(ctx, desired);
  } catch (err) {
    if (err instanceof ApplyStepError) {
      return {
        state: null,
        diagnostics: [stepFailure(`Token ${desired.name} was not created: delivery failed`, err)],
      };
    }
    if (!(err instanceof ApiError && err.code === "conflict")) throw err;
    if (conflictField(err) === "destination") {
      return {
        state: null,
        diagnostics: [
          error(
            `Token ${desired.name} was not created: a destination is held by another owner`,
            `${err.message}\n\nOne destination holds one token's secret: deliver this token elsewhere, or free the destination there first.`,
          ),
        ],
      };
    }
    // A token with this name exists: what that means is the planning rules' (`nameTakenCase`).
    const existing = await findByName(deps.api, deps.owner, desired.name);
    const taken = existing ? nameTakenCase(existing, desired, deps.owner, config.adopt === true) : "refuse";
    if (existing && taken === "adopt") {
      return { state: stateFromToken(await adopt(ctx, existing, desired), basis), diagnostics: [] };
    }
    if (!existing || taken === "refuse") {
      return {
        state: null,
        diagnostics: [
          error(
            `A token named ${desired.name} already exists`,
            existing
              ? `Token ${existing.id} already has this name. To manage it with Terraform, import it (terraform import <address> ${existing.id}), or set adopt = true to take it over.`
              : `The token service refused the name (${err.message}). Choose another name or import the existing token.`,
            [{ attribute: "name" }],
          ),
        ],
      };
    }
    try {
      if (taken === "rename-aside") {
        await deps.api.updateToken(
          existing.id,
          { name: asideName(existing.name) },
          { ifMatch: existing.version },
        );
        token = await issueAndDeliver(ctx, desired);
      } else {
        token = await replaceToken(ctx, existing, desired);
      }
    } catch (inner) {
      if (inner instanceof ApplyStepError) {
        return {
          state: null,
          diagnostics: [stepFailure(`Token ${desired.name} was not created: delivery failed`, inner)],
        };
      }
      throw inner;
    }
  }
  return { state: stateFromToken(token, basis), diagnostics: [] };
}

/**
 * Takes over an existing token (adopt = true): this configuration's settings, owner and destination claims
 * (refused with 409 when another owner holds one), then a roll only when a wanted destination lacks the
 * current secret — so a token adopted together with its destinations keeps its secret.
 */
async function adopt(ctx: StepContext, existing: Token, desired: ResolvedToken): Promise<Token> {
  const current = await convergeSettings(ctx, existing, desired);
  const { missing } = rollDecision(desired, factsOf(current), new Date());
  if (!current.enabled || missing.length === 0) return current;
  return rollAndDeliver(ctx, current.id, desired, redeliverOverlap(desired), { current });
}

/** A free name for a retired token that keeps its original recognisable (names are at most 64 characters). */
function asideName(name: string): string {
  return `${name.slice(0, 48)}.retired-${Date.now().toString(36)}`;
}

async function findByName(api: TokenformApi, owner: string, name: string): Promise<Token | undefined> {
  const mine = await api.listAllTokens({ selector: ownerSelector(owner) });
  return mine.find((t) => t.name === name) ?? (await api.listAllTokens()).find((t) => t.name === name);
}

async function update(
  prior: TfObject,
  planned: TfObject,
  config: TfObject,
  deps: ApplyDeps,
): Promise<ApplyOutcome> {
  const id = String(prior.id);
  const desired = deps.resolve(config, prior);
  const basis = stateBasis(planned, config, prior, deps);
  const before = deps.destinations(prior);
  const ctx = stepContext(deps);
  let current = await deps.api.getToken(id);
  if (current.name !== desired.name) {
    current = await deps.api.updateToken(id, { name: desired.name }, { ifMatch: current.version });
  }
  const wanted = new Set(desired.deliver.map(destinationId));
  const undeliver: Destination[] = before.filter((d) => !wanted.has(destinationId(d)));
  current = await convergeSettings(ctx, current, desired, undeliver);
  // The plan marked the generation unknown exactly when the secret must be rolled.
  if (planned.generation instanceof Unknown) {
    // Its overlap is the planning rules' for the state's facts (no reason left at apply: the rotation's).
    const { overlapSeconds } = rollDecision(desired, stateFacts(prior), new Date());
    try {
      current = await rollAndDeliver(ctx, id, desired, overlapSeconds);
    } catch (err) {
      if (!(err instanceof ApplyStepError)) throw err;
      // The roll happened and some destinations have the new secret: record that, and say what failed.
      const now = await deps.api.getToken(id);
      return {
        state: stateFromToken(now, basis),
        diagnostics: [stepFailure(`The new secret of ${desired.name} was not delivered everywhere`, err)],
      };
    }
  }
  return { state: stateFromToken(current, basis), diagnostics: [] };
}

async function destroy(prior: TfObject, deps: ApplyDeps): Promise<ApplyOutcome> {
  const id = String(prior.id);
  const ctx = stepContext(deps);
  let current: Token;
  try {
    current = await deps.api.getToken(id);
  } catch (err) {
    if (err instanceof ApiError && err.code === "not_found") return { state: null, diagnostics: [] };
    throw err;
  }
  const onRemove = onRemoveOf(prior);
  const destinations = onRemove === "delete" ? deps.destinations(prior) : [];
  let retiredAt: string | undefined;
  switch (onRemove) {
    case "delete":
      await deleteToken(ctx, id, current.name, destinations);
      break;
    case "orphan":
      await releaseToken(ctx, current);
      break;
    default:
      retiredAt = (await retireToken(ctx, current)).labels[RETIRED_AT_LABEL];
  }
  // Said again after the fact (the plan said it first): what on_remove did, and what is left to do.
  return { state: null, diagnostics: [removalWarning(prior, destinations, { phase: "apply", retiredAt })] };
}
