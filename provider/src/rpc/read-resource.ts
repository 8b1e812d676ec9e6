/** ReadResource: refreshes one resource; on failure the state is kept as it was. */
import type { ReadResourceRequest, ReadResourceResponse } from "../protocol/types.js";
import type { CallSignal, ProviderHost } from "./host.js";

export async function readResource<C>(
  host: ProviderHost<C>,
  req: ReadResourceRequest,
  call?: CallSignal,
): Promise<ReadResourceResponse> {
  try {
    const result = await host.resource(req.typeName).read(req.state, host.context(call));
    return { state: result.state, private: req.private, diagnostics: result.diagnostics };
  } catch (err) {
    return {
      state: req.state,
      private: req.private,
      diagnostics: [host.failure(`refresh of ${req.typeName}`, err)],
    };
  }
}
