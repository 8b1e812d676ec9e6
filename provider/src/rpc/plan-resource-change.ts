/** PlanResourceChange: proposes the new state; on failure nothing is planned and the error is shown. */
import type { PlanResourceChangeRequest, PlanResourceChangeResponse } from "../protocol/types.js";
import type { ProviderHost } from "./host.js";

export async function planResourceChange<C>(
  host: ProviderHost<C>,
  req: PlanResourceChangeRequest,
  signal?: AbortSignal,
): Promise<PlanResourceChangeResponse> {
  try {
    const result = await host
      .resource(req.typeName)
      .plan({ prior: req.prior, proposed: req.proposed, config: req.config }, host.context(signal));
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
