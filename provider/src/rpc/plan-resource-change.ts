/** PlanResourceChange: proposes the new state; on failure nothing is planned and the error is shown. */
import type { PlanResourceChangeRequest, PlanResourceChangeResponse } from "../protocol/types.js";
import type { CallSignal, ProviderHost } from "./host.js";

export async function planResourceChange<C>(
  host: ProviderHost<C>,
  req: PlanResourceChangeRequest,
  call?: CallSignal,
): Promise<PlanResourceChangeResponse> {
  try {
    const result = await host
      .resource(req.typeName)
      .plan({ prior: req.prior, proposed: req.proposed, config: req.config }, host.context(call));
    return { ...result, plannedPrivate: req.priorPrivate };
  } catch (err) {
    return {
      planned: req.proposed,
      requiresReplace: [],
      plannedPrivate: req.priorPrivate,
      diagnostics: [host.failure(`planning of ${req.typeName}`, err)],
    };
  }
}
