/**
 * The plugin protocol's requests and responses in the provider's own terms: decoded values (`TfValue`),
 * plain diagnostics and attribute paths, never generated protobuf objects. One pair per RPC, in the
 * protocol's order. `fromproto.ts` / `toproto.ts` are the only places that know the wire shapes.
 */
import type { AttributePath, Diagnostic } from "../runtime/diagnostics.js";
import type { Schema } from "../runtime/schema.js";
import type { TfObject } from "../runtime/values.js";

/** Optional protocol features the provider announces. */
export interface ServerCapabilities {
  /** Terraform calls PlanResourceChange for destroys too (the provider can warn about what a destroy does). */
  planDestroy: boolean;
  /** Terraform may reuse a cached schema instead of calling GetProviderSchema on every start. */
  getProviderSchemaOptional: boolean;
}

export interface GetMetadataResponse {
  capabilities: ServerCapabilities;
  resources: string[];
  dataSources: string[];
  diagnostics: Diagnostic[];
}

export interface GetProviderSchemaResponse {
  provider: Schema;
  resourceSchemas: Record<string, Schema>;
  dataSourceSchemas: Record<string, Schema>;
  capabilities: ServerCapabilities;
  diagnostics: Diagnostic[];
}

/** ValidateProviderConfig / ValidateResourceConfig / ValidateDataResourceConfig: a config to check. */
export interface ValidateConfigRequest {
  /** Resource or data source type; empty for the provider's own configuration. */
  typeName: string;
  /** The configuration; attributes may be unknown (values computed by other resources). */
  config: TfObject;
}

export interface DiagnosticsResponse {
  diagnostics: Diagnostic[];
}

export interface UpgradeResourceStateRequest {
  typeName: string;
  /** Schema version the state was written with. */
  version: number;
  /** The stored state as JSON text; absent for legacy flatmap state. */
  json?: Uint8Array;
}

export interface UpgradeResourceStateResponse {
  /** The upgraded state as JSON (echoed unchanged when no upgrade is needed, to keep numbers exact). */
  json?: Uint8Array;
  diagnostics: Diagnostic[];
}

export interface ConfigureProviderRequest {
  terraformVersion: string;
  config: TfObject;
}

export interface ReadResourceRequest {
  typeName: string;
  state: TfObject;
  private: Uint8Array;
}

export interface ReadResourceResponse {
  /** Null when the object no longer exists (Terraform then plans to create it again). */
  state: TfObject | null;
  private: Uint8Array;
  diagnostics: Diagnostic[];
}

export interface PlanResourceChangeRequest {
  typeName: string;
  /** Null when creating. */
  prior: TfObject | null;
  /** Terraform's proposal (config merged over prior state); null when destroying. */
  proposed: TfObject | null;
  /** Null when destroying. */
  config: TfObject | null;
  priorPrivate: Uint8Array;
}

export interface PlanResourceChangeResponse {
  /** Null for a destroy. */
  planned: TfObject | null;
  /** Attributes whose change forces replacement. */
  requiresReplace: AttributePath[];
  plannedPrivate: Uint8Array;
  diagnostics: Diagnostic[];
}

export interface ApplyResourceChangeRequest {
  typeName: string;
  prior: TfObject | null;
  /** Null for a destroy. */
  planned: TfObject | null;
  config: TfObject | null;
  plannedPrivate: Uint8Array;
}

export interface ApplyResourceChangeResponse {
  /** Null after a destroy (or when a create failed and nothing exists). */
  state: TfObject | null;
  private: Uint8Array;
  diagnostics: Diagnostic[];
}

export interface ImportResourceStateRequest {
  typeName: string;
  id: string;
}

export interface ImportResourceStateResponse {
  imported: Array<{ typeName: string; state: TfObject; private: Uint8Array }>;
  diagnostics: Diagnostic[];
}

export interface ReadDataSourceRequest {
  typeName: string;
  config: TfObject;
}

export interface ReadDataSourceResponse {
  state: TfObject | null;
  diagnostics: Diagnostic[];
}
