/**
 * `tokenform/cdktf`: declare MCP API tokens in a CDKTF app. `TokenSet` applies a TokenSpec (YAML files or
 * a typed object) as `tokenform_token` resources; the generated provider bindings are re-exported for
 * direct use (the provider configuration, single tokens, the `tokenform_tokens` data source).
 * Requires the optional peer dependencies `cdktf` and `constructs`.
 */
export type { Diagnostic } from "../spec/diagnostics.js";
export type { ResolvedToken, ResolvedTokenSet } from "../spec/resolved.js";
export type { TokenSetInput } from "../spec/schema.js";
export {
  DataTokenformTokens,
  type DataTokenformTokensConfig,
  TokenformProvider,
  type TokenformProviderConfig,
  TokenformToken,
  type TokenformTokenAwsSecretsManager,
  type TokenformTokenConfig,
  type TokenformTokenFile,
  type TokenformTokenGithubSecret,
  type TokenformTokenGitlabVariable,
  type TokenformTokenGoogleSecretManager,
  type TokenformTokenKubernetesSecret,
  type TokenformTokenVaultSecret,
} from "./deps.js";
export { TokenSpecError } from "./errors.js";
export { tokenConfig } from "./to-config.js";
export {
  TokenSet,
  type TokenSetCommonProps,
  type TokenSetPathsProps,
  type TokenSetProps,
  type TokenSetSpecProps,
} from "./token-set.js";
