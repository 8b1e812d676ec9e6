/**
 * Who holds what, checked while planning a `tokenform_token` (the service enforces the same at apply, but
 * a plan must show it first): a token in state that another owner has (an import, or a takeover since),
 * a name another owner or no configuration holds, a destination another owner's token holds. Each is an
 * error naming the holder in the words `tokenform plan` uses (src/plan/held.ts), unless `adopt = true`
 * takes the token over — shown as a warning, since a Terraform plan has no "adopt" action of its own.
 * Costs one request on create (the name) and one per destination the token does not hold yet.
 */
import type { TokenformApi } from "../../../../src/api/contract.js";
import { type ClaimHolder, holderOf } from "../../../../src/api/holder.js";
import type { Token } from "../../../../src/api/schemas.js";
import { destinationHeldMessage, heldByAnother, nameHeldMessage } from "../../../../src/plan/held.js";
import { claimId, destinationId, type ResolvedToken } from "../../../../src/spec/resolved.js";
import { type AttributePath, type Diagnostic, error, path, warning } from "../../runtime/diagnostics.js";
import type { TfObject } from "../../runtime/values.js";

/** What the checks need. */
export interface HolderCheck {
  /** Absent when the provider's endpoint is not known yet: only the checks on state run. */
  api: TokenformApi | undefined;
  owner: string;
  /** The machine file destinations are written on (file claims are per host). */
  host: string;
  prior: TfObject | null;
  /** The configuration (file keys planned). */
  config: TfObject;
  /** The resolved configuration; undefined while values are unknown. */
  resolved: ResolvedToken | undefined;
  /** Whether any delivery block still has unknown values (its claim cannot be named yet). */
  deliveryUnknown: boolean;
  /** Destination ids the token's current secret was delivered to (the state's `delivered`): held already. */
  delivered: ReadonlySet<string>;
  /** The attribute path of the resolved token's `deliver[index]`. */
  deliveryPath(index: number): AttributePath | undefined;
}

const ADOPT_HINT =
  "To take it over, set adopt = true on this resource: apply relabels it with this provider's owner and keeps its id and secret.";

function ownerWords(owner: string | null): string {
  return owner === null ? "no tokenform configuration" : `owner ${owner}`;
}

/** Diagnostics for the token in state: held by another owner now (after an import, or a takeover). */
function priorOwnerDiagnostics(input: HolderCheck): Diagnostic[] {
  const { prior, owner, config } = input;
  const held = prior?.owner;
  if (prior === null || typeof held !== "string" || held === owner) return [];
  const name = String(prior.name);
  if (config.adopt === true) {
    return [
      warning(
        `Token ${name} will be adopted from owner ${held}`,
        `Apply relabels it with owner ${owner}; the configuration of ${held} stops managing it.`,
      ),
    ];
  }
  return [
    error(
      `Token ${name} belongs to owner ${held}`,
      `Token ${String(prior.id)} carries tokenform.dev/owner=${held}: another configuration manages it, and Terraform will not take it over silently.\n\n${ADOPT_HINT}\nTo leave it to ${held}, remove it from this state: terraform state rm <address>`,
      path("adopt"),
    ),
  ];
}

/** The existing token a create meets, and what it means; undefined when the name is free. */
async function nameDiagnostics(
  input: HolderCheck,
  api: TokenformApi,
): Promise<{
  diagnostics: Diagnostic[];
  adopted?: Token;
}> {
  const name = input.config.name;
  if (input.prior !== null || typeof name !== "string") return { diagnostics: [] };
  const [existing] = (await api.listTokens({ name, limit: 1 })).items;
  if (!existing) return { diagnostics: [] };
  const holder = holderOf(existing);
  // This owner's own token: the old half of a replacement (planned while it still exists), a leftover
  // that apply replaces or renames aside, or one missing from this state, which apply reports.
  if (holder.owner === input.owner) return { diagnostics: [] };
  if (input.config.adopt === true && input.resolved && existing.type !== input.resolved.type) {
    return {
      diagnostics: [
        error(
          `Token ${name} cannot be adopted as a ${input.resolved.type} token`,
          `The existing token ${existing.id} (${ownerWords(holder.owner)}) is a ${existing.type} token, and a token keeps its type. Set type = "${existing.type}" to adopt it, or choose another name.`,
          path("type"),
        ),
      ],
    };
  }
  if (input.config.adopt === true) {
    return {
      adopted: existing,
      diagnostics: [
        warning(
          `Token ${name} will be adopted (${ownerWords(holder.owner)})`,
          `Apply takes over the existing token ${existing.id} instead of creating one: it keeps its id${existing.enabled ? " and its secret" : ""}, gets this configuration's settings and owner ${input.owner}, and its secret is rolled only when a destination lacks it.`,
        ),
      ],
    };
  }
  return {
    diagnostics: [
      error(
        `A token named ${name} already exists (${ownerWords(holder.owner)})`,
        `${capitalised(nameHeldMessage(name, holder))}.\n\n${ADOPT_HINT}`,
        path("name"),
      ),
    ],
  };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Destinations the token does not hold yet that another owner's token holds. */
async function destinationDiagnostics(
  input: HolderCheck,
  api: TokenformApi,
  adopted: Token | undefined,
): Promise<Diagnostic[]> {
  const { resolved, host } = input;
  if (!resolved || input.deliveryUnknown) return [];
  const mine = [input.prior?.id, adopted?.id].filter((id) => typeof id === "string");
  const checks = resolved.deliver.map(async (d, index) => {
    if (input.delivered.has(destinationId(d))) return undefined;
    const claim = claimId(d, host);
    const [holder] = (await api.listTokens({ destination: claim, limit: 1 })).items;
    if (!heldByAnother(holder, input.owner, mine)) return undefined;
    const who: ClaimHolder = holderOf(holder);
    return error(
      `A destination of ${resolved.name} is held by another owner`,
      `${capitalised(destinationHeldMessage(resolved.name, d, who))}.`,
      input.deliveryPath(index),
    );
  });
  return (await Promise.all(checks)).filter((d): d is Diagnostic => d !== undefined);
}

/** Every holder diagnostic for one planned create or update. */
export async function holderDiagnostics(input: HolderCheck): Promise<Diagnostic[]> {
  const out = priorOwnerDiagnostics(input);
  if (!input.api) return out;
  const name = await nameDiagnostics(input, input.api);
  out.push(...name.diagnostics);
  if (name.diagnostics.some((d) => d.severity === "error")) return out;
  out.push(...(await destinationDiagnostics(input, input.api, name.adopted)));
  return out;
}
