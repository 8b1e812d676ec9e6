/**
 * From valid TokenSet documents to the resolved model (`resolved.ts`): defaults merged into every token,
 * durations in seconds, CIDRs normalised, destinations completed with their defaults. Pure: no I/O, no
 * validation. `loadTokenSet` / `validateTokenSetObject` validate first and hand back the result of this.
 *
 * Merge rules for `defaults`: a token's own value replaces the default, except `labels` and `rateLimit`,
 * which merge key by key (the token wins). A token's expiresIn/expiresAt (either) replaces the default's
 * expiry as a whole; `rotation` replaces the default rotation as a whole.
 */

import type { ResolveContext } from "../destinations/kind.js";
import { deliveryKind, kindOf } from "../destinations/registry.js";
import { parseDuration } from "./duration.js";
import type { Destination, Expiry, ResolvedToken, ResolvedTokenSet, SourceLocation } from "./resolved.js";
import {
  DEFAULT_REMOVAL_GRACE,
  DEFAULT_ROTATION_OVERLAP,
  type Defaults,
  type Delivery,
  type OnRemove,
  type TokenSet,
  type TokenSpec,
  type TokenType,
} from "./schema.js";
import { normaliseTools } from "./tools.js";
import { checkCidr } from "./values.js";

/** Token type when neither the token nor the defaults name one: the read-only kind, the safest. */
export const DEFAULT_TOKEN_TYPE: TokenType = "mcp";
/** What happens to a token removed from the spec when nothing says otherwise. */
export const DEFAULT_ON_REMOVE: OnRemove = "disable-then-delete";

export { envKeyFor } from "../destinations/file/index.js";
export type { ResolveContext } from "../destinations/kind.js";

/** One document to resolve, with where it came from. */
export interface TokenSetPart {
  document: TokenSet;
  /** Directory relative `file` paths are resolved against (default: the working directory). */
  baseDir?: string;
  /** Per token index, where it was declared (absent for objects). */
  sources?: ReadonlyArray<SourceLocation | undefined>;
}

/**
 * Resolves valid documents (one, or several parts of one set) into a `ResolvedTokenSet`. The input must
 * already be valid (call `validateTokenSetObject` or `loadTokenSet`, which return this result).
 */
export function resolveTokenSet(
  input: TokenSet | readonly TokenSetPart[],
  options: { homeDir?: string } = {},
): ResolvedTokenSet {
  const parts: readonly TokenSetPart[] = Array.isArray(input) ? input : [{ document: input as TokenSet }];
  const tokens: ResolvedToken[] = [];
  for (const part of parts) {
    const context: ResolveContext = { baseDir: part.baseDir ?? process.cwd(), homeDir: options.homeDir };
    part.document.tokens.forEach((token, index) => {
      tokens.push(resolveToken(token, part.document.defaults, context, part.sources?.[index]));
    });
  }
  const first = parts[0]?.document;
  return {
    owner: first?.metadata.owner ?? "",
    ...(nameOf(parts) !== undefined ? { name: nameOf(parts) } : {}),
    tokens,
    defaults: setDefaults(parts.map((p) => p.document.defaults)),
  };
}

function nameOf(parts: readonly TokenSetPart[]): string | undefined {
  for (const part of parts) if (part.document.metadata.name) return part.document.metadata.name;
  return undefined;
}

/** The set-wide removal policy: the first document that states it (validation refuses disagreement). */
export function setDefaults(defaults: ReadonlyArray<Defaults | undefined>): ResolvedTokenSet["defaults"] {
  const onRemove = defaults.find((d) => d?.onRemove !== undefined)?.onRemove ?? DEFAULT_ON_REMOVE;
  const grace = defaults.find((d) => d?.removalGrace !== undefined)?.removalGrace ?? DEFAULT_REMOVAL_GRACE;
  return { onRemove, removalGraceSeconds: seconds(grace) };
}

/** Resolves one valid token entry with its document's defaults. */
export function resolveToken(
  token: TokenSpec,
  defaults: Defaults | undefined,
  context: ResolveContext,
  source?: SourceLocation,
): ResolvedToken {
  const d = defaults ?? {};
  const type = token.type ?? d.type ?? DEFAULT_TOKEN_TYPE;
  const rotation = token.rotation ?? d.rotation;
  const resolved: ResolvedToken = {
    name: token.name,
    description: token.description ?? d.description ?? "",
    type,
    scopes: [...new Set(token.scopes ?? d.scopes ?? [])],
    readOnly: token.readOnly ?? d.readOnly ?? type === "mcp",
    ipAllowlist: normaliseAllowlist(token.ipAllowlist ?? d.ipAllowlist ?? []),
    tools: normaliseTools(token.tools ?? d.tools),
    rateLimit: { ...d.rateLimit, ...token.rateLimit },
    labels: { ...d.labels, ...token.labels },
    enabled: token.enabled ?? true,
    expiry: expiryOf(token.expiresIn !== undefined || token.expiresAt !== undefined ? token : d),
    // A renamed token's files keep their variable name: it never silently follows the token name.
    deliver: (token.deliver ?? []).map((delivery) =>
      resolveDestination(delivery, token.renamedFrom ?? token.name, context),
    ),
    onRemove: token.onRemove ?? d.onRemove ?? DEFAULT_ON_REMOVE,
    removalGraceSeconds: seconds(d.removalGrace ?? DEFAULT_REMOVAL_GRACE),
  };
  if (rotation !== undefined && rotation !== "never") {
    resolved.rotation = {
      everySeconds: seconds(rotation.every),
      overlapSeconds: seconds(rotation.overlap ?? DEFAULT_ROTATION_OVERLAP),
    };
  }
  if (token.rotate !== undefined) resolved.rotateTrigger = token.rotate;
  if (token.renamedFrom !== undefined) resolved.renamedFrom = token.renamedFrom;
  if (token.adopt === true) resolved.adopt = true;
  if (token.holder !== undefined) resolved.holder = token.holder;
  if (token.pickup !== undefined) {
    const target = token.pickup.mcpClient;
    resolved.pickup = {
      client: target.client,
      server: target.server,
      url: target.url,
      header: target.header ?? "bearer",
    };
  }
  if (source) resolved.source = source;
  return resolved;
}

/** Expiry from whichever of token or defaults states one. */
function expiryOf(from: { expiresIn?: string; expiresAt?: string }): Expiry {
  if (from.expiresAt !== undefined) return { kind: "at", at: new Date(from.expiresAt).toISOString() };
  if (from.expiresIn === undefined || from.expiresIn === "never") return { kind: "never" };
  return { kind: "in", seconds: seconds(from.expiresIn) };
}

function normaliseAllowlist(entries: readonly string[]): string[] {
  const out = new Set<string>();
  for (const entry of entries) {
    const check = checkCidr(entry);
    if (check.ok) out.add(check.cidr);
  }
  return [...out];
}

/** Completes one delivery with its defaults (see the README's table; each kind's `resolve`). */
export function resolveDestination(
  delivery: Delivery,
  tokenName: string,
  context: ResolveContext,
): Destination {
  const name = deliveryKind(delivery);
  return kindOf(name).resolve((delivery as Record<string, unknown>)[name], tokenName, context);
}

function seconds(duration: string): number {
  const value = parseDuration(duration);
  if (value === undefined)
    throw new Error(`resolveTokenSet was given an invalid duration ${JSON.stringify(duration)}`);
  return value;
}
