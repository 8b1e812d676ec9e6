/** ImportResourceState: `terraform import` / `import {}` blocks — builds a state from an id. */
import type { ImportResourceStateRequest, ImportResourceStateResponse } from "../protocol/types.js";
import type { CallSignal, ProviderHost } from "./host.js";

export async function importResourceState<C>(
  host: ProviderHost<C>,
  req: ImportResourceStateRequest,
  call?: CallSignal,
): Promise<ImportResourceStateResponse> {
  try {
    const result = await host.resource(req.typeName).import(req.id, host.context(call));
    return {
      imported: result.state
        ? [{ typeName: req.typeName, state: result.state, private: new Uint8Array(0) }]
        : [],
      diagnostics: result.diagnostics,
    };
  } catch (err) {
    return { imported: [], diagnostics: [host.failure(`import of ${req.typeName}`, err)] };
  }
}
