/**
 * What destroying a `tokenform_token` does, said as a warning in the destroy plan (PlanResourceChange) and
 * again after the destroy (ApplyResourceChange): its `on_remove` as the plan engine's change — retire,
 * delete or orphan (src/plan/types.ts) — in the engine's words (`headline`/`outcome`, and the key that stops
 * working with where its secret sits, src/plan/impact.ts), plus what only Terraform needs told: who deletes
 * a retired token. Nobody does by themselves: Terraform forgets the resource, and the token service's
 * sweeper deletes only unconfirmed pending tokens and expired session keys (src/service/tokens.ts `sweep`).
 * The lines name the token, its id and destination ids and descriptions; never a secret.
 */
import { RETIRED_AT_LABEL } from "../../../../src/plan/desired.js";
import { stoppingKey } from "../../../../src/plan/impact.js";
import { headline, outcome, stoppingLine } from "../../../../src/plan/render/words.js";
import type { Change } from "../../../../src/plan/types.js";
import { parseDuration } from "../../../../src/spec/duration.js";
import { DEFAULT_ON_REMOVE } from "../../../../src/spec/resolve.js";
import { type Destination, describeDestination, destinationId } from "../../../../src/spec/resolved.js";
import { DEFAULT_REMOVAL_GRACE } from "../../../../src/spec/schema.js";
import { type Diagnostic, warning } from "../../runtime/diagnostics.js";
import type { TfObject } from "../../runtime/values.js";

/** When the warning is given: in the destroy plan, or after the destroy (with the retirement's time, if any). */
export type RemovalPhase = { phase: "plan" } | { phase: "apply"; retiredAt?: string };

/** The removal grace of a state in seconds (its `removal_grace`, else the default). */
function graceSeconds(state: TfObject): number {
  const text = typeof state.removal_grace === "string" ? state.removal_grace : DEFAULT_REMOVAL_GRACE;
  return parseDuration(text) ?? parseDuration(DEFAULT_REMOVAL_GRACE)!;
}

/** The on_remove a state says (the default when it says none). */
export function onRemoveOf(state: TfObject): string {
  return typeof state.on_remove === "string" ? state.on_remove : DEFAULT_ON_REMOVE;
}

/**
 * The plan engine's change for destroying `state`: `destinations` are where its delivery blocks send the
 * secret (a delete removes it there); `delivered` in state are the ids holding the current secret.
 */
export function removalChange(state: TfObject, destinations: Destination[]): Change {
  const base = { name: String(state.name), id: String(state.id), version: 0 };
  const recorded = Array.isArray(state.delivered) ? state.delivered.map(String) : [];
  const planned = destinations.map((d) => ({
    id: destinationId(d),
    description: describeDestination(d),
    destination: d,
  }));
  // Where the current secret is: the delivery blocks that state records as delivered.
  const secretAt = recorded.length > 0 ? planned.filter((p) => recorded.includes(p.id)) : planned;
  switch (onRemoveOf(state)) {
    case "delete":
      return {
        kind: "delete",
        ...base,
        reason: 'on_remove = "delete"',
        recorded,
        secretAt,
        undeliver: planned,
      };
    case "orphan":
      return { kind: "orphan", ...base };
    default:
      return { kind: "retire", ...base, graceSeconds: graceSeconds(state), recorded, secretAt };
  }
}

/** Who deletes a retired token, after the engine's `deleted after 7d`. */
const RETIRED_BY = "by you; nothing deletes it automatically";

/** Why nothing deletes a retired token (src/service/tokens.ts `sweep` is the only thing that might). */
const NOBODY_DELETES =
  "Terraform forgets it once it is destroyed, and the token service's sweeper deletes only unconfirmed pending tokens and expired session keys, never a retired token.";

/** Where a kept token's secret stays (an orphan keeps working, so no impact line names it). */
function keptLine(change: Change, state: TfObject): string {
  if (state.enabled === false) return `${change.name} stays disabled.`;
  const ids = Array.isArray(state.delivered) ? state.delivered.map(String) : [];
  return `${change.name} keeps working${ids.length > 0 ? ` at ${ids.join(", ")}` : ""}.`;
}

/** The destroy plan's detail: the engine's impact line, what is left where, and who does what next. */
function planDetail(change: Change, state: TfObject): string[] {
  const key = stoppingKey(change);
  const impact = `on_remove = "${onRemoveOf(state)}": ${key !== undefined ? `${stoppingLine(key)}.` : keptLine(change, state)}`;
  const del = `DELETE /v1/tokens/${change.id}`;
  switch (change.kind) {
    case "retire":
      return [
        impact,
        `It stays in the token service, disabled and labelled ${RETIRED_AT_LABEL}. ${NOBODY_DELETES}`,
        `Delete it yourself once the grace period is over with ${del} on the token service. To delete it at destroy instead, set on_remove = "delete" and apply before destroying.`,
      ];
    case "delete": {
      const where = change.undeliver.map((d) => d.description);
      return [
        impact,
        where.length > 0
          ? `The provider removes its secret from ${where.join(", ")}, then deletes the token from the token service.`
          : "The provider deletes the token from the token service (no delivery block names a destination to clean up).",
      ];
    }
    default:
      return [
        impact,
        "Terraform stops managing it; it stays in the token service as it is, and tokenform's labels are removed from it.",
        `Delete it with ${del} on the token service when nothing needs it any more.`,
      ];
  }
}

/**
 * The detail after the destroy: only what is left to do, and when (Terraform prints the destroy plan's
 * warnings again at the end of `destroy`, so the impact is not repeated).
 */
function appliedDetail(change: Change, state: TfObject, retiredAt: string | undefined): string[] {
  const del = `DELETE /v1/tokens/${change.id}`;
  switch (change.kind) {
    case "retire": {
      const after =
        retiredAt === undefined
          ? "once the grace period is over"
          : `after ${new Date(Date.parse(retiredAt) + change.graceSeconds * 1000).toISOString()}`;
      return [`Delete it yourself ${after} with ${del} on the token service. ${NOBODY_DELETES}`];
    }
    case "delete": {
      const where = change.undeliver.map((d) => d.description);
      return where.length > 0 ? [`Its secret was removed from ${where.join(", ")}.`] : [];
    }
    default:
      return [
        `${keptLine(change, state)} Delete it with ${del} on the token service when nothing needs it any more.`,
      ];
  }
}

/** The warning destroying `state` gives, in the plan or after the apply. */
export function removalWarning(state: TfObject, destinations: Destination[], when: RemovalPhase): Diagnostic {
  const change = removalChange(state, destinations);
  const verb = when.phase === "plan" ? headline(change) : outcome(change);
  const summary = `Token ${change.name} ${verb}${change.kind === "retire" ? ` ${RETIRED_BY}` : ""}`;
  const detail =
    when.phase === "plan" ? planDetail(change, state) : appliedDetail(change, state, when.retiredAt);
  return warning(summary, detail.join("\n"));
}
