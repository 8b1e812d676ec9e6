/**
 * The management API contract (v1) as zod schemas: one source for the server's request validation, the
 * client's response types and the OpenAPI 3.1 document (`src/api/openapi.json`, generated from these).
 * The token service (`src/service`) and every front end import the types from here.
 */
import { z } from "zod";
import { checkCidr } from "../spec/address.js";
import { DURATION_PATTERN } from "../spec/duration.js";
import { MAX_NAME_LENGTH, nameProblem } from "../spec/identifiers.js";
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_DESTINATIONS,
  MAX_IP_ALLOWLIST,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABELS,
  MAX_SCOPES,
  MAX_TOOL_PATTERNS,
} from "../spec/limits.js";
import {
  holderSchema,
  OWNER_PATTERN,
  PickupTargetSchema,
  SCOPE_PATTERN,
  TOKEN_TYPES,
  TOOL_PATTERN,
} from "../spec/schema.js";
import { findSecrets } from "../spec/secrets.js";

/** Label key under which the owning TokenSet (`metadata.owner`) is recorded on a token. */
export const OWNER_LABEL = "tokenform.dev/owner";
/**
 * Set by the token service when the token's secret was reported leaked (src/service/leaks.ts), to the
 * time of the report; the owner's next plan rolls it with no overlap, and the roll's labels drop it.
 */
export const LEAKED_AT_LABEL = "tokenform.dev/leaked-at";
/**
 * Prefix of the labels tokenform writes (owner, applied settings hash, removal policy, …). On an existing
 * token the service lets them change only in a write that declares the token's owner (`OWNER_HEADER`).
 */
export const RESERVED_LABEL_PREFIX = "tokenform.dev/";
/**
 * Request header by which tokenform's own writers (apply, the Action, the Terraform provider) declare the
 * TokenSet owner they write for. Only such a write may change a token's `tokenform.dev/*` labels, and its
 * audit entry says so (`APPLIED_FOR_CHANGE`); it is a declaration, not a credential (see README: ownership).
 */
export const OWNER_HEADER = "Tokenform-Owner";
/** The audit `changes` key recording the owner a write declared (`{from: null, to: owner}`). */
export const APPLIED_FOR_CHANGE = "appliedFor";
/** A valid `OWNER_HEADER` value: a TokenSet owner as the spec writes it. */
export const OWNER_VALUE = new RegExp(OWNER_PATTERN);
/**
 * Names of the short-lived admin keys an embedded service mints for one process start with this. Plans
 * treat audit entries by any of them as tokenform's own actions (each CLI run has a different session key).
 */
export const EMBEDDED_SESSION_PREFIX = "embedded-session-";

export const TokenStatusSchema = z
  .enum(["pending", "active", "disabled", "expired"])
  .describe("`pending` until delivery is confirmed; `expired` once `expiresAt` has passed.");
export type TokenStatus = z.infer<typeof TokenStatusSchema>;

const Timestamp = z.iso.datetime({ offset: true });
const Duration = z.string().regex(new RegExp(DURATION_PATTERN));

export const ApiRateLimitSchema = z.object({
  perMinute: z
    .int()
    .positive()
    .nullable()
    .describe("Requests per minute for this key; null = service default."),
  perHour: z
    .int()
    .positive()
    .nullable()
    .describe("Requests per hour for this key; null = no per-key hourly limit."),
});

/** Where a token's secret was delivered: recorded on the token so plans need no local state. */
export const DeliveryRecordSchema = z.object({
  destination: z.string().describe("Stable destination id (see `destinationId` in src/spec/resolved.ts)."),
  generation: z.int().nonnegative().describe("Secret generation that was delivered there."),
  fingerprint: z.string().describe("Fingerprint of the delivered secret (`sha256:` + 16 hex)."),
  deliveredAt: Timestamp,
  version: z
    .string()
    .optional()
    .describe(
      "The destination's own id of what was written (a Vault KV version, an AWS version id, …), when it has one.",
    ),
  target: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "The resolved destination (where, never what), so one dropped from the spec can still be cleaned up.",
    ),
});
export type DeliveryRecord = z.infer<typeof DeliveryRecordSchema>;

/** A previous secret still inside its rotation overlap. */
export const PreviousSecretSchema = z.object({
  displayPrefix: z.string(),
  fingerprint: z.string(),
  generation: z.int().nonnegative(),
  expiresAt: Timestamp.nullable().describe(
    "When the previous secret stops working; null = still valid (no end).",
  ),
});

/** A token's pickup target (as the spec writes it) and whether a secret waits for its holder. */
export const TokenPickupSchema = z.object({
  client: PickupTargetSchema.shape.client,
  server: z.string(),
  url: z.string(),
  header: z.enum(["bearer", "x-api-key", "api-token"]),
  waitingSince: Timestamp.nullable().describe(
    "When a secret started waiting for the holder's pickup (created, or rolled); null when nothing waits.",
  ),
  pickedUpAt: Timestamp.nullable().describe("When a secret was last released to the holder's pickup."),
  deliveredAt: Timestamp.nullable().describe("When the holder's CLI last confirmed writing it."),
});
export type TokenPickupView = z.infer<typeof TokenPickupSchema>;

/** The token resource as the API returns it. Never contains a secret. */
export const TokenSchema = z.object({
  id: z.string().describe("Opaque stable id, e.g. `tok_…`."),
  account: z.string().describe("Account the token belongs to."),
  name: z.string(),
  description: z.string(),
  type: z.enum(TOKEN_TYPES),
  scopes: z.array(z.string()),
  readOnly: z.boolean(),
  labels: z.record(z.string(), z.string()),
  ipAllowlist: z.array(z.string()),
  tools: z
    .array(z.string())
    .nullable()
    .default(null)
    .describe(
      "MCP tools the key may call (names or `*` patterns); null = any tool its type and scopes allow. Absent from services that predate tool allowlists.",
    ),
  rateLimit: ApiRateLimitSchema,
  status: TokenStatusSchema,
  enabled: z.boolean().describe("The switch an admin sets; `status` also reflects pending and expiry."),
  displayPrefix: z
    .string()
    .describe("Type prefix and first characters of the current secret, e.g. `mcp_sk_AbCd`."),
  fingerprint: z.string().describe("`sha256:` + 16 hex of the current secret: safe to store and compare."),
  generation: z.int().positive().describe("1 at creation, +1 on every roll."),
  previousSecrets: z
    .array(PreviousSecretSchema)
    .describe("Older secrets still valid during a rotation overlap."),
  deliveries: z.array(DeliveryRecordSchema),
  destinations: z
    .array(z.string())
    .default([])
    .describe(
      "Destinations this token holds (claim ids, see `claimId` in src/spec/resolved.ts): no other token of the account may claim them, except one with the same owner label (a hand-over). Absent from services that predate claims.",
    ),
  createdAt: Timestamp,
  createdBy: z.string().describe("Name of the admin token that created it."),
  updatedAt: Timestamp,
  rotatedAt: Timestamp.describe("Time of the last roll (createdAt before the first)."),
  expiresAt: Timestamp.nullable(),
  pendingExpiresAt: Timestamp.nullable().describe(
    "For pending tokens: when the unconfirmed token is discarded. For an active token with a pending roll: " +
      "when the unconfirmed new secret (the one displayPrefix/fingerprint/generation describe) is discarded.",
  ),
  lastUsedAt: Timestamp.nullable(),
  lastUsedIp: z.string().nullable(),
  requestCount: z.int().nonnegative(),
  failedAttempts: z.int().nonnegative(),
  version: z.int().positive().describe('Incremented on every change; the `ETag` is `"<version>"`.'),
  holder: z
    .string()
    .nullable()
    .default(null)
    .describe(
      "The person the key is for; null when none is named. Absent from services that predate holders.",
    ),
  pickup: TokenPickupSchema.nullable()
    .default(null)
    .describe(
      "Where the holder picks the key up (`tokenform pickup`); null when apply delivers it. Absent from services that predate pickups.",
    ),
});
export type Token = z.infer<typeof TokenSchema>;

/**
 * Free text without control characters (tabs excepted): PostgreSQL text cannot hold U+0000, and no
 * description or label needs the others.
 */
const PlainText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, { message: "must not contain control characters" });

/**
 * A raw secret in free text is refused as the spec loader refuses it (the spec's own detector,
 * `findSecrets`): descriptions and labels are shown to everyone who may read tokens, in plans and logs.
 * The message names what it looks like and a short prefix, never the value.
 */
function refuseSecret(text: string, where: string, ctx: z.RefinementCtx): void {
  const finding = findSecrets(text)[0];
  if (!finding) return;
  ctx.addIssue({
    code: "custom",
    message:
      `${where} looks like a raw secret (${finding.kind}, starting "${finding.shown}…"); secrets never belong ` +
      "in descriptions or labels, which everyone who may read tokens sees: remove it, and revoke it if it is real",
  });
}

/**
 * Labels: counted before anything else (a body of 60 000 labels is refused without validating each), then
 * each key and value is bounded, free of control characters and of secrets.
 */
const Labels = z.preprocess(
  (value, ctx) => {
    if (value !== null && typeof value === "object" && Object.keys(value).length > MAX_LABELS) {
      ctx.addIssue({ code: "custom", message: `a token has at most ${MAX_LABELS} labels` });
    }
    return value;
  },
  z
    .record(PlainText(MAX_LABEL_KEY_LENGTH), PlainText(MAX_LABEL_VALUE_LENGTH))
    .superRefine((labels, ctx) => {
      for (const [key, value] of Object.entries(labels)) {
        refuseSecret(key, "a label key", ctx);
        refuseSecret(value, "a label value", ctx);
      }
    })
    .meta({ maxProperties: MAX_LABELS }),
  // The count check takes `unknown` in; the record after it says what goes in and out.
) as unknown as z.ZodType<Record<string, string>, Record<string, string>>;

/**
 * One IP allowlist entry, checked and normalised by the spec's rules (`src/spec/address.ts`): what
 * `tokenform validate` accepts the API accepts, written the same way (`::ffff:10.0.0.1` → `10.0.0.1/32`).
 */
const AllowlistEntry = z
  .string()
  .superRefine((entry, ctx) => {
    const check = checkCidr(entry);
    if (!check.ok) ctx.addIssue({ code: "custom", message: check.message });
  })
  .overwrite((entry) => {
    const check = checkCidr(entry);
    return check.ok ? check.cidr : entry;
  });

const settings = {
  description: PlainText(MAX_DESCRIPTION_LENGTH)
    .superRefine((text, ctx) => refuseSecret(text, "the description", ctx))
    .optional(),
  scopes: z
    .array(z.string().regex(new RegExp(SCOPE_PATTERN)))
    .max(MAX_SCOPES)
    .optional(),
  readOnly: z.boolean().optional(),
  labels: Labels.optional(),
  ipAllowlist: z.array(AllowlistEntry).max(MAX_IP_ALLOWLIST).optional(),
  tools: z
    .array(z.string().regex(new RegExp(TOOL_PATTERN)))
    .max(MAX_TOOL_PATTERNS)
    .nullable()
    .optional()
    .describe(
      "MCP tools the key may call (names or `*` patterns such as `search_*`); null = no restriction.",
    ),
  rateLimit: z
    .object({
      perMinute: z.int().positive().nullable().optional(),
      perHour: z.int().positive().nullable().optional(),
    })
    .optional(),
  expiresAt: Timestamp.nullable().optional(),
  enabled: z.boolean().optional(),
  deliveries: z.array(DeliveryRecordSchema).optional(),
  destinations: z
    .array(z.string().min(1).max(1024))
    .max(MAX_DESTINATIONS)
    .optional()
    .describe(
      "The destinations this token holds, replacing its claims: 409 when another owner's token holds one; a token with the same owner label hands it over.",
    ),
  holder: holderSchema.nullable().optional(),
  pickup: PickupTargetSchema.nullable()
    .optional()
    .describe(
      "Where the holder picks the key up (`tokenform pickup`): on create the secret is not returned but waits for the holder, and a roll opens a new pickup instead of returning one. null: apply delivers it.",
    ),
};

/**
 * A token name, by the spec's rules (`src/spec/identifiers.ts`): printable Unicode such as "Cursor MCP",
 * 1 to 128 characters, no control, bidi-override or invisible characters, no surrounding spaces. Unique
 * per account ignoring case (409).
 */
const TokenName = z
  .string()
  .superRefine((name, ctx) => {
    const problem = nameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({ minLength: 1, maxLength: MAX_NAME_LENGTH })
  .describe("Unique in the account, ignoring case, e.g. `alice-cursor-dev` or `Cursor MCP`.");

export const CreateTokenRequestSchema = z.strictObject({
  name: TokenName,
  type: z.enum(TOKEN_TYPES).default("mcp"),
  ...settings,
  expiresIn: Duration.optional().describe("Alternative to expiresAt: lifetime from now."),
  pending: z.boolean().optional().describe("Create pending: cannot authenticate until confirmed."),
});
export type CreateTokenRequest = z.input<typeof CreateTokenRequestSchema>;

export const CreateTokenResponseSchema = z.object({
  token: TokenSchema,
  secret: z
    .string()
    .optional()
    .describe(
      "The raw secret. Returned only here and by roll; absent for a token its holder picks up (`pickup`), whose secret is released to that pickup alone.",
    ),
});

export const UpdateTokenRequestSchema = z.strictObject({
  name: TokenName.optional(),
  ...settings,
});
export type UpdateTokenRequest = z.input<typeof UpdateTokenRequestSchema>;

export const ConfirmTokenRequestSchema = z.strictObject({
  deliveries: z.array(DeliveryRecordSchema).optional(),
});

export const RollTokenRequestSchema = z.strictObject({
  overlap: Duration.default("0s").describe(
    "How long the previous secret keeps working (`0s` = revoke it now).",
  ),
  pending: z.boolean().optional().describe("Roll pending: the new secret only works once confirmed."),
});
export type RollTokenRequest = z.input<typeof RollTokenRequestSchema>;

export const VerifyRequestSchema = z.strictObject({
  token: z.string().max(512),
  ip: z.string().optional().describe("Client IP to check against the allowlist."),
  scopes: z
    .array(z.string().max(256))
    .max(MAX_SCOPES)
    .optional()
    .describe("Scopes the request needs (all must be granted)."),
  write: z.boolean().optional().describe("The request modifies data (refused for read-only keys)."),
  tools: z
    .array(z.string().max(256))
    .max(MAX_TOOL_PATTERNS)
    .optional()
    .describe("MCP tools the request calls; each must be allowed by the key's `tools` list."),
  signature: z
    .strictObject({
      timestamp: z.string().max(32).describe("The request's `X-MCP-Timestamp` header (Unix seconds)."),
      signature: z.string().max(128).describe("The request's `X-MCP-Signature` header (hex HMAC-SHA256)."),
      method: z
        .string()
        .regex(/^[A-Za-z]{1,32}$/, "an HTTP method such as POST")
        .optional()
        .describe("The request's HTTP method (signed since version 2)."),
      path: z
        .string()
        .max(8192)
        .regex(/^\/[!-~]*$/, "the request target: a path with its query, in printable ASCII")
        .optional()
        .describe(
          "The request's path with its query, exactly as the request line carries it (signed since version 2).",
        ),
      body: z.string().describe("The exact request body the signature covers, base64-encoded."),
    })
    .optional()
    .describe('For keys that require signed requests (label `tokenform.dev/require-signature: "true"`).'),
});
export type VerifyRequest = z.input<typeof VerifyRequestSchema>;

/** Verification outcome codes. `VALID` is the only one with `valid: true`. */
export const VERIFY_CODES = [
  "VALID",
  "MISSING",
  "MALFORMED",
  "BAD_CHECKSUM",
  "NOT_FOUND",
  "DISABLED",
  "EXPIRED",
  "PENDING",
  "IP_NOT_ALLOWED",
  "INSUFFICIENT_SCOPE",
  "READ_ONLY",
  "TOOL_NOT_ALLOWED",
  "RATE_LIMITED",
  "BAD_SIGNATURE",
  "REPLAYED",
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export const RateLimitStateSchema = z.object({
  limit: z.int(),
  remaining: z.int(),
  reset: z.int().describe("Seconds until the window resets."),
});

export const VerifyResponseSchema = z.object({
  valid: z.boolean(),
  code: z.enum(VERIFY_CODES),
  token: z
    .object({
      id: z.string(),
      name: z.string(),
      type: z.enum(TOKEN_TYPES),
      scopes: z.array(z.string()),
      labels: z.record(z.string(), z.string()),
      account: z.string(),
      readOnly: z
        .boolean()
        .optional()
        .describe("The key may not make write requests (call tools not declared read-only)."),
      tools: z
        .array(z.string())
        .nullable()
        .optional()
        .describe("The key's tool allowlist; null = no restriction."),
      expiresAt: Timestamp.nullable().optional().describe("When the key expires; null = never."),
    })
    .optional()
    .describe("Present when the key was found."),
  ratelimit: RateLimitStateSchema.optional(),
  retryAfter: z.int().optional().describe("Seconds to wait, with RATE_LIMITED."),
  message: z
    .string()
    .optional()
    .describe("Why the key was refused, safe to show the caller (absent when valid)."),
});
export type VerifyResponse = z.infer<typeof VerifyResponseSchema>;

/** GitHub secret scanning's partner alert: the reported matches (docs: secret-scanning-partner-program). */
export const LeakAlertSchema = z
  .array(
    z.object({
      token: z.string().min(1).describe("The matched string."),
      type: z.string().describe("The pattern's name, as registered with GitHub."),
      url: z.string().optional().describe("Where it was found."),
      source: z.string().optional().describe("content, commit, pull_request_description, npm, …"),
    }),
  )
  .max(1000);

/** The program's answer: per reported key its hash, type and whether it was one of ours. */
export const LeakAnswerSchema = z.array(
  z.object({
    token_hash: z.string().describe("Hex SHA-256 of the reported string (never the string itself)."),
    token_type: z.string(),
    label: z.enum(["true_positive", "false_positive"]),
  }),
);

export const WhoamiSchema = z.object({
  account: z.string(),
  tokenId: z.string(),
  name: z.string(),
  type: z
    .enum(TOKEN_TYPES)
    .optional()
    .describe("Always `admin` today: only admin keys call the management API (absent from older services)."),
  scopes: z.array(z.string()),
  expiresAt: Timestamp.nullable()
    .optional()
    .describe("When the calling key expires; null when it does not (absent from older services)."),
});
export type Whoami = z.infer<typeof WhoamiSchema>;

/**
 * An account's hourly limit as the API writes it: a positive whole number of requests, or `"unlimited"`
 * (the same words in a YAML file and in JSON; null where it appears means "the server's default").
 */
const ACCOUNT_RATE_PROBLEM = 'expected a positive whole number of requests per hour, or "unlimited"';
export const AccountRateLimitSchema = z.union(
  [
    z.int({ error: ACCOUNT_RATE_PROBLEM }).positive({ error: ACCOUNT_RATE_PROBLEM }),
    z.literal("unlimited", { error: ACCOUNT_RATE_PROBLEM }),
  ],
  { error: ACCOUNT_RATE_PROBLEM },
);

export const AccountSchema = z.object({
  name: z.string().describe("The account's name."),
  rateLimit: z.object({
    perHour: AccountRateLimitSchema.nullable().describe(
      "Requests per hour all the account's keys may make together, as set on the account; null = the server's default.",
    ),
    effective: AccountRateLimitSchema.describe(
      "The limit in force: the account's own, else the server's default (`tokenform serve --account-rate-limit`).",
    ),
  }),
});
export type Account = z.infer<typeof AccountSchema>;

export const UpdateAccountRequestSchema = z.strictObject({
  rateLimit: z.strictObject({
    perHour: AccountRateLimitSchema.nullable().describe(
      "Requests per hour for all the account's keys together: a number, \"unlimited\", or null for the server's default.",
    ),
  }),
});
export type UpdateAccountRequest = z.input<typeof UpdateAccountRequestSchema>;

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: Timestamp,
  account: z.string(),
  actor: z.string().describe("Name of the acting admin token."),
  actorTokenId: z.string().nullable(),
  action: z.string().describe("e.g. token.create, token.update, token.roll, token.delete, token.confirm."),
  targetId: z.string().nullable(),
  targetName: z.string().nullable(),
  changes: z
    .record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }))
    .describe(
      "The fields the action changed, `{from, to}` each; `appliedFor` (`to`: an owner) marks a write tokenform made for that TokenSet (it sent `Tokenform-Owner`).",
    ),
  sourceIp: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const UsageSchema = z.object({
  tokenId: z.string(),
  lastUsedAt: Timestamp.nullable(),
  lastUsedIp: z.string().nullable(),
  requestCount: z.int(),
  failedAttempts: z.int(),
  hourly: z.array(z.object({ start: Timestamp, requests: z.int(), failures: z.int() })),
  daily: z.array(z.object({ start: Timestamp, requests: z.int(), failures: z.int() })),
  addresses: z
    .array(z.object({ ip: z.string(), firstSeen: Timestamp, lastSeen: Timestamp, count: z.int() }))
    .describe(
      "Client addresses the key was used from (successful uses), most recently seen first; the service keeps the 20 most recently seen per key.",
    ),
});
export type Usage = z.infer<typeof UsageSchema>;

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `POST /v1/pickups`: a holder's CLI asks for the keys waiting for them (a device flow, RFC 8628 style). */
export const OpenPickupRequestSchema = z.strictObject({
  holder: holderSchema,
  account: z
    .string()
    .max(64)
    .optional()
    .describe("The account to pick up from, when no key is sent (default: the service's first account)."),
});

export const OpenPickupResponseSchema = z.object({
  userCode: z.string().describe("The short code to show the holder and give an approver, e.g. `WDJB-MJHT`."),
  deviceCode: z
    .string()
    .describe("The secret the requesting CLI polls with (`POST /v1/pickups/claim`); never shown to people."),
  expiresAt: Timestamp,
  interval: z.int().positive().describe("Seconds to wait between polls."),
  approved: z.boolean().describe("True when the key sent with the request was the holder's own."),
  tokens: z.int().nonnegative().describe("How many keys wait for this holder."),
});

/** A pickup session as an approver sees it (`GET /v1/pickups/{code}`). */
export const PickupSchema = z.object({
  userCode: z.string(),
  account: z.string(),
  holder: z.string(),
  state: z.enum(["waiting", "approved", "claimed", "delivered", "expired"]),
  tokens: z.array(
    z.object({ id: z.string(), name: z.string(), client: z.string(), server: z.string(), url: z.string() }),
  ),
  requesterIp: z.string().nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  approvedBy: z.string().nullable(),
});
export type Pickup = z.infer<typeof PickupSchema>;

export const ClaimPickupRequestSchema = z.strictObject({
  deviceCode: z.string().min(1).max(128),
});

/** The released secrets, once: each with the client entry it is written into. */
export const ClaimPickupResponseSchema = z.object({
  tokens: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      secret: z.string(),
      client: PickupTargetSchema.shape.client,
      server: z.string(),
      url: z.string(),
      header: z.enum(["bearer", "x-api-key", "api-token"]),
    }),
  ),
});
export type ClaimedPickup = z.infer<typeof ClaimPickupResponseSchema>;

export const DeliveredPickupRequestSchema = z.strictObject({
  deviceCode: z.string().min(1).max(128),
  tokens: z.array(z.string().max(64)).max(100).describe("Ids of the keys the CLI wrote."),
});

/** Error codes of the management API; one table maps each to its HTTP status (src/api/errors.ts). */
export const API_ERROR_CODES = [
  "bad_request",
  "invalid_body",
  "unauthorized",
  "invalid_api_key",
  "forbidden",
  "insufficient_scope",
  "ip_not_allowed",
  "read_only_key",
  "tool_not_allowed",
  "authority_exceeded",
  "not_found",
  "conflict",
  "precondition_failed",
  "precondition_required",
  "payload_too_large",
  "unsupported_media_type",
  "request_timeout",
  "unprocessable",
  "rate_limited",
  "invalid_signature",
  "replayed_request",
  "method_not_allowed",
  "authorization_pending",
  "expired_token",
  "internal",
  "unavailable",
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    type: z
      .string()
      .describe(
        "authentication_error | permission_error | rate_limit_error | invalid_request_error | api_error",
      ),
    details: z.unknown().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;
