/**
 * The spec library's public surface: load and validate TokenSets (files, texts, objects), resolve them,
 * and render their diagnostics. Other modules import from here rather than from the files inside.
 */
export {
  countDiagnostics,
  DIAGNOSTIC_CODES,
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticPath,
  formatLocation,
  formatPath,
  hasErrors,
  type RelatedLocation,
  type Severity,
  sortDiagnostics,
} from "./diagnostics.js";
export { DURATION_PATTERN, formatDuration, isDuration, parseDuration } from "./duration.js";
export { JSON_SCHEMA_PATH, tokenSetJsonSchema, tokenSetJsonSchemaText } from "./json-schema.js";
export {
  type LoadOptions,
  loadTokenSet,
  loadTokenSetFromSources,
  loadTokenSetSync,
  type SpecResult,
  type SpecSource,
  validateTokenSetObject,
} from "./load.js";
export {
  codeFrame,
  DIAGNOSTIC_FORMATS,
  type DiagnosticFormat,
  escapeGithubData,
  escapeGithubProperty,
  githubAnnotation,
  type RenderOptions,
  renderDiagnostics,
  renderDiagnosticText,
  renderSummary,
  specReport,
} from "./render.js";
export {
  DEFAULT_ON_REMOVE,
  DEFAULT_TOKEN_TYPE,
  envKeyFor,
  resolveDestination,
  resolveToken,
  resolveTokenSet,
  type TokenSetPart,
} from "./resolve.js";
export * from "./resolved.js";
export * from "./schema.js";
export { findSecrets, redactSecrets, type SecretFinding } from "./secrets.js";
export { checkToken, findTokens, generateToken } from "./token-format.js";
export { type ValidateOptions, type ValidationOutcome, validateDocuments } from "./validate.js";
export { type CidrCheck, checkCidr, isWriteScope, RESERVED_LABEL_DOMAIN, WRITE_ACTIONS } from "./values.js";
