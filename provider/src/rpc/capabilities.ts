/** The protocol features this provider announces. */
import type { ServerCapabilities } from "../protocol/types.js";

export const CAPABILITIES: ServerCapabilities = {
  // PlanResourceChange is called for destroys, so a destroy plan can say what on_remove will do.
  planDestroy: true,
  // The schema never depends on configuration: Terraform fetches it once per command, not once per start.
  getProviderSchemaOptional: true,
};
