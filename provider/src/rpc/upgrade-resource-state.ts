/**
 * UpgradeResourceState: Terraform calls this on every refresh with the stored JSON state. Every schema is
 * still at version 0, so the state is echoed byte for byte — re-encoding would lose big numbers, and an
 * empty answer would mean "null" and silently plan a re-create.
 */
import type { UpgradeResourceStateRequest, UpgradeResourceStateResponse } from "../protocol/types.js";
import { error } from "../runtime/diagnostics.js";
import type { ProviderHost } from "./host.js";

export async function upgradeResourceState<C>(
  host: ProviderHost<C>,
  req: UpgradeResourceStateRequest,
): Promise<UpgradeResourceStateResponse> {
  const schema = host.resource(req.typeName).schema;
  if (req.version > schema.version) {
    return {
      diagnostics: [
        error(
          "State written by a newer provider",
          `The state of this ${req.typeName} has schema version ${req.version}, but this provider knows ` +
            `version ${schema.version}. Upgrade the tokenform provider.`,
        ),
      ],
    };
  }
  if (!req.json) {
    return {
      diagnostics: [
        error(
          "Unsupported state format",
          `The ${req.typeName} state is in the legacy flatmap format, never written by tokenform.`,
        ),
      ],
    };
  }
  return { json: req.json, diagnostics: [] };
}
