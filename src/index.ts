/**
 * The `tokenform` package's public API (`import { … } from "tokenform"`). Each library adds its own
 * section below; front ends (CLI, Action, provider, CDKTF) import the same functions.
 */

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

// ── Management API: contract, client, SecretValue (src/api) — exported here by its owner ───────────────

// ── Plan and apply (src/plan, src/apply) — exported here by their owners ───────────────────────────────

// ── Sinks (src/sinks) — exported here by their owner ───────────────────────────────────────────────────

// ── Token service and MCP middleware (src/service, src/middleware) — exported here by their owners ───
