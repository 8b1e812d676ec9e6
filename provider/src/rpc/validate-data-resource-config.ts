/** ValidateDataResourceConfig: checks one data block (values may be unknown). */
import type { DiagnosticsResponse, ValidateConfigRequest } from "../protocol/types.js";
import type { ProviderHost } from "./host.js";

export async function validateDataResourceConfig<C>(
  host: ProviderHost<C>,
  req: ValidateConfigRequest,
): Promise<DiagnosticsResponse> {
  try {
    return { diagnostics: await host.dataSource(req.typeName).validate(req.config) };
  } catch (err) {
    return { diagnostics: [host.failure(`validation of data source ${req.typeName}`, err)] };
  }
}
