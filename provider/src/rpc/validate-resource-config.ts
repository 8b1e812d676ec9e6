/** ValidateResourceConfig: checks one resource block (values may be unknown). */
import type { DiagnosticsResponse, ValidateConfigRequest } from "../protocol/types.js";
import type { ProviderHost } from "./host.js";

export async function validateResourceConfig<C>(
  host: ProviderHost<C>,
  req: ValidateConfigRequest,
): Promise<DiagnosticsResponse> {
  try {
    return { diagnostics: await host.resource(req.typeName).validate(req.config, host.context()) };
  } catch (err) {
    return { diagnostics: [host.failure(`validation of ${req.typeName}`, err)] };
  }
}
