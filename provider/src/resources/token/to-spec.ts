/**
 * A `tokenform_token` configuration as a TokenSpec: the resource block becomes a one-token TokenSet
 * object (camelCase, as in YAML) that the spec module validates and resolves, so Terraform and
 * `tokenform plan` apply the same rules and defaults. Unknown values are left out (and their diagnostics
 * dropped); spec diagnostic paths map back to Terraform attribute paths.
 */
import { allKinds } from "../../../../src/destinations/registry.js";
import { type AttributePath, path } from "../../runtime/diagnostics.js";
import { BigDecimal, isObject, type TfObject, type TfValue, Unknown } from "../../runtime/values.js";

/** The TokenSet object handed to the spec module, and how to map its paths back. */
export interface SpecView {
  /** `{ apiVersion, kind, metadata, defaults?, tokens: [one] }` in the TokenSet's own shape. */
  set: Record<string, unknown>;
  /** The Terraform path of a spec path (e.g. `["tokens",0,"rateLimit","perMinute"]`); undefined if none. */
  toAttributePath(specPath: ReadonlyArray<string | number>): AttributePath | undefined;
  /** True when the spec path lies under a value that is unknown in the configuration. */
  isUnknown(specPath: ReadonlyArray<string | number>): boolean;
}

/** Placeholder name when the configured name is not known yet (its own diagnostics are dropped). */
const UNKNOWN_NAME = "unknown-until-apply";

/** Top-level attributes that map one-to-one: Terraform name → spec field. */
const SCALARS: Record<string, string> = {
  name: "name",
  description: "description",
  type: "type",
  read_only: "readOnly",
  enabled: "enabled",
  expires_in: "expiresIn",
  expires_at: "expiresAt",
  on_remove: "onRemove",
  rotate_trigger: "rotate",
  adopt: "adopt",
};

/** Delivery blocks, as the destination kinds declare them: Terraform block → spec key, and attribute → field. */
const DELIVERY_BLOCKS: Readonly<Record<string, { key: string; fields: Readonly<Record<string, string>> }>> =
  Object.fromEntries(
    allKinds().map(({ kind, terraform }) => [terraform.typeName, { key: kind, fields: terraform.fields }]),
  );

/** A delivery block's type name (`github_secret`, `gitlab_variable`, `file`). */
export type DeliveryBlockName = string;
/** The delivery blocks' type names, in the registry's order. */
export const DELIVERY_BLOCK_NAMES: readonly DeliveryBlockName[] = Object.keys(DELIVERY_BLOCKS);

const invert = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]));
const SCALARS_BY_FIELD = invert(SCALARS);

/** A Terraform number as the spec sees it (a JS number; out-of-range values stay visibly invalid). */
function plainNumber(v: TfValue): number {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof BigDecimal) return Number(v.text);
  return v as number;
}

/** Copies known, non-null values; records unknown ones under `unknownPaths`. */
function plain(v: TfValue, at: string, unknownPaths: Set<string>): unknown {
  if (v instanceof Unknown) {
    unknownPaths.add(at);
    return undefined;
  }
  if (v === null) return undefined;
  if (typeof v === "bigint" || v instanceof BigDecimal) return plainNumber(v);
  if (Array.isArray(v))
    return v.map((e, i) => plain(e, `${at}/${i}`, unknownPaths)).filter((e) => e !== undefined);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const p = plain(e, `${at}/${k}`, unknownPaths);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return v;
}

/** Where each spec delivery came from: the Terraform block type and its index among those blocks. */
type DeliveryOrigin = Array<{ block: DeliveryBlockName; index: number }>;

/** The token's settings (everything but its deliveries) from `config`; unknown values are recorded. */
function tokenSettings(config: TfObject, unknown: Set<string>): Record<string, unknown> {
  const token: Record<string, unknown> = {};
  for (const [attr, field] of Object.entries(SCALARS)) {
    const v = plain(config[attr] ?? null, `tokens/0/${field}`, unknown);
    if (v !== undefined) token[field] = v;
  }
  if (token.name === undefined) token.name = UNKNOWN_NAME;
  for (const [attr, field] of [
    ["scopes", "scopes"],
    ["ip_allowlist", "ipAllowlist"],
    ["tools", "tools"],
    ["labels", "labels"],
  ] as const) {
    const v = plain(config[attr] ?? null, `tokens/0/${field}`, unknown);
    if (v !== undefined) token[field] = v;
  }
  const rateLimit = config.rate_limit ?? null;
  if (isObject(rateLimit)) {
    const rl: Record<string, unknown> = {};
    const perMinute = plain(rateLimit.per_minute ?? null, "tokens/0/rateLimit/perMinute", unknown);
    const perHour = plain(rateLimit.per_hour ?? null, "tokens/0/rateLimit/perHour", unknown);
    if (perMinute !== undefined) rl.perMinute = perMinute;
    if (perHour !== undefined) rl.perHour = perHour;
    token.rateLimit = rl;
  } else if (rateLimit instanceof Unknown) unknown.add("tokens/0/rateLimit");
  const rotation = config.rotation ?? null;
  if (isObject(rotation)) {
    const r: Record<string, unknown> = {};
    const every = plain(rotation.every ?? null, "tokens/0/rotation/every", unknown);
    const overlap = plain(rotation.overlap ?? null, "tokens/0/rotation/overlap", unknown);
    // `every` is required by the block schema; an unknown one still needs a placeholder to validate the rest.
    r.every = every ?? "1d";
    if (overlap !== undefined) r.overlap = overlap;
    token.rotation = r;
  } else if (rotation instanceof Unknown) unknown.add("tokens/0/rotation");
  return token;
}

/**
 * The spec's deliveries from `config`'s delivery blocks: every block of the first kind, then the next, in
 * registry order; `origin` remembers where each came from.
 */
function deliveries(config: TfObject, unknown: Set<string>): { deliver: unknown[]; origin: DeliveryOrigin } {
  const deliver: unknown[] = [];
  const origin: DeliveryOrigin = [];
  for (const blockName of DELIVERY_BLOCK_NAMES) {
    const { key, fields } = DELIVERY_BLOCKS[blockName]!;
    const blocks = config[blockName] ?? null;
    if (blocks instanceof Unknown) {
      unknown.add(`tokens/0/deliver/${blockName}`);
      continue;
    }
    if (!Array.isArray(blocks)) continue;
    blocks.forEach((b, index) => {
      const at = `tokens/0/deliver/${deliver.length}/${key}`;
      if (b instanceof Unknown) {
        unknown.add(at);
        return;
      }
      if (!isObject(b)) return;
      const out: Record<string, unknown> = {};
      for (const [attr, field] of Object.entries(fields)) {
        const v = plain(b[attr] ?? null, `${at}/${field}`, unknown);
        if (v !== undefined) out[field] = v;
      }
      deliver.push({ [key]: out });
      origin.push({ block: blockName, index });
    });
  }
  return { deliver, origin };
}

/** A spec path of the one-token set as the Terraform attribute it came from, for diagnostics. */
function attributePathOf(
  specPath: ReadonlyArray<string | number>,
  origin: DeliveryOrigin,
): AttributePath | undefined {
  const [root, index, field, ...rest] = specPath;
  if (root === "defaults" && index === "removalGrace") return path("removal_grace");
  if (root !== "tokens" || index !== 0 || typeof field !== "string") return undefined;
  if (field === "rotate") return path("rotate_trigger");
  const scalar = SCALARS_BY_FIELD[field];
  if (scalar) return path(scalar);
  // Sets have no element paths in Terraform: point at the attribute.
  if (field === "scopes") return path("scopes");
  if (field === "ipAllowlist") return path("ip_allowlist");
  if (field === "tools") return path("tools");
  if (field === "labels")
    return typeof rest[0] === "string" ? path("labels", { key: rest[0] }) : path("labels");
  if (field === "rateLimit") {
    const sub = rest[0] === "perMinute" ? "per_minute" : rest[0] === "perHour" ? "per_hour" : undefined;
    return sub ? path("rate_limit", sub) : path("rate_limit");
  }
  if (field === "rotation") {
    return typeof rest[0] === "string" ? path("rotation", rest[0]) : path("rotation");
  }
  if (field === "deliver") {
    const from = typeof rest[0] === "number" ? origin[rest[0]] : undefined;
    if (!from) return undefined;
    const fields = invert(DELIVERY_BLOCKS[from.block]!.fields);
    const attr = typeof rest[2] === "string" ? fields[rest[2]] : undefined;
    const tail = attr ? [attr, ...(typeof rest[3] === "number" ? [rest[3]] : [])] : [];
    return path(from.block, from.index, ...tail);
  }
  return undefined;
}

/**
 * Builds the one-token TokenSet for `config`. `owner` is the provider's owner (a placeholder before
 * ConfigureProvider: owners are checked by the provider configuration, not here).
 */
export function toSpec(config: TfObject, owner: string): SpecView {
  const unknown = new Set<string>();
  const token = tokenSettings(config, unknown);
  const { deliver, origin } = deliveries(config, unknown);
  if (deliver.length > 0) token.deliver = deliver;

  const defaults: Record<string, unknown> = {};
  const grace = plain(config.removal_grace ?? null, "defaults/removalGrace", unknown);
  if (grace !== undefined) defaults.removalGrace = grace;

  const set: Record<string, unknown> = {
    apiVersion: "tokenform.dev/v1",
    kind: "TokenSet",
    metadata: { owner },
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
    tokens: [token],
  };

  const isUnknown = (specPath: ReadonlyArray<string | number>): boolean => {
    const joined = specPath.join("/");
    if (token.name === UNKNOWN_NAME && joined.startsWith("tokens/0/name")) return true;
    for (const u of unknown) if (joined === u || joined.startsWith(`${u}/`)) return true;
    return false;
  };

  return { set, toAttributePath: (specPath) => attributePathOf(specPath, origin), isUnknown };
}
