/**
 * The mapping between a resolved spec token and the token service's representation: the settings tokenform
 * owns on a token, the bookkeeping labels it writes, and the settings hash that tells "the spec changed"
 * apart from "someone changed the token outside tokenform" (drift).
 */
import { createHash } from "node:crypto";
import { OWNER_LABEL, RESERVED_LABEL_PREFIX, type Token, type UpdateTokenRequest } from "../api/schemas.js";
import type { ResolvedPickup, ResolvedToken } from "../spec/resolved.js";
import { normaliseTools } from "../spec/tools.js";

/** Prefix of every label tokenform writes; users cannot set labels under it (the spec refuses them). */
export { RESERVED_LABEL_PREFIX };
/** Hash of the settings tokenform last applied (see `settingsHash`). */
export const APPLIED_LABEL = "tokenform.dev/applied";
/** The token's `onRemove` policy, so a token removed from the spec is retired the way its spec said. */
export const ON_REMOVE_LABEL = "tokenform.dev/on-remove";
/** The token's removal grace in seconds. */
export const REMOVAL_GRACE_LABEL = "tokenform.dev/removal-grace";
/** The last rotate trigger applied; a different value in the spec asks for a roll. */
export const ROTATE_TRIGGER_LABEL = "tokenform.dev/rotate-trigger";
/** When the token was retired (disabled because it left the spec). */
export const RETIRED_AT_LABEL = "tokenform.dev/retired-at";
export { LEAKED_AT_LABEL } from "../api/schemas.js";

/** The settings tokenform manages, in a canonical form comparable between spec and service. */
export interface ManagedSettings {
  description: string;
  scopes: string[];
  readOnly: boolean;
  ipAllowlist: string[];
  /** MCP tools the key may call, sorted; null = no restriction. */
  tools: string[] | null;
  rateLimit: { perMinute: number | null; perHour: number | null };
  labels: Record<string, string>;
  enabled: boolean;
  expiresAt: string | null;
  /** The person the key is for; null when none is named. */
  holder: string | null;
  /** Where its holder picks it up (`tokenform pickup`); null when apply delivers it. */
  pickup: ResolvedPickup | null;
}

const sorted = (values: readonly string[]) => [...new Set(values)].sort();

function userLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) {
    if (!key.startsWith(RESERVED_LABEL_PREFIX)) out[key] = labels[key]!;
  }
  return out;
}

/** Normalises an ISO time to whole seconds so `…00.000Z` and `…00Z` compare equal. */
function isoSeconds(value: string | null): string | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** The expiry `seconds` after `anchor`, in whole seconds (as the apply engine writes expiries). */
export function expiresAfter(anchor: Date, seconds: number): string {
  return isoSeconds(new Date(anchor.getTime() + seconds * 1000).toISOString()) as string;
}

/** Desired expiry for a token whose current secret generation started at `anchor` (its rotatedAt). */
export function desiredExpiresAt(token: ResolvedToken, anchor: Date): string | null {
  switch (token.expiry.kind) {
    case "never":
      return null;
    case "at":
      return isoSeconds(token.expiry.at);
    case "in":
      return expiresAfter(anchor, token.expiry.seconds);
  }
}

/** The settings the spec asks for; `anchor` is when the current secret generation started. */
export function desiredSettings(token: ResolvedToken, anchor: Date): ManagedSettings {
  return {
    description: token.description,
    scopes: sorted(token.scopes),
    readOnly: token.readOnly,
    ipAllowlist: sorted(token.ipAllowlist),
    tools: normaliseTools(token.tools),
    rateLimit: { perMinute: token.rateLimit.perMinute ?? null, perHour: token.rateLimit.perHour ?? null },
    labels: userLabels(token.labels),
    enabled: token.enabled,
    expiresAt: desiredExpiresAt(token, anchor),
    holder: token.holder ?? null,
    pickup: token.pickup ?? null,
  };
}

/** The managed settings a token in the service actually has. */
export function actualSettings(token: Token): ManagedSettings {
  return {
    description: token.description,
    scopes: sorted(token.scopes),
    readOnly: token.readOnly,
    ipAllowlist: sorted(token.ipAllowlist),
    tools: normaliseTools(token.tools),
    rateLimit: { perMinute: token.rateLimit.perMinute, perHour: token.rateLimit.perHour },
    labels: userLabels(token.labels),
    enabled: token.enabled,
    expiresAt: isoSeconds(token.expiresAt),
    holder: token.holder ?? null,
    pickup: token.pickup
      ? {
          client: token.pickup.client,
          server: token.pickup.server,
          url: token.pickup.url,
          header: token.pickup.header,
        }
      : null,
  };
}

/** A stable JSON encoding: object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
      return out;
    }
    return v;
  });
}

/**
 * `sha256:` + 16 hex of the canonical settings. Written to `APPLIED_LABEL` after every apply. A setting
 * added after tokens were applied is left out while it has its "unset" value (`tools`, `holder`, `pickup`:
 * null), so the hash of a token applied before the setting existed still matches and upgrading shows no
 * false drift.
 */
export function settingsHash(settings: ManagedSettings): string {
  const hashed: Partial<ManagedSettings> = { ...settings };
  for (const late of ["tools", "holder", "pickup"] as const) if (hashed[late] === null) delete hashed[late];
  return `sha256:${createHash("sha256").update(canonicalJson(hashed)).digest("hex").slice(0, 16)}`;
}

/** Field-level differences between two settings, in a fixed field order. */
export function diffSettings(
  actual: ManagedSettings,
  desired: ManagedSettings,
): Array<{ field: keyof ManagedSettings; from: unknown; to: unknown }> {
  const fields: Array<keyof ManagedSettings> = [
    "description",
    "scopes",
    "readOnly",
    "ipAllowlist",
    "tools",
    "rateLimit",
    "labels",
    "expiresAt",
    "enabled",
    "holder",
    "pickup",
  ];
  const out: Array<{ field: keyof ManagedSettings; from: unknown; to: unknown }> = [];
  for (const field of fields) {
    if (canonicalJson(actual[field]) !== canonicalJson(desired[field])) {
      out.push({ field, from: actual[field], to: desired[field] });
    }
  }
  return out;
}

/** The bookkeeping labels tokenform writes next to the user's labels. */
export function managedLabels(
  owner: string,
  token: ResolvedToken,
  settings: ManagedSettings,
  extra: Record<string, string> = {},
): Record<string, string> {
  const labels: Record<string, string> = {
    ...settings.labels,
    [OWNER_LABEL]: owner,
    [APPLIED_LABEL]: settingsHash(settings),
    [ON_REMOVE_LABEL]: token.onRemove,
    [REMOVAL_GRACE_LABEL]: String(token.removalGraceSeconds),
    ...extra,
  };
  if (token.rotateTrigger !== undefined) labels[ROTATE_TRIGGER_LABEL] = token.rotateTrigger;
  return labels;
}

/** The PATCH/POST body fields for `settings` (labels added by the caller). */
export function settingsBody(settings: ManagedSettings): Omit<UpdateTokenRequest, "labels" | "name"> {
  return {
    description: settings.description,
    scopes: settings.scopes,
    readOnly: settings.readOnly,
    ipAllowlist: settings.ipAllowlist,
    tools: settings.tools,
    rateLimit: settings.rateLimit,
    enabled: settings.enabled,
    expiresAt: settings.expiresAt,
    // Sent only when the spec names them, so a service that predates holders accepts every other write.
    ...(settings.holder === null ? {} : { holder: settings.holder }),
    ...(settings.pickup === null ? {} : { pickup: settings.pickup }),
  };
}
