/**
 * What `data "tokenform_tokens"` does: lists the owner's tokens (or every owner's) with their usage,
 * filtered by labels, status and type. Never a secret: only prefixes and fingerprints.
 */
import type { ListTokensQuery } from "../../../src/api/contract.js";
import { OWNER_LABEL, type Token, TokenStatusSchema } from "../../../src/api/schemas.js";
import { TOKEN_TYPES } from "../../../src/spec/schema.js";
import { apiOf, type Configured } from "../configured.js";
import type { CallContext } from "../framework.js";
import { type Diagnostic, error, path } from "../runtime/diagnostics.js";
import { isObject, type TfObject } from "../runtime/values.js";

/** `owner = "*"` lists every owner's tokens. */
const ALL_OWNERS = "*";

/** One token as the data source lists it. */
export function tokenListing(token: Token): TfObject {
  return {
    id: token.id,
    name: token.name,
    description: token.description,
    type: token.type,
    owner: token.labels[OWNER_LABEL] ?? null,
    scopes: [...token.scopes].sort(),
    read_only: token.readOnly,
    ip_allowlist: [...token.ipAllowlist].sort(),
    tools: token.tools === null ? null : [...token.tools],
    labels: { ...token.labels },
    status: token.status,
    enabled: token.enabled,
    display_prefix: token.displayPrefix,
    fingerprint: token.fingerprint,
    generation: token.generation,
    created_at: token.createdAt,
    rotated_at: token.rotatedAt,
    expires_at: token.expiresAt,
    last_used_at: token.lastUsedAt,
    request_count: token.requestCount,
  };
}

/** A label selector (`k=v,k2=v2`) for the owner and label filters. */
export function selectorFor(owner: string | null, labels: Record<string, string>): string | undefined {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  if (owner !== null) parts.unshift(`${OWNER_LABEL}=${owner}`);
  return parts.length > 0 ? parts.join(",") : undefined;
}

export function validate(config: TfObject): Diagnostic[] {
  const out: Diagnostic[] = [];
  const status = config.status ?? null;
  if (typeof status === "string" && !TokenStatusSchema.options.includes(status as never)) {
    out.push(
      error(
        "Invalid status filter",
        `status must be one of ${TokenStatusSchema.options.join(", ")}.`,
        path("status"),
      ),
    );
  }
  const type = config.type ?? null;
  if (typeof type === "string" && !(TOKEN_TYPES as readonly string[]).includes(type)) {
    out.push(error("Invalid type filter", `type must be one of ${TOKEN_TYPES.join(", ")}.`, path("type")));
  }
  return out;
}

export async function read(
  config: TfObject,
  ctx: CallContext<Configured>,
): Promise<{ state: TfObject | null; diagnostics: Diagnostic[] }> {
  const diagnostics = validate(config);
  if (diagnostics.length > 0) return { state: null, diagnostics };
  const configured = ctx.configured();
  const ownerFilter = typeof config.owner === "string" ? config.owner : configured.owner;
  const labels = isObject(config.labels ?? null) ? (config.labels as Record<string, string>) : {};
  const selector = selectorFor(ownerFilter === ALL_OWNERS ? null : ownerFilter, labels);
  const query: Omit<ListTokensQuery, "cursor"> = {
    ...(selector ? { selector } : {}),
    ...(typeof config.status === "string" ? { status: config.status as ListTokensQuery["status"] } : {}),
    ...(typeof config.type === "string" ? { type: config.type as ListTokensQuery["type"] } : {}),
  };
  const byName = (a: Token, b: Token) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const tokens = (await apiOf(configured).listAllTokens(query)).sort(byName);
  return {
    state: { ...config, ids: tokens.map((t) => t.id), tokens: tokens.map(tokenListing) },
    diagnostics: [],
  };
}
