/** ReadDataSource: reads one data source. */
import type { ReadDataSourceRequest, ReadDataSourceResponse } from "../protocol/types.js";
import type { CallSignal, ProviderHost } from "./host.js";

export async function readDataSource<C>(
  host: ProviderHost<C>,
  req: ReadDataSourceRequest,
  call?: CallSignal,
): Promise<ReadDataSourceResponse> {
  try {
    return await host.dataSource(req.typeName).read(req.config, host.context(call));
  } catch (err) {
    return { state: null, diagnostics: [host.failure(`read of data source ${req.typeName}`, err)] };
  }
}
