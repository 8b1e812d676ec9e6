/**
 * What `tokenform_token` does: validation and defaults from the spec module (through `SpecRules`), refresh
 * from the API, plans (plan.ts), changes through the apply engine (apply.ts). State never holds the secret.
 */

import { hostname } from "node:os";
import { ApiError } from "../../../../src/api/errors.js";
import type { Destination, ResolvedToken } from "../../../../src/spec/resolved.js";
import { apiOf, type Configured, DEFAULT_OWNER } from "../../configured.js";
import type { CallContext, ResourceType } from "../../framework.js";
import { type Diagnostic, error, warning } from "../../runtime/diagnostics.js";
import type { TfObject } from "../../runtime/values.js";
import { applyToken } from "./apply.js";
import { withFileKeys } from "./file-keys.js";
import { holderDiagnostics } from "./holders.js";
import { hasUnknownDelivery, planToken } from "./plan.js";
import { TokenReads } from "./reads.js";
import type { SpecRules } from "./rules.js";
import { specRules } from "./spec-rules.js";
import { ownerOf, stateFromToken } from "./state.js";
import { DELIVERY_BLOCK_NAMES, toSpec } from "./to-spec.js";

/**
 * The import id that adopts a token another owner holds: Terraform shows the provider only the id when
 * importing (never the configuration), so the id itself must say so; `adopt = true` then confirms it.
 */
export const ADOPT_IMPORT_PREFIX = "adopt:";

/** Maps spec issues for `config` onto Terraform attribute paths, leaving out those about unknown values. */
export function validateTokenConfig(rules: SpecRules, config: TfObject, owner = DEFAULT_OWNER): Diagnostic[] {
  const view = toSpec(config, owner);
  const out: Diagnostic[] = [];
  for (const issue of rules.check(view.set).issues) {
    if (view.isUnknown(issue.path)) continue;
    const at = view.toAttributePath(issue.path);
    const summary =
      issue.severity === "error" ? "Invalid token configuration" : "Token configuration warning";
    out.push(
      issue.severity === "error" ? error(summary, issue.message, at) : warning(summary, issue.message, at),
    );
  }
  return out;
}

function resolveOrUndefined(rules: SpecRules, config: TfObject, owner: string): ResolvedToken | undefined {
  return rules.check(toSpec(config, owner).set).resolved;
}

/** Resolves a configuration that must be valid (at apply, Terraform validated it first). */
function resolveOrThrow(rules: SpecRules, config: TfObject, owner: string): ResolvedToken {
  const check = rules.check(toSpec(config, owner).set);
  if (!check.resolved) {
    throw new Error(`the configuration did not resolve: ${check.issues.map((i) => i.message).join("; ")}`);
  }
  return check.resolved;
}

/**
 * Only the name and delivery blocks of a state: enough to resolve where its secret went. A whole state
 * does not validate as a configuration (expires_at is filled in next to expires_in, for one).
 */
function deliveryOnly(state: TfObject): TfObject {
  const out: TfObject = { name: state.name ?? null };
  for (const block of DELIVERY_BLOCK_NAMES) out[block] = state[block] ?? [];
  return out;
}

/** Where a state's delivery blocks send the secret; none when they no longer resolve (a plan only describes them). */
function destinationsOrNone(rules: SpecRules, state: TfObject, owner: string): Destination[] {
  return rules.check(toSpec(deliveryOnly(state), owner).set).resolved?.deliver ?? [];
}

function notFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === "not_found";
}

type TokenResource = ResourceType<Configured>;

/** The provider's owner; the default before the provider is configured (a plan may run before that). */
function ownerOfContext(ctx: CallContext<Configured>): string {
  try {
    return ctx.configured().owner;
  } catch {
    return DEFAULT_OWNER;
  }
}

/** The API client; undefined before the provider is configured (only the checks on state run then). */
function apiOrUndefined(ctx: CallContext<Configured>) {
  try {
    return ctx.configured().api;
  } catch {
    return undefined;
  }
}

/** One `TokenReads` per configured provider (per process: Terraform configures each process once). */
const readsByConfig = new WeakMap<Configured, TokenReads>();

function readsOf(configured: Configured): TokenReads {
  let reads = readsByConfig.get(configured);
  if (reads === undefined) {
    reads = new TokenReads(apiOf(configured), configured.owner);
    readsByConfig.set(configured, reads);
  }
  return reads;
}

/** Plans a change (plan.ts), then adds who-holds-what diagnostics (holders.ts). */
async function planChange(
  rules: SpecRules,
  change: Parameters<TokenResource["plan"]>[0],
  ctx: CallContext<Configured>,
): ReturnType<TokenResource["plan"]> {
  const owner = ownerOfContext(ctx);
  const config = change.config ? withFileKeys(change.config, change.prior) : null;
  const resolved = config ? resolveOrUndefined(rules, config, owner) : undefined;
  const removedFrom =
    config === null && change.prior ? destinationsOrNone(rules, change.prior, owner) : undefined;
  const plan = planToken({ ...change, config, owner, resolved, now: new Date(), removedFrom });
  if (config === null || plan.planned === null) return plan;
  const view = toSpec(config, owner);
  const held = await holderDiagnostics({
    api: apiOrUndefined(ctx),
    owner,
    host: hostname(),
    prior: change.prior,
    config,
    resolved,
    deliveryUnknown: hasUnknownDelivery(config),
    delivered: new Set(Array.isArray(change.prior?.delivered) ? (change.prior.delivered as string[]) : []),
    deliveryPath: (index) => view.toAttributePath(["tokens", 0, "deliver", index]),
  });
  return { ...plan, diagnostics: [...plan.diagnostics, ...held] };
}

/** Imports a token by id; `adopt:<id>` takes one another owner holds (see `ADOPT_IMPORT_PREFIX`). */
async function importToken(
  importId: string,
  ctx: CallContext<Configured>,
): ReturnType<TokenResource["import"]> {
  const configured = ctx.configured();
  const adopting = importId.startsWith(ADOPT_IMPORT_PREFIX);
  const id = adopting ? importId.slice(ADOPT_IMPORT_PREFIX.length) : importId;
  let token: Awaited<ReturnType<ReturnType<typeof apiOf>["getToken"]>>;
  try {
    token = await apiOf(configured).getToken(id);
  } catch (err) {
    if (notFound(err)) {
      return {
        state: null,
        diagnostics: [
          error(
            "Cannot import a token that does not exist",
            `The token service has no token with id ${JSON.stringify(id)}.`,
          ),
        ],
      };
    }
    throw err;
  }
  const diagnostics: Diagnostic[] = [];
  const owner = ownerOf(token);
  if (owner !== undefined && owner !== configured.owner) {
    if (!adopting) {
      return {
        state: null,
        diagnostics: [
          error(
            `Token ${token.name} belongs to owner ${owner}`,
            `Token ${id} carries tokenform.dev/owner=${owner}: another configuration manages it, and importing it would take it from that configuration.\n\nTo adopt it deliberately, set adopt = true on the resource and import it with the id ${ADOPT_IMPORT_PREFIX}${id}:\n  terraform import <address> ${ADOPT_IMPORT_PREFIX}${id}\n(or id = "${ADOPT_IMPORT_PREFIX}${id}" in an import block; Terraform shows the provider only the id when importing, so the id says it too).`,
          ),
        ],
      };
    }
    diagnostics.push(
      warning(
        `Token ${token.name} is imported for adoption from owner ${owner}`,
        `Nothing has changed yet. The next plan shows owner ${owner} -> ${configured.owner} and needs adopt = true on the resource; apply then relabels it.`,
      ),
    );
  } else if (owner === undefined) {
    diagnostics.push(
      warning(
        `Token ${token.name} is not managed by any tokenform configuration`,
        `The next apply labels it with this provider's owner (${configured.owner}).`,
      ),
    );
  }
  return { state: stateFromToken(token, null), diagnostics };
}

/** The resource's behaviour; `rules` defaults to src/spec's (tests may pass their own base directory). */
export function tokenResourceImpl(
  rules: SpecRules = specRules(),
): Omit<TokenResource, "typeName" | "schema"> {
  return {
    // With the provider's owner once configured (a plan's process configures first): the plan then resolves
    // the very same one-token set, so the spec rules' memo answers it instead of validating it again. The
    // owner passed the provider block's pattern check, so it adds no diagnostic — unless it looks like a
    // raw secret, which is then reported here rather than leaving the plan unresolved.
    validate: async (config, ctx) => validateTokenConfig(rules, config, ownerOfContext(ctx)),

    async read(state, ctx) {
      try {
        // From the owner's list when this process has one (reads.ts), else one request.
        const token = await readsOf(ctx.configured()).get(String(state.id));
        return { state: stateFromToken(token, state), diagnostics: [] };
      } catch (err) {
        // Deleted outside Terraform: forget it, and the next plan creates it again.
        if (notFound(err)) return { state: null, diagnostics: [] };
        throw err;
      }
    },

    plan: (change, ctx) => planChange(rules, change, ctx),

    async apply(change, ctx) {
      const configured = ctx.configured();
      if (configured.api !== undefined) readsOf(configured).wrote();
      return applyToken(change, {
        api: apiOf(configured),
        sinks: await configured.sinks(),
        owner: configured.owner,
        signal: ctx.signal,
        resolve: (config, prior) => resolveOrThrow(rules, withFileKeys(config, prior), configured.owner),
        fileKeys: withFileKeys,
        destinations: (state) => resolveOrThrow(rules, deliveryOnly(state), configured.owner).deliver,
      });
    },

    import: importToken,
  };
}
