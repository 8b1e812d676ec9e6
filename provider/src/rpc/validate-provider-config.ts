/** ValidateProviderConfig: checks the `provider "tokenform"` block (values may be unknown). */
import type { DiagnosticsResponse, ValidateConfigRequest } from "../protocol/types.js";
import type { ProviderHost } from "./host.js";

export async function validateProviderConfig<C>(
  host: ProviderHost<C>,
  req: ValidateConfigRequest,
): Promise<DiagnosticsResponse> {
  try {
    return { diagnostics: await host.provider.validate(req.config) };
  } catch (err) {
    return { diagnostics: [host.failure("provider configuration validation", err)] };
  }
}
