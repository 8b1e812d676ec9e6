/**
 * The TokenSet document (`apiVersion: tokenform.dev/v1`, `kind: TokenSet`) as zod schemas: the single
 * source of the TypeScript types, the runtime validation and the published JSON Schema.
 *
 * These schemas describe the document as written: no transforms and no defaults, so `z.toJSONSchema` can
 * publish them and a subtree that passes is already a valid value of its type. Rules a JSON Schema cannot
 * state (CIDRs, label keys, "exactly one of") are refinements here that carry a diagnostic code in
 * `params.code` (and `params.at: "key"` when the key, not the value, is at fault). Rules that need the
 * whole set or defaults merged in (duplicate names, shared destinations, write scopes on read-only keys)
 * live in `validate.ts`; turning a valid document into resolved tokens lives in `resolve.ts`.
 */
import { z } from "zod";
import {
  DESTINATION_KIND_NAMES,
  DESTINATION_KINDS,
  type Delivery,
  type DestinationKindName,
} from "../destinations/registry.js";
import { HEADER_STYLES, MCP_CLIENTS } from "../mcp-clients/clients.js";
import { DURATION_PATTERN, isDuration, parseDuration } from "./duration.js";
import { MAX_NAME_LENGTH, nameProblem } from "./identifiers.js";
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_IP_ALLOWLIST,
  MAX_LABELS,
  MAX_SCOPES,
  MAX_TOOL_PATTERNS,
} from "./limits.js";
import { report } from "./report.js";
import { checkCidr, labelKeyProblem, labelValueProblem } from "./values.js";

/** The only apiVersion this release reads. */
export const API_VERSION = "tokenform.dev/v1";
/** The only kind of document this release reads. */
export const KIND = "TokenSet";

/** Token types. `mcp` keys are read-only unless `readOnly: false` is explicit. */
export const TOKEN_TYPES = ["mcp", "agent", "admin"] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/** What happens to a token that disappears from the spec. */
export const ON_REMOVE = ["disable-then-delete", "delete", "orphan"] as const;
export type OnRemove = (typeof ON_REMOVE)[number];

/** Scopes are `resource:action`, either part may be `*`; a lone `*` grants everything. */
export const SCOPE_PATTERN = "^(?:\\*|(?:\\*|[a-z][a-z0-9_.-]*):(?:\\*|[a-z][a-z0-9_.-]*))$";
/**
 * Entries of a token's `tools` allowlist: an MCP tool name or a pattern where `*` stands for any run of
 * characters (`search_*`). The characters are those MCP recommends for tool names (letters, digits, `_`,
 * `-`, `.`) plus `/` and `:`, which some servers use as namespace separators; at most 128 (MCP's limit).
 */
export const TOOL_PATTERN = "^[A-Za-z0-9_.:/*-]{1,128}$";
/** Owner of a set: `org/team` style, also used as the owner label value in the service. */
export const OWNER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*$";
export {
  GITHUB_ORGANIZATION_PATTERN,
  GITHUB_REPOSITORY_PATTERN,
  GITHUB_RESERVED_SECRET_PREFIX,
  GITHUB_SECRET_PATTERN,
} from "../destinations/github/index.js";
export { GITLAB_KEY_PATTERN } from "../destinations/gitlab/index.js";

/**
 * A token's holder: the person the key is for, as the service records it and `tokenform pickup --holder`
 * names it — a user name or an e-mail address (`alice`, `alice@example.com`).
 */
export const HOLDER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$";
/** A server's name in an MCP client's configuration (`mcpServers.<name>`). */
export const CLIENT_SERVER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";

/** Rotation overlap when a spec gives none (the seeds: "monitor for 24–48 hours"). */
export const DEFAULT_ROTATION_OVERLAP = "48h";
/** How long a token removed from the spec stays disabled before it is deleted, when not set. */
export const DEFAULT_REMOVAL_GRACE = "7d";

export type { IssueParams } from "./report.js";

/**
 * A token name: printable Unicode text of 1 to 128 characters, no control, bidi-override or invisible
 * characters, no leading or trailing spaces (`src/spec/identifiers.ts`, shared with the API).
 */
const tokenName = z
  .string()
  .superRefine((name, ctx) => {
    const problem = nameProblem(name);
    if (problem) report(ctx, "invalid_name", `${problem}, e.g. alice-cursor-dev or "Cursor MCP"`);
  })
  // JSON Schema counts characters (code points), as nameProblem does.
  .meta({ minLength: 1, maxLength: MAX_NAME_LENGTH });

const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { message: "expected a duration such as 15m, 48h or 90d" })
  .superRefine((text, ctx) => {
    if (isDuration(text) && parseDuration(text) === undefined) {
      report(
        ctx,
        "invalid_duration",
        "this duration is too long to be meant; use at most a few years (e.g. 730d)",
      );
    }
  })
  .describe("A duration: digits followed by s, m, h, d or w (e.g. `15m`, `48h`, `90d`, `1d12h`).");

const scope = z
  .string()
  .regex(new RegExp(SCOPE_PATTERN), { message: "expected a scope such as contexts:read, tools:* or *" })
  .describe("`resource:action`; either part may be `*`.");

const toolPattern = z
  .string()
  .regex(new RegExp(TOOL_PATTERN), {
    message:
      "expected an MCP tool name or a pattern such as search_* (letters, digits, _ - . / : and *, at most 128)",
  })
  .describe("An MCP tool name, or a pattern where `*` matches any characters (e.g. `search_*`).");

/** Rate limits for one key (the per-account limit is the service's configuration). */
export const RateLimitSchema = z
  .strictObject({
    perMinute: z.int().positive().optional().describe("Requests allowed per minute for this key."),
    perHour: z.int().positive().optional().describe("Requests allowed per hour for this key."),
  })
  .describe("Per-key rate limits.");

/** Rotation policy: roll every `every`, keep the previous secret valid for `overlap`. */
export const RotationSchema = z
  .strictObject({
    every: duration.describe("How often the secret is rolled."),
    overlap: duration
      .optional()
      .describe("How long the previous secret keeps working after a roll (default 48h)."),
  })
  .superRefine((rotation, ctx) => {
    const every = parseDuration(rotation.every);
    const overlap = parseDuration(rotation.overlap ?? DEFAULT_ROTATION_OVERLAP);
    if (every === undefined || overlap === undefined || overlap < every) return;
    if (rotation.overlap === undefined) {
      report(
        ctx,
        "overlap_not_shorter",
        `the overlap defaults to ${DEFAULT_ROTATION_OVERLAP}, which is not shorter than every: ${rotation.every}; ` +
          "set a shorter overlap (the old secret must stop working before the next roll)",
        ["every"],
      );
    } else {
      report(
        ctx,
        "overlap_not_shorter",
        `overlap ${rotation.overlap} must be shorter than every: ${rotation.every} (the old secret must stop working before the next roll)`,
        ["overlap"],
      );
    }
  })
  .describe("Scheduled rotation.");

/** Expiry: a relative duration from creation, an absolute time, or `never`. */
const expiresIn = z.union([z.literal("never"), duration]).describe("Lifetime from creation, or `never`.");
const expiresAt = z.iso
  .datetime({ offset: true, error: "expected an RFC 3339 time such as 2030-06-30T00:00:00Z" })
  .describe("Absolute expiry time (RFC 3339).");

export const holderSchema = z
  .string()
  .regex(new RegExp(HOLDER_PATTERN), {
    message: "expected the holder's user name or e-mail address, e.g. alice or alice@example.com",
  })
  .describe("The person the key is for (a user name or e-mail address), e.g. `alice@example.com`.");

/**
 * Where a holder picks their key up into: an entry of an MCP client's own configuration file, written by
 * `tokenform pickup` on the holder's machine (src/mcp-clients).
 */
export const PickupTargetSchema = z
  .strictObject({
    client: z
      .enum(MCP_CLIENTS)
      .describe("The MCP client: `cursor`, `claude-desktop`, `vscode` or `windsurf`."),
    server: z
      .string()
      .regex(new RegExp(CLIENT_SERVER_PATTERN), {
        message: "expected a server name such as acme-tools (letters, digits, _ . -; at most 64)",
      })
      .describe("The server's name in the client's configuration, e.g. `acme-tools`."),
    url: z
      .string()
      .max(2048)
      .superRefine((text, ctx) => {
        let url: URL | undefined;
        try {
          url = new URL(text);
        } catch {
          url = undefined;
        }
        if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:") || url.username) {
          report(
            ctx,
            "invalid_url",
            "expected the MCP server's http(s) URL, e.g. https://mcp.example.com/mcp",
          );
        }
      })
      .describe("The MCP server's URL."),
    header: z
      .enum(HEADER_STYLES)
      .optional()
      .describe("How the client sends the key: `bearer` (default), `x-api-key` or `api-token`."),
  })
  .describe("An MCP client configuration entry the holder's `tokenform pickup` writes the key into.");

/** `pickup:` of a token: one destination on the holder's own machine. */
export const PickupSchema = z
  .strictObject({ mcpClient: PickupTargetSchema })
  .describe(
    "The key is not delivered by apply: its holder picks it up with `tokenform pickup`, approved by an admin (`tokenform approve CODE`) or by the holder's own key.",
  );

/** Each destination kind's block (`src/destinations`), built with this module's zod. */
const DELIVERY_BLOCK_SCHEMAS = Object.fromEntries(
  DESTINATION_KIND_NAMES.map((name) => [name, DESTINATION_KINDS[name].spec.schema(z)]),
) as unknown as { [K in DestinationKindName]: ReturnType<(typeof DESTINATION_KINDS)[K]["spec"]["schema"]> };

/** A GitHub Actions secret: repository, environment or organisation secret. */
export const GithubDeliverySchema = DELIVERY_BLOCK_SCHEMAS.github;
/** A GitLab CI/CD variable on a project or a group. */
export const GitlabDeliverySchema = DELIVERY_BLOCK_SCHEMAS.gitlab;
/** A local file, written 0600 by atomic replace; refused inside a git work tree unless git-ignored. */
export const FileDeliverySchema = DELIVERY_BLOCK_SCHEMAS.file;

/** One destination: exactly one of the kinds' blocks (`github`, `gitlab`, `file`), under the kind's name. */
export const DeliverySchema = z.union(
  DESTINATION_KIND_NAMES.map((name) => z.strictObject({ [name]: DELIVERY_BLOCK_SCHEMAS[name] })),
) as unknown as z.ZodType<Delivery, Delivery>;

const labels = z
  .record(z.string(), z.string())
  .superRefine((record, ctx) => {
    const entries = Object.entries(record);
    if (entries.length > MAX_LABELS) {
      report(ctx, "out_of_range", `a token has at most ${MAX_LABELS} labels (this has ${entries.length})`);
      return;
    }
    for (const [key, value] of entries) {
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) {
        report(
          ctx,
          keyProblem.reserved ? "reserved_label" : "invalid_label_key",
          keyProblem.message,
          [key],
          "key",
        );
      }
      const valueProblem = labelValueProblem(value);
      if (valueProblem) report(ctx, "invalid_label_value", valueProblem, [key]);
    }
  })
  .meta({ maxProperties: MAX_LABELS })
  .describe("Key/value labels (Kubernetes label rules; the tokenform.dev/ prefix is reserved).");

const cidr = z
  .string()
  .superRefine((entry, ctx) => {
    const check = checkCidr(entry);
    if (!check.ok) report(ctx, "invalid_cidr", check.message);
  })
  .describe("An IPv4/IPv6 address or CIDR range, e.g. `203.0.113.0/24` or `2001:db8::/32`.");

/** Refuses `expiresIn` and `expiresAt` together (one expiry per token). */
function oneExpiry(
  value: { expiresIn?: unknown; expiresAt?: unknown },
  ctx: Parameters<typeof report>[0],
): void {
  if (value.expiresIn !== undefined && value.expiresAt !== undefined) {
    report(
      ctx,
      "conflicting_expiry",
      "set expiresIn or expiresAt, not both (expiresIn: never for no expiry)",
      ["expiresAt"],
      "key",
    );
  }
}

/**
 * A picked-up key is for one person and reaches only their machine: `pickup` needs a `holder`, and apply
 * delivers such a key nowhere else (it never sees its secret).
 */
function pickupRules(
  value: { pickup?: unknown; holder?: unknown; deliver?: unknown[] },
  ctx: Parameters<typeof report>[0],
): void {
  if (value.pickup === undefined) return;
  if (value.holder === undefined) {
    report(
      ctx,
      "pickup_without_holder",
      "a key picked up with `tokenform pickup` needs a holder: the person who picks it up (e.g. holder: alice@example.com)",
      ["pickup"],
      "key",
    );
  }
  if (value.deliver !== undefined && value.deliver.length > 0) {
    report(
      ctx,
      "pickup_with_deliver",
      "a key its holder picks up is delivered nowhere else: apply never sees its secret; remove deliver, or declare a second token",
      ["deliver"],
      "key",
    );
  }
}

/** Settings shared by `defaults` and each token. */
const common = {
  description: z.string().max(MAX_DESCRIPTION_LENGTH).optional().describe("What the token is for."),
  type: z.enum(TOKEN_TYPES).optional().describe("`mcp` (read-only by default), `agent` or `admin`."),
  scopes: z.array(scope).max(MAX_SCOPES).optional().describe("Granted scopes."),
  readOnly: z.boolean().optional().describe("Refuse write scopes. Defaults to true for `mcp` keys."),
  ipAllowlist: z
    .array(cidr)
    .max(MAX_IP_ALLOWLIST)
    .optional()
    .describe("IPv4/IPv6 addresses or CIDR ranges allowed to use the key."),
  tools: z
    .array(toolPattern)
    .max(MAX_TOOL_PATTERNS)
    .optional()
    .describe(
      "MCP tools the key may call: names or `*` patterns (e.g. `get_status`, `search_*`). Absent: any tool its type and scopes allow; `[]`: none.",
    ),
  rateLimit: RateLimitSchema.optional(),
  labels: labels.optional(),
  expiresIn: expiresIn.optional(),
  expiresAt: expiresAt.optional(),
  rotation: z.union([z.literal("never"), RotationSchema]).optional(),
  onRemove: z.enum(ON_REMOVE).optional().describe("What to do when the token is removed from the spec."),
} as const;

/** One token entry. */
export const TokenSpecSchema = z
  .strictObject({
    name: tokenName.describe(
      "Unique name within the set (compared ignoring case), e.g. `alice-cursor-dev` or `Cursor MCP`.",
    ),
    ...common,
    enabled: z.boolean().optional().describe("Disabled tokens exist but cannot authenticate (default true)."),
    deliver: z.array(DeliverySchema).optional().describe("Where the secret is delivered."),
    holder: holderSchema.optional(),
    pickup: PickupSchema.optional(),
    rotate: z
      .string()
      .optional()
      .describe("Change this value (e.g. a date) to request a rotation on the next apply."),
    renamedFrom: tokenName
      .optional()
      .describe(
        "The token's previous name: the existing token is renamed, keeping its secret, and a file destination without `key` keeps the variable name it had.",
      ),
    adopt: z
      .boolean()
      .optional()
      .describe(
        "Take over an existing token of this name that another owner manages, or that nobody does (default false: such a name is a plan error).",
      ),
  })
  .superRefine(oneExpiry)
  .superRefine(pickupRules)
  .describe("One API token.");

/** Values merged into every token that does not set them. */
export const DefaultsSchema = z
  .strictObject({
    ...common,
    removalGrace: duration
      .optional()
      .describe("How long a retired token stays disabled before deletion (default 7d)."),
  })
  .superRefine(oneExpiry)
  .describe("Defaults merged into every token.");

/** The whole document. */
export const TokenSetSchema = z
  .strictObject({
    $schema: z.string().optional().describe("JSON Schema of this document, for editors."),
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KIND),
    metadata: z.strictObject({
      owner: z
        .string()
        .regex(new RegExp(OWNER_PATTERN), { message: "expected an owner such as acme/platform-infra" })
        .describe("Only tokens labelled with this owner are ever touched."),
      name: z.string().optional().describe("A name for the set (informational)."),
    }),
    defaults: DefaultsSchema.optional(),
    tokens: z.array(TokenSpecSchema).describe("The tokens this set declares."),
  })
  .describe("A set of MCP API tokens managed by tokenform.");

export type RateLimit = z.infer<typeof RateLimitSchema>;
export type Rotation = z.infer<typeof RotationSchema>;
export type { FileDelivery } from "../destinations/file/index.js";
export type { GithubDelivery } from "../destinations/github/index.js";
export type { GitlabDelivery } from "../destinations/gitlab/index.js";
export type { Delivery } from "../destinations/registry.js";
export type TokenSpec = z.infer<typeof TokenSpecSchema>;
export type PickupTarget = z.infer<typeof PickupTargetSchema>;
export type Defaults = z.infer<typeof DefaultsSchema>;
export type TokenSet = z.infer<typeof TokenSetSchema>;
/** The document as a CDKTF user or a test writes it in TypeScript (same shape as YAML). */
export type TokenSetInput = z.input<typeof TokenSetSchema>;
