/** GetProviderSchema: the provider, resource and data source schemas. */
import type { GetProviderSchemaResponse } from "../protocol/types.js";
import { CAPABILITIES } from "./capabilities.js";
import type { ProviderHost } from "./host.js";

export async function getProviderSchema<C>(host: ProviderHost<C>): Promise<GetProviderSchemaResponse> {
  const p = host.provider;
  return {
    provider: p.schema,
    resourceSchemas: Object.fromEntries(p.resources.map((r) => [r.typeName, r.schema])),
    dataSourceSchemas: Object.fromEntries(p.dataSources.map((d) => [d.typeName, d.schema])),
    capabilities: CAPABILITIES,
    diagnostics: [],
  };
}
