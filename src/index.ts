/**
 * The `tokenform` package's public API (`import { … } from "tokenform"`). Each library adds its own
 * section below; front ends (CLI, Action, provider, CDKTF) import the same functions.
 */

// ── Management API: contract, client, SecretValue (src/api) ───────────────────────────────────────────
export { TokenformClient, type TokenformClientOptions } from "./api/client.js";
export type { IssuedSecret, ListTokensQuery, TokenformApi } from "./api/contract.js";
export { ApiError } from "./api/errors.js";
export {
  type AuditEntry,
  type CreateTokenRequest,
  type DeliveryRecord,
  OWNER_LABEL,
  type Token,
  type TokenStatus,
  type UpdateTokenRequest,
  type VerifyCode,
  type VerifyRequest,
  type VerifyResponse,
} from "./api/schemas.js";
export {
  displayPrefixOf,
  fingerprintOf,
  maskSecrets,
  onSecret,
  redactKnownSecrets,
  SecretValue,
} from "./api/secret.js";
// ── Plan and apply (src/plan, src/apply) ──────────────────────────────────────────────────────────────
export {
  type ApplyEvent,
  type ApplyOptions,
  type ApplyResult,
  applyPlan,
  assertPlanFresh,
  type ChangeResult,
  issueAndDeliver,
  rollAndDeliver,
  StalePlanFileError,
} from "./apply/index.js";
export {
  type Change,
  type ChangeKind,
  closingLine,
  computePlan,
  hasChanges,
  type Plan,
  type PlanOptions,
  planTokenSet,
  renderJson,
  renderMarkdown,
  renderText,
  SCHEDULED_KINDS,
  selectChanges,
} from "./plan/index.js";
// ── Sinks (src/sinks) ─────────────────────────────────────────────────────────────────────────────────
export {
  type CreateSinksOptions,
  createSinks,
  DeliveryError,
  type Sink,
  type SinkRegistry,
} from "./sinks/index.js";
// ── Spec: load, validate and resolve TokenSets; render their diagnostics (src/spec) ──────────────────
export {
  API_VERSION,
  type CidrCheck,
  checkCidr,
  checkToken,
  codeFrame,
  countDiagnostics,
  DEFAULT_ON_REMOVE,
  DEFAULT_REMOVAL_GRACE,
  DEFAULT_ROTATION_OVERLAP,
  DEFAULT_TOKEN_TYPE,
  type Defaults,
  type Delivery,
  type Destination,
  DIAGNOSTIC_CODES,
  DIAGNOSTIC_FORMATS,
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticFormat,
  type DiagnosticPath,
  describeDestination,
  destinationId,
  type Expiry,
  escapeGithubData,
  escapeGithubProperty,
  type FileDestination,
  findSecrets,
  findTokens,
  formatDuration,
  formatLocation,
  formatPath,
  type GithubDestination,
  type GitlabDestination,
  generateToken,
  githubAnnotation,
  hasErrors,
  isWriteScope,
  JSON_SCHEMA_PATH,
  KIND,
  type LoadOptions,
  loadTokenSet,
  loadTokenSetFromSources,
  loadTokenSetSync,
  type OnRemove,
  parseDuration,
  type RelatedLocation,
  type RenderOptions,
  type ResolvedToken,
  type ResolvedTokenSet,
  redactSecrets,
  renderDiagnostics,
  renderSummary,
  resolveTokenSet,
  type SecretFinding,
  type Severity,
  type SourceLocation,
  type SpecResult,
  type SpecSource,
  specReport,
  TOKEN_TYPES,
  type TokenSet,
  type TokenSetInput,
  type TokenSetPart,
  TokenSetSchema,
  type TokenSpec,
  TokenSpecSchema,
  type TokenType,
  tokenSetJsonSchema,
  type ValidateOptions,
  validateTokenSetObject,
} from "./spec/index.js";

// The token service (`tokenform/service`: it loads the SQLite driver) and the MCP server middleware
// (`tokenform/middleware`) have entry points of their own.
