/**
 * The TokenSet document (`apiVersion: tokenform.dev/v1`, `kind: TokenSet`) as zod schemas: the single
 * source of the TypeScript types, the runtime validation and the published JSON Schema.
 *
 * These schemas describe the document as written (no transforms), so `z.toJSONSchema` can publish them.
 * Cross-field rules that need the whole set (duplicate names, shared destinations, defaults merged in)
 * live in `validate.ts`; turning a valid document into resolved tokens lives in `resolve.ts`.
 */
import { z } from "zod";
import { DURATION_PATTERN } from "./duration.js";

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

/** Token names: lowercase slugs such as `alice-cursor-dev` (seeds: developer-tool-purpose). */
export const TOKEN_NAME_PATTERN = "^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$";
/** Scopes are `resource:action`, either part may be `*`; a lone `*` grants everything. */
export const SCOPE_PATTERN = "^(?:\\*|(?:\\*|[a-z][a-z0-9_.-]*):(?:\\*|[a-z][a-z0-9_.-]*))$";
/** Owner of a set: `org/team` style, also used as the owner label value in the service. */
export const OWNER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)*$";
/** GitHub secret names: letters, digits and `_`, not starting with a digit (the `GITHUB_` rule is in validate). */
export const GITHUB_SECRET_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
/** GitHub `owner/repo`. */
export const GITHUB_REPOSITORY_PATTERN = "^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$";
/** GitLab CI/CD variable keys: `[A-Za-z0-9_]`, at most 255 characters. */
export const GITLAB_KEY_PATTERN = "^[A-Za-z0-9_]{1,255}$";

const duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { message: "expected a duration such as 15m, 48h or 90d" })
  .describe("A duration: digits followed by s, m, h, d or w (e.g. `15m`, `48h`, `90d`, `1d12h`).");

const scope = z
  .string()
  .regex(new RegExp(SCOPE_PATTERN), { message: "expected a scope such as contexts:read, tools:* or *" })
  .describe("`resource:action`; either part may be `*`.");

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
    overlap: duration.optional().describe("How long the previous secret keeps working after a roll (default 48h)."),
  })
  .describe("Scheduled rotation.");

/** Expiry: a relative duration from creation, an absolute time, or `never`. */
const expiresIn = z.union([z.literal("never"), duration]).describe("Lifetime from creation, or `never`.");
const expiresAt = z.iso.datetime({ offset: true }).describe("Absolute expiry time (RFC 3339).");

/** A GitHub Actions secret: repository, environment or organisation secret. */
export const GithubDeliverySchema = z
  .strictObject({
    repository: z
      .string()
      .regex(new RegExp(GITHUB_REPOSITORY_PATTERN), { message: "expected owner/repo" })
      .optional()
      .describe("Repository (`owner/repo`) for a repository or environment secret."),
    environment: z.string().min(1).max(255).optional().describe("Deployment environment (with `repository`)."),
    organization: z.string().min(1).optional().describe("Organisation for an organisation secret."),
    visibility: z
      .enum(["all", "private", "selected"])
      .optional()
      .describe("Which repositories may use an organisation secret."),
    repositories: z
      .array(z.string().min(1))
      .optional()
      .describe("Repository names that may use an organisation secret with `visibility: selected`."),
    secret: z
      .string()
      .regex(new RegExp(GITHUB_SECRET_PATTERN), {
        message: "GitHub secret names may contain only letters, digits and _ and must not start with a digit",
      })
      .describe("Secret name."),
  })
  .describe("Deliver to a GitHub Actions secret.");

/** A GitLab CI/CD variable on a project or a group. */
export const GitlabDeliverySchema = z
  .strictObject({
    project: z
      .union([z.string().min(1), z.int().positive()])
      .optional()
      .describe("Project path (`group/project`) or numeric id."),
    group: z.union([z.string().min(1), z.int().positive()]).optional().describe("Group path or numeric id."),
    variable: z
      .string()
      .regex(new RegExp(GITLAB_KEY_PATTERN), {
        message: "GitLab variable keys may contain only A-Z, a-z, 0-9 and _ (at most 255)",
      })
      .describe("Variable key."),
    environmentScope: z.string().min(1).optional().describe("Environment scope (default `*`)."),
    protected: z.boolean().optional().describe("Only exported to protected branches and tags (default false)."),
    masked: z.boolean().optional().describe("Masked in job logs (default true)."),
    hidden: z.boolean().optional().describe("Masked and hidden in the UI; can only be set at creation."),
    raw: z.boolean().optional().describe("Not expanded (default true)."),
  })
  .describe("Deliver to a GitLab CI/CD variable.");

/** A local file, written 0600 by atomic replace; refused inside a git work tree unless git-ignored. */
export const FileDeliverySchema = z
  .strictObject({
    path: z.string().min(1).describe("File path; `~` is the home directory."),
    format: z
      .enum(["env", "raw"])
      .optional()
      .describe("`env` writes `KEY=value` (default), `raw` writes the bare secret."),
    key: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected an environment variable name" })
      .optional()
      .describe("Variable name for `format: env` (default derived from the token name)."),
  })
  .describe("Deliver to a local file.");

/** One destination: exactly one of `github`, `gitlab`, `file`. */
export const DeliverySchema = z.union([
  z.strictObject({ github: GithubDeliverySchema }),
  z.strictObject({ gitlab: GitlabDeliverySchema }),
  z.strictObject({ file: FileDeliverySchema }),
]);

/** Label keys and values follow Kubernetes' rules (prefix/name ≤ 63, value ≤ 63). */
export const LABEL_NAME_PATTERN = "^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$";
export const LABEL_VALUE_PATTERN = "^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$";
const labels = z.record(z.string(), z.string()).describe("Key/value labels (Kubernetes label rules).");

/** Settings shared by `defaults` and each token. */
const common = {
  description: z.string().max(1000).optional().describe("What the token is for."),
  type: z.enum(TOKEN_TYPES).optional().describe("`mcp` (read-only by default), `agent` or `admin`."),
  scopes: z.array(scope).optional().describe("Granted scopes."),
  readOnly: z.boolean().optional().describe("Refuse write scopes. Defaults to true for `mcp` keys."),
  ipAllowlist: z.array(z.string()).optional().describe("IPv4/IPv6 addresses or CIDR ranges allowed to use the key."),
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
    name: z
      .string()
      .regex(new RegExp(TOKEN_NAME_PATTERN), {
        message: "token names are lowercase letters, digits, '.', '_' and '-' (at most 64), e.g. alice-cursor-dev",
      })
      .describe("Unique name within the set, e.g. `alice-cursor-dev`."),
    ...common,
    enabled: z.boolean().optional().describe("Disabled tokens exist but cannot authenticate (default true)."),
    deliver: z.array(DeliverySchema).optional().describe("Where the secret is delivered."),
    rotate: z
      .string()
      .optional()
      .describe("Change this value (e.g. a date) to request a rotation on the next apply."),
  })
  .describe("One API token.");

/** Values merged into every token that does not set them. */
export const DefaultsSchema = z
  .strictObject({
    ...common,
    removalGrace: duration.optional().describe("How long a retired token stays disabled before deletion (default 7d)."),
  })
  .describe("Defaults merged into every token.");

/** The whole document. */
export const TokenSetSchema = z
  .strictObject({
    $schema: z.string().optional(),
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
export type GithubDelivery = z.infer<typeof GithubDeliverySchema>;
export type GitlabDelivery = z.infer<typeof GitlabDeliverySchema>;
export type FileDelivery = z.infer<typeof FileDeliverySchema>;
export type Delivery = z.infer<typeof DeliverySchema>;
export type TokenSpec = z.infer<typeof TokenSpecSchema>;
export type Defaults = z.infer<typeof DefaultsSchema>;
export type TokenSet = z.infer<typeof TokenSetSchema>;
/** The document as a CDKTF user or a test writes it in TypeScript (same shape as YAML). */
export type TokenSetInput = z.input<typeof TokenSetSchema>;
