/**
 * What ConfigureProvider produces: the API client, the sinks and the owner every resource call uses.
 */
import type { TokenformApi } from "../../src/api/contract.js";
import type { SinkRegistry } from "../../src/sinks/types.js";

export interface Configured {
  /**
   * The management API client; absent when the endpoint or token is not known until apply (a value
   * computed by another resource), in which case calls that need it explain that.
   */
  api?: TokenformApi;
  /**
   * Secret destinations, credentials from the environment (GITHUB_TOKEN, GITLAB_TOKEN…); made on first
   * use: only an apply delivers, and loading the sinks (octokit, libsodium) is a plan's largest module.
   */
  sinks(): Promise<SinkRegistry>;
  /** Owner label value of every token this configuration manages. */
  owner: string;
}

/** The owner when the provider block sets none. */
export const DEFAULT_OWNER = "terraform";

/** Thrown when a call needs the API but the provider configuration was not known. */
export class ApiUnavailable extends Error {
  override readonly name = "ApiUnavailable";
}

/** The API client, or a clear error when the configuration did not provide one. */
export function apiOf(configured: Configured): TokenformApi {
  if (!configured.api) {
    throw new ApiUnavailable(
      "The provider's endpoint or api_token is not known yet (it depends on a resource not created yet). " +
        "Apply that resource first (terraform apply -target=…), then apply the rest.",
    );
  }
  return configured.api;
}
