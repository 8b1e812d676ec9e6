/**
 * The tokenform provider: its configuration (endpoint, api_token, owner — or TOKENFORM_API_URL /
 * TOKENFORM_API_TOKEN), the `tokenform_token` resource and the `tokenform_tokens` data source. This module
 * and the shells it lists load nothing heavy; behaviour is loaded by the first call that needs it. A thin shell:
 * the API client is src/api's, the sinks are src/sinks' (GitHub/GitLab credentials from their environment
 * variables), validation and defaults are src/spec's, and changes go through src/apply's steps.
 */
import { ApiError } from "../../src/api/errors.js";
import { DeliveryError } from "../../src/sinks/types.js";
import { ApiUnavailable, type Configured } from "./configured.js";
import { tokensDataSource } from "./datasources/tokens.js";
import { NotConfigured, type ProviderType } from "./framework.js";
import { tokenResource } from "./resources/token/index.js";
import { type Diagnostic, error } from "./runtime/diagnostics.js";
import { PROVIDER_ADDRESS, providerSchema } from "./schema.js";
import { providerVersion } from "./version.js";

/** The provider block's behaviour (zod, the client, the sinks), loaded on first use. */
const config_ = () => import("./provider-config.js");

/** Explains the errors a user can act on; undefined for faults (reported as bugs). */
function describeError(err: unknown, during: string): Diagnostic | undefined {
  if (err instanceof ApiError) {
    const hint =
      err.status === 0
        ? " Check the provider's endpoint (or TOKENFORM_API_URL) and that the token service is running."
        : err.code === "unauthorized" || err.code === "invalid_api_key"
          ? " Check the provider's api_token (or TOKENFORM_API_TOKEN)."
          : "";
    return error(
      `The token service refused the ${during}`,
      `${err.message} (${err.code}, ${err.request}).${hint}`,
    );
  }
  if (err instanceof ApiUnavailable || err instanceof NotConfigured)
    return error(`Cannot complete the ${during}`, err.message);
  if (err instanceof DeliveryError) return error(`Delivery to ${err.destination} failed`, err.message);
  return undefined;
}

/** The provider definition; `env` is where defaults and sink credentials are read (process.env). */
export function tokenformProvider(env: NodeJS.ProcessEnv = process.env): ProviderType<Configured> {
  return {
    address: PROVIDER_ADDRESS,
    version: providerVersion(),
    schema: providerSchema,
    resources: [tokenResource()],
    dataSources: [tokensDataSource],
    validate: async (config) => (await config_()).validate(config),
    configure: async (config) => (await config_()).configure(config, env),
    describeError,
  };
}
