/**
 * The tokenform provider's schemas — the one definition behind GetProviderSchema (gRPC), `tokenform
 * provider schema` (`terraform providers schema -json` format) and the committed provider/schema.json the
 * CDKTF bindings are generated from. Attribute names are the TokenSpec's fields in snake_case.
 *
 * This module imports no validation code (zod): it is loaded on every provider start. The destination
 * kinds' registry it reads the delivery blocks from loads none either.
 */
import { allKinds } from "../../src/destinations/registry.js";
import type {
  AttributeSchema,
  BlockSchema,
  NestedBlockSchema,
  Schema,
  SchemaJson,
} from "./runtime/schema.js";
import { schemaToJson } from "./runtime/schema.js";
import type { TfType } from "./runtime/values.js";

/** The provider's registry address (fully qualified: OpenTofu would resolve a bare one to its own registry). */
export const PROVIDER_ADDRESS = "registry.terraform.io/tokenform/tokenform";
/** Resource type of one token. */
export const TOKEN_RESOURCE = "tokenform_token";
/** Data source listing tokens. */
export const TOKENS_DATA_SOURCE = "tokenform_tokens";

const STRING_SET: TfType = ["set", "string"];
const STRING_LIST: TfType = ["list", "string"];
const STRING_MAP: TfType = ["map", "string"];

const required = (name: string, type: TfType, description: string): AttributeSchema => ({
  name,
  type,
  description,
  required: true,
});
const optional = (name: string, type: TfType, description: string): AttributeSchema => ({
  name,
  type,
  description,
  optional: true,
});
/** Optional; when not configured the provider plans its default (so plans and state show real values). */
const defaulted = (name: string, type: TfType, description: string): AttributeSchema => ({
  name,
  type,
  description,
  optional: true,
  computed: true,
});
const computed = (name: string, type: TfType, description: string): AttributeSchema => ({
  name,
  type,
  description,
  computed: true,
});

const block = (
  description: string,
  attributes: AttributeSchema[],
  blocks: NestedBlockSchema[] = [],
): BlockSchema => ({
  description,
  attributes,
  blocks,
});

/** `provider "tokenform" { … }`. */
export const providerSchema: Schema = {
  version: 0,
  block: block("The tokenform provider manages MCP API tokens in a tokenform token service.", [
    optional(
      "endpoint",
      "string",
      "URL of the tokenform management API, e.g. `https://tokens.example.com`. Defaults to TOKENFORM_API_URL.",
    ),
    {
      ...optional(
        "api_token",
        "string",
        "Admin token with tokens:read and tokens:write. Defaults to TOKENFORM_API_TOKEN.",
      ),
      sensitive: true,
    },
    optional(
      "owner",
      "string",
      "Owner recorded on every token this configuration manages (the tokenform.dev/owner label), e.g. `acme/platform`. Default `terraform`.",
    ),
  ]),
};

const rateLimitBlock: NestedBlockSchema = {
  typeName: "rate_limit",
  nesting: "single",
  block: block("Per-key rate limits.", [
    optional("per_minute", "number", "Requests allowed per minute for this key."),
    optional("per_hour", "number", "Requests allowed per hour for this key."),
  ]),
};

const rotationBlock: NestedBlockSchema = {
  typeName: "rotation",
  nesting: "single",
  block: block(
    "Scheduled rotation: when due, the next apply rolls the secret (a new generation, same token).",
    [
      required("every", "string", "How often the secret is rolled, e.g. `90d`."),
      optional(
        "overlap",
        "string",
        "How long the previous secret keeps working after a roll (default `48h`).",
      ),
    ],
  ),
};

/** One list block per destination kind (`github_secret`, `gitlab_variable`, `file`), as each kind declares it. */
const deliveryBlocks: NestedBlockSchema[] = allKinds().map(({ terraform }) => ({
  typeName: terraform.typeName,
  nesting: "list",
  block: block(terraform.description, terraform.attributes),
}));

/** `resource "tokenform_token"`: one TokenSpec entry, its deliveries included. Never holds the secret. */
export const tokenResourceSchema: Schema = {
  version: 0,
  block: block(
    "One MCP API token. The secret is delivered to the configured destinations during apply and never stored in state or plan; state keeps its fingerprint.",
    [
      computed("id", "string", "Token id in the token service (`tok_…`); `terraform import` takes it."),
      required("name", "string", "Name, unique per account, e.g. `backend-ci-pipeline`."),
      defaulted("description", "string", "What the token is for (default empty)."),
      defaulted(
        "type",
        "string",
        "`mcp` (read-only by default), `agent` or `admin` (default `mcp`). Changing it replaces the token.",
      ),
      optional("scopes", STRING_SET, "Granted scopes, `resource:action` (e.g. `contexts:read`, `tools:*`)."),
      defaulted(
        "read_only",
        "bool",
        "Refuse write requests. Defaults to true for `mcp` tokens, false otherwise.",
      ),
      optional("ip_allowlist", STRING_SET, "IPv4/IPv6 addresses or CIDR ranges allowed to use the token."),
      optional(
        "tools",
        STRING_SET,
        "MCP tools the token may call: names or `*` patterns (e.g. `search_*`). Unset: any tool its type and scopes allow; empty: none.",
      ),
      optional(
        "labels",
        STRING_MAP,
        "Key/value labels. tokenform.dev/* keys are reserved (the owner label is set from the provider).",
      ),
      defaulted("enabled", "bool", "Disabled tokens exist but cannot authenticate (default true)."),
      optional(
        "expires_in",
        "string",
        "Lifetime from creation (or from the last roll), e.g. `180d`, or `never`.",
      ),
      defaulted(
        "expires_at",
        "string",
        "Absolute expiry (RFC 3339). Computed from expires_in when that is set.",
      ),
      defaulted(
        "on_remove",
        "string",
        "On destroy: `disable-then-delete` (default), `delete`, or `orphan` (stop managing, keep the token).",
      ),
      defaulted(
        "removal_grace",
        "string",
        "How long a disabled token waits before deletion with disable-then-delete (default `7d`).",
      ),
      optional(
        "adopt",
        "bool",
        "Take over a token of this name that another owner (or no tokenform configuration) holds, or that `terraform import` brings in from another owner: apply relabels it with this provider's owner and keeps its id. Without it such a token is an error that names its owner.",
      ),
      optional(
        "rotate_trigger",
        "string",
        "Change this value (e.g. a date) to roll the secret on the next apply.",
      ),
      computed(
        "display_prefix",
        "string",
        "Type prefix and first characters of the current secret, e.g. `mcp_sk_AbCd`.",
      ),
      computed(
        "fingerprint",
        "string",
        "`sha256:` + 16 hex of the current secret: what state keeps instead of the secret.",
      ),
      computed(
        "owner",
        "string",
        "The token's owner (its tokenform.dev/owner label): the provider's owner once applied; another owner's only after an import with adopt.",
      ),
      computed("status", "string", "pending, active, disabled or expired."),
      computed("created_at", "string", "Creation time (RFC 3339)."),
      computed("generation", "number", "Secret generation: 1 at creation, +1 on every roll."),
      computed("rotated_at", "string", "Time of the last roll (the creation time before the first)."),
      computed("delivered", STRING_LIST, "Destination ids holding the current secret generation."),
    ],
    [rateLimitBlock, rotationBlock, ...deliveryBlocks],
  ),
};

/** Attributes of one token in the `tokenform_tokens` data source. */
export const TOKEN_LISTING_TYPE: TfType = [
  "object",
  {
    id: "string",
    name: "string",
    description: "string",
    type: "string",
    owner: "string",
    scopes: STRING_LIST,
    read_only: "bool",
    ip_allowlist: STRING_LIST,
    tools: STRING_LIST,
    labels: STRING_MAP,
    status: "string",
    enabled: "bool",
    display_prefix: "string",
    fingerprint: "string",
    generation: "number",
    created_at: "string",
    rotated_at: "string",
    expires_at: "string",
    last_used_at: "string",
    request_count: "number",
  },
];

/** `data "tokenform_tokens"`: tokens in the service, filtered. */
export const tokensDataSourceSchema: Schema = {
  version: 0,
  block: block("Lists tokens in the token service with their usage (never their secrets).", [
    optional(
      "owner",
      "string",
      "Only tokens with this owner label. Default: the provider's owner; `*` lists every owner.",
    ),
    optional("labels", STRING_MAP, "Only tokens carrying all of these labels."),
    optional("status", "string", "Only tokens in this status: pending, active, disabled or expired."),
    optional("type", "string", "Only tokens of this type: mcp, agent or admin."),
    computed("ids", STRING_LIST, "Ids of the matching tokens, sorted by name."),
    computed(
      "tokens",
      ["list", TOKEN_LISTING_TYPE],
      "The matching tokens, sorted by name, with last_used_at and request_count.",
    ),
  ]),
};

/** The whole schema in the format of `terraform providers schema -json`, plus `provider_versions`. */
export interface ProvidersSchemaJson {
  format_version: "1.0";
  provider_schemas: Record<
    string,
    {
      provider: SchemaJson;
      resource_schemas: Record<string, SchemaJson>;
      data_source_schemas: Record<string, SchemaJson>;
    }
  >;
  provider_versions: Record<string, string>;
}

/** Builds the `terraform providers schema -json` document from the same schemas the gRPC server sends. */
export function providersSchemaJson(version: string): ProvidersSchemaJson {
  return {
    format_version: "1.0",
    provider_schemas: {
      [PROVIDER_ADDRESS]: {
        provider: schemaToJson(providerSchema),
        resource_schemas: { [TOKEN_RESOURCE]: schemaToJson(tokenResourceSchema) },
        data_source_schemas: { [TOKENS_DATA_SOURCE]: schemaToJson(tokensDataSourceSchema) },
      },
    },
    provider_versions: { [PROVIDER_ADDRESS]: version },
  };
}
