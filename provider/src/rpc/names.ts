/**
 * Names of the gRPC methods the provider serves, in a module that imports nothing, so the process can
 * listen and hand-shake before the handlers (and everything they import) are loaded.
 */

/** The tfplugin6 service. */
export const PROVIDER_SERVICE = "tfplugin6.Provider";
/** go-plugin's controller service (Shutdown). */
export const CONTROLLER_SERVICE = "plugin.GRPCController";

/** The tfplugin6 methods this provider implements; every other method answers UNIMPLEMENTED. */
export const PROVIDER_METHOD_NAMES = [
  "GetMetadata",
  "GetProviderSchema",
  "ValidateProviderConfig",
  "ValidateResourceConfig",
  "ValidateDataResourceConfig",
  "UpgradeResourceState",
  "ConfigureProvider",
  "ReadResource",
  "PlanResourceChange",
  "ApplyResourceChange",
  "ImportResourceState",
  "ReadDataSource",
  "StopProvider",
] as const;

export type ProviderMethodName = (typeof PROVIDER_METHOD_NAMES)[number];
