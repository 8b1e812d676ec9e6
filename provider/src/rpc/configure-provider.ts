/** ConfigureProvider: turns the provider block into configured clients for the calls that follow. */
import type { ConfigureProviderRequest, DiagnosticsResponse } from "../protocol/types.js";
import type { ProviderHost } from "./host.js";

export async function configureProvider<C>(
  host: ProviderHost<C>,
  req: ConfigureProviderRequest,
): Promise<DiagnosticsResponse> {
  try {
    const { configured, diagnostics } = await host.provider.configure(req.config, req.terraformVersion);
    if (configured !== undefined) host.setConfigured(configured);
    return { diagnostics };
  } catch (err) {
    return { diagnostics: [host.failure("provider configuration", err)] };
  }
}
