/**
 * The only module of the construct library that imports `cdktf` and `constructs` (and the bindings
 * generated against them). CDK Terrain (`cdktn`), cdktf's API-compatible community fork, can get its own
 * entry point by providing this module's exports from its packages; nothing else here names cdktf.
 */
export { Annotations, TerraformStack, Token as CdktfToken } from "cdktf";
export { Construct } from "constructs";
export {
  DataTokenformTokens,
  type DataTokenformTokensConfig,
} from "./gen/data-tokenform-tokens/index.js";
export { TokenformProvider, type TokenformProviderConfig } from "./gen/provider/index.js";
export {
  Token as TokenformToken,
  type TokenAwsSecretsManager as TokenformTokenAwsSecretsManager,
  type TokenConfig as TokenformTokenConfig,
  type TokenFile as TokenformTokenFile,
  type TokenGithubSecret as TokenformTokenGithubSecret,
  type TokenGitlabVariable as TokenformTokenGitlabVariable,
  type TokenGoogleSecretManager as TokenformTokenGoogleSecretManager,
  type TokenKubernetesSecret as TokenformTokenKubernetesSecret,
  type TokenVaultSecret as TokenformTokenVaultSecret,
} from "./gen/token/index.js";
