/**
 * Token service → Terraform state: the `tokenform_token` object for a `Token` the API returned. Values the
 * API does not hold (expires_in, rotation, delivery blocks) come from a basis — the planned state after an
 * apply, the prior state on refresh — and where the API's value means the same as the basis's (the same
 * scopes in another order, `10.0.0.1` for `10.0.0.1/32`, the same instant written differently) the basis's
 * spelling is kept, so Terraform sees no change that is not one. The secret is never part of it.
 */
import { OWNER_LABEL, type Token } from "../../../../src/api/schemas.js";
import {
  ON_REMOVE_LABEL,
  REMOVAL_GRACE_LABEL,
  RESERVED_LABEL_PREFIX,
  ROTATE_TRIGGER_LABEL,
} from "../../../../src/plan/desired.js";
import { sameExpiry } from "../../../../src/plan/token-rules.js";
import { formatDuration, parseDuration } from "../../../../src/spec/duration.js";
import { DEFAULT_ON_REMOVE } from "../../../../src/spec/resolve.js";
import { DEFAULT_REMOVAL_GRACE } from "../../../../src/spec/schema.js";
import { checkCidr } from "../../../../src/spec/values.js";
import { isObject, type TfObject, type TfValue, valuesEqual } from "../../runtime/values.js";
import { DELIVERY_BLOCK_NAMES } from "./to-spec.js";

/** A CIDR in the spec's canonical form (bare addresses get /32 or /128), for comparison only. */
export function canonicalCidr(entry: string): string {
  const check = checkCidr(entry);
  return check.ok ? check.cidr : entry;
}

function strings(v: TfValue | undefined): string[] | undefined {
  return Array.isArray(v) && v.every((e) => typeof e === "string") ? (v as string[]) : undefined;
}

/** A string set: the basis when it holds the same members (after `canon`), else the API's, sorted. */
function stringSet(
  api: string[],
  basis: TfValue | undefined,
  canon: (s: string) => string = (s) => s,
): TfValue {
  const b = strings(basis);
  const key = (list: string[]) => JSON.stringify([...new Set(list.map(canon))].sort());
  if (b && key(b) === key(api)) return b;
  if (api.length === 0 && (basis === null || basis === undefined)) return null;
  return [...api].sort();
}

/** The tool allowlist: null stays null (no restriction) and `[]` stays `[]` (no tool), unlike `stringSet`. */
function toolSet(api: string[] | null, basis: TfValue | undefined): TfValue {
  if (api === null) return null;
  const b = strings(basis);
  return b && JSON.stringify([...new Set(b)].sort()) === JSON.stringify(api) ? b : [...api];
}

/** Keeps the basis's duration text when it means the same number of seconds. */
function duration(seconds: number, basis: TfValue | undefined): string {
  if (typeof basis === "string" && parseDuration(basis) === seconds) return basis;
  return formatDuration(seconds);
}

/** User labels (tokenform's own bookkeeping labels removed); null when none and the basis had none. */
function userLabels(token: Token, basis: TfValue | undefined): TfValue {
  const out: TfObject = {};
  for (const key of Object.keys(token.labels).sort()) {
    if (!key.startsWith(RESERVED_LABEL_PREFIX)) out[key] = token.labels[key]!;
  }
  if (Object.keys(out).length === 0 && !isObject(basis ?? null)) return null;
  return out;
}

function rateLimit(token: Token, basis: TfValue | undefined): TfValue {
  const { perMinute, perHour } = token.rateLimit;
  if (perMinute === null && perHour === null && !isObject(basis ?? null)) return null;
  return { per_minute: perMinute, per_hour: perHour };
}

/** Destination ids holding the current secret generation, in the basis's order when it lists the same. */
function delivered(token: Token, basis: TfValue | undefined): TfValue {
  const ids = [
    ...new Set(token.deliveries.filter((r) => r.generation === token.generation).map((r) => r.destination)),
  ];
  const b = strings(basis);
  if (b && b.length === ids.length && b.every((id) => ids.includes(id))) return b;
  return ids.sort();
}

/** The owner label of a token, or undefined when it has none. */
export function ownerOf(token: Token): string | undefined {
  return token.labels[OWNER_LABEL];
}

/**
 * The Terraform state for `token`. `basis` supplies what the API does not hold; null on import, where
 * those attributes start out unset (delivery blocks empty).
 */
export function stateFromToken(token: Token, basis: TfObject | null): TfObject {
  const b = basis ?? {};
  const graceSeconds = Number(token.labels[REMOVAL_GRACE_LABEL] ?? Number.NaN);
  const expiresAt =
    token.expiresAt === null
      ? null
      : typeof b.expires_at === "string" && sameExpiry(b.expires_at, token.expiresAt)
        ? b.expires_at
        : token.expiresAt;
  const state: TfObject = {
    id: token.id,
    name: token.name,
    description: token.description,
    type: token.type,
    scopes: stringSet(token.scopes, b.scopes),
    read_only: token.readOnly,
    ip_allowlist: stringSet(token.ipAllowlist, b.ip_allowlist, canonicalCidr),
    tools: toolSet(token.tools, b.tools),
    labels: userLabels(token, b.labels),
    enabled: token.enabled,
    expires_in: b.expires_in ?? null,
    expires_at: expiresAt,
    on_remove:
      token.labels[ON_REMOVE_LABEL] ?? (typeof b.on_remove === "string" ? b.on_remove : DEFAULT_ON_REMOVE),
    removal_grace: Number.isFinite(graceSeconds)
      ? duration(graceSeconds, b.removal_grace)
      : typeof b.removal_grace === "string"
        ? b.removal_grace
        : DEFAULT_REMOVAL_GRACE,
    rotate_trigger:
      token.labels[ROTATE_TRIGGER_LABEL] ?? (typeof b.rotate_trigger === "string" ? b.rotate_trigger : null),
    display_prefix: token.displayPrefix,
    fingerprint: token.fingerprint,
    owner: token.labels[OWNER_LABEL] ?? null,
    status: token.status,
    created_at: token.createdAt,
    generation: token.generation,
    rotated_at: token.rotatedAt,
    delivered: delivered(token, b.delivered),
    rate_limit: rateLimit(token, b.rate_limit),
    rotation: b.rotation ?? null,
    adopt: b.adopt ?? null,
  };
  for (const name of DELIVERY_BLOCK_NAMES) state[name] = b[name] ?? [];
  // A rate_limit the basis wrote with the same numbers keeps its exact spelling (e.g. a BigInt).
  if (valuesEqual(state.rate_limit, b.rate_limit ?? null)) state.rate_limit = b.rate_limit ?? null;
  return state;
}
