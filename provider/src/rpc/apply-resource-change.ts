/**
 * ApplyResourceChange: carries out a planned change. When the resource itself fails unexpectedly, the
 * prior state is returned (null for a create) so Terraform never records an object that may not exist;
 * resources clean up what they created before failing (see the token resource).
 */
import type { ApplyResourceChangeRequest, ApplyResourceChangeResponse } from "../protocol/types.js";
import type { CallSignal, ProviderHost } from "./host.js";

export async function applyResourceChange<C>(
  host: ProviderHost<C>,
  req: ApplyResourceChangeRequest,
  call?: CallSignal,
): Promise<ApplyResourceChangeResponse> {
  try {
    const result = await host
      .resource(req.typeName)
      .apply({ prior: req.prior, planned: req.planned, config: req.config }, host.context(call));
    return { state: result.state, private: req.plannedPrivate, diagnostics: result.diagnostics };
  } catch (err) {
    return {
      state: req.prior,
      private: req.plannedPrivate,
      diagnostics: [host.failure(`apply of ${req.typeName}`, err)],
    };
  }
}
