/**
 * A resolved token (defaults merged, durations in seconds) as the configuration of one `tokenform_token`
 * resource. Every value the spec's defaults decide is written out, so `cdktf synth` output and `cdktf
 * plan` show what will be applied; empty collections are left out (the provider reads them as unset).
 * Durations are written back in the spec's notation (`15552000` seconds → `180d`).
 */
import { definedOnly } from "../destinations/kind.js";
import { allKinds, type DESTINATION_KINDS, type DestinationKindName } from "../destinations/registry.js";
import { formatDuration } from "../spec/duration.js";
import type { ResolvedToken } from "../spec/resolved.js";
import type { TokenformTokenConfig } from "./deps.js";

/** One block of the generated config's list under `Key` (`githubSecret` → `TokenformTokenGithubSecret`). */
type CdktfBlock<Key> = Key extends keyof TokenformTokenConfig
  ? Extract<NonNullable<TokenformTokenConfig[Key]>, readonly unknown[]>[number]
  : never;
type Kinds = typeof DESTINATION_KINDS;
/**
 * The kinds whose CDKTF mapping does not name a block list of the generated `tokenform_token` config or
 * does not build one of its blocks (a new kind needs the bindings regenerated: `npm run generate`).
 */
type CdktfMisfits = {
  [K in DestinationKindName]: ReturnType<Kinds[K]["cdktf"]["block"]> extends CdktfBlock<
    Kinds[K]["cdktf"]["key"]
  >
    ? never
    : K;
}[DestinationKindName];
/** Compile-time check: fails naming each misfit kind. */
const cdktfBlocksFit: [CdktfMisfits] extends [never] ? true : CdktfMisfits = true;
void cdktfBlocksFit;

/** The resource configuration for `token` (without `provider` and other meta-arguments). */
export function tokenConfig(token: ResolvedToken): TokenformTokenConfig {
  const rateLimit = definedOnly(token.rateLimit);
  return {
    name: token.name,
    description: token.description,
    type: token.type,
    readOnly: token.readOnly,
    enabled: token.enabled,
    ...(token.scopes.length > 0 ? { scopes: [...token.scopes] } : {}),
    ...(token.ipAllowlist.length > 0 ? { ipAllowlist: [...token.ipAllowlist] } : {}),
    ...(token.tools !== null ? { tools: [...token.tools] } : {}),
    ...(Object.keys(token.labels).length > 0 ? { labels: { ...token.labels } } : {}),
    ...(Object.keys(rateLimit).length > 0 ? { rateLimit } : {}),
    ...expiry(token),
    ...(token.rotation
      ? {
          rotation: {
            every: formatDuration(token.rotation.everySeconds),
            overlap: formatDuration(token.rotation.overlapSeconds),
          },
        }
      : {}),
    ...(token.rotateTrigger !== undefined ? { rotateTrigger: token.rotateTrigger } : {}),
    ...(token.adopt ? { adopt: true } : {}),
    onRemove: token.onRemove,
    removalGrace: formatDuration(token.removalGraceSeconds),
    ...deliveryBlocks(token),
  };
}

function expiry(token: ResolvedToken): Pick<TokenformTokenConfig, "expiresIn" | "expiresAt"> {
  switch (token.expiry.kind) {
    case "never":
      return { expiresIn: "never" };
    case "in":
      return { expiresIn: formatDuration(token.expiry.seconds) };
    case "at":
      return { expiresAt: token.expiry.at };
  }
}

/**
 * The destinations as block lists, one per kind that has any, in the registry's order (blocks keep the
 * spec's order within a kind), each block as its kind maps it (`cdktf` of `src/destinations/<kind>`).
 */
function deliveryBlocks(token: ResolvedToken): Partial<TokenformTokenConfig> {
  const out: Record<string, object[]> = {};
  for (const { kind, cdktf } of allKinds()) {
    const blocks = token.deliver.filter((d) => d.kind === kind).map((d) => cdktf.block(d));
    if (blocks.length > 0) out[cdktf.key] = blocks;
  }
  return out as Partial<TokenformTokenConfig>;
}
