/** GetMetadata: the capabilities and the type names, without building schemas. */
import type { GetMetadataResponse } from "../protocol/types.js";
import { CAPABILITIES } from "./capabilities.js";
import type { ProviderHost } from "./host.js";

export async function getMetadata<C>(host: ProviderHost<C>): Promise<GetMetadataResponse> {
  return {
    capabilities: CAPABILITIES,
    resources: host.provider.resources.map((r) => r.typeName),
    dataSources: host.provider.dataSources.map((d) => d.typeName),
    diagnostics: [],
  };
}
