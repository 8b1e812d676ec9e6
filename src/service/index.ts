/**
 * The token service's public surface: `startService` (the in-process API the CLI's embedded mode, `serve`
 * and the tests use), the `Verifier` (for gateways), the store contract and its SQLite and PostgreSQL
 * implementations, and the other collaborators `startService` accepts (limiter, usage sink, invalidation)
 * with their in-process defaults.
 */

export type { VerifiedKey } from "./cache.js";
export { type Clock, ManualClock, systemClock } from "./clock.js";
export { type CredentialLookup, credentialFromHeaders } from "./credentials.js";
export { type Invalidation, type InvalidationHandler, LocalInvalidation } from "./invalidation.js";
export type { PendingUsage } from "./lifecycle.js";
export { createLogger, REDACTED_PATHS, scrubTokens, silentLogger } from "./logger.js";
export { type Limiter, type RateDecision, RateLimiter, type RateRule } from "./ratelimit.js";
export {
  type AdminTokenSource,
  FIRST_ACCOUNT,
  type RunningService,
  type ServiceOptions,
  startService,
} from "./service.js";
export {
  canonicalRequest,
  SIGNATURE_LABEL,
  SIGNATURE_WINDOW_SECONDS,
  type SigningInput,
  signLegacyRequest,
  signRequest,
} from "./signing.js";
export { isPostgresUrl, PostgresStore, type PostgresStoreOptions } from "./store/postgres.js";
export { DEFAULT_DB_PATH, SqliteStore } from "./store/sqlite.js";
export type { TokenPrefixes, TokenStore } from "./store/types.js";
export type { Actor } from "./tokens.js";
export { UsageAccumulator, type UsageAccumulatorOptions } from "./usage.js";
export type { UsageSink } from "./usage-sink.js";
export type { RateDefaults, RateLimitState, Verdict, Verifier, VerifyInput } from "./verifier.js";
