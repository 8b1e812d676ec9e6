/**
 * Protocol types → protobuf: every response message the provider sends, with values encoded by the schema
 * of their type (every attribute present, nulls included). With `fromproto.ts`, the only code that knows
 * tfplugin6 wire shapes besides the .proto itself.
 */
import { encodeValue } from "../runtime/codec.js";
import type { AttributePath, Diagnostic } from "../runtime/diagnostics.js";
import type { Message } from "../runtime/proto.js";
import { type BlockSchema, impliedType, type NestedBlockSchema, type Schema } from "../runtime/schema.js";
import type { TfObject } from "../runtime/values.js";
import type {
  ApplyResourceChangeResponse,
  DiagnosticsResponse,
  GetMetadataResponse,
  GetProviderSchemaResponse,
  ImportResourceStateResponse,
  PlanResourceChangeResponse,
  ReadDataSourceResponse,
  ReadResourceResponse,
  ServerCapabilities,
  UpgradeResourceStateResponse,
} from "./types.js";

/** An object of `schema` (or null) as a msgpack DynamicValue. */
export function dynamicValue(value: TfObject | null, schema: Schema): Message {
  return { msgpack: encodeValue(value, impliedType(schema.block)) };
}

/** Steps → AttributePath message. */
export function attributePath(p: AttributePath): Message {
  return {
    steps: p.map((s) =>
      "attribute" in s
        ? { attribute_name: s.attribute }
        : "key" in s
          ? { element_key_string: s.key }
          : { element_key_int: s.index },
    ),
  };
}

/** Diagnostics → Diagnostic messages. */
export function diagnostics(list: readonly Diagnostic[]): Message[] {
  return list.map((d) => ({
    severity: d.severity === "error" ? "ERROR" : "WARNING",
    summary: d.summary,
    ...(d.detail ? { detail: d.detail } : {}),
    ...(d.path && d.path.length > 0 ? { attribute: attributePath(d.path) } : {}),
  }));
}

const NESTING = { single: "SINGLE", list: "LIST", set: "SET" } as const;

function nestedBlock(b: NestedBlockSchema): Message {
  return {
    type_name: b.typeName,
    block: block(b.block),
    nesting: NESTING[b.nesting],
    ...(b.minItems ? { min_items: b.minItems } : {}),
    ...(b.maxItems ? { max_items: b.maxItems } : {}),
  };
}

function block(b: BlockSchema): Message {
  return {
    attributes: b.attributes.map((a) => ({
      name: a.name,
      type: Buffer.from(JSON.stringify(a.type)),
      description: a.description,
      description_kind: "PLAIN",
      required: a.required === true,
      optional: a.optional === true,
      computed: a.computed === true,
      sensitive: a.sensitive === true,
    })),
    block_types: b.blocks.map(nestedBlock),
    description: b.description,
    description_kind: "PLAIN",
  };
}

/** Schema → Schema message. */
export function schema(s: Schema): Message {
  return { version: s.version, block: block(s.block) };
}

function capabilities(c: ServerCapabilities): Message {
  return { plan_destroy: c.planDestroy, get_provider_schema_optional: c.getProviderSchemaOptional };
}

export function getMetadata(r: GetMetadataResponse): Message {
  return {
    server_capabilities: capabilities(r.capabilities),
    diagnostics: diagnostics(r.diagnostics),
    resources: r.resources.map((type_name) => ({ type_name })),
    data_sources: r.dataSources.map((type_name) => ({ type_name })),
  };
}

export function getProviderSchema(r: GetProviderSchemaResponse): Message {
  const map = (m: Record<string, Schema>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, schema(v)]));
  return {
    provider: schema(r.provider),
    resource_schemas: map(r.resourceSchemas),
    data_source_schemas: map(r.dataSourceSchemas),
    diagnostics: diagnostics(r.diagnostics),
    server_capabilities: capabilities(r.capabilities),
  };
}

export function diagnosticsOnly(r: DiagnosticsResponse): Message {
  return { diagnostics: diagnostics(r.diagnostics) };
}

export function upgradeResourceState(r: UpgradeResourceStateResponse): Message {
  return { ...(r.json ? { upgraded_state: { json: r.json } } : {}), diagnostics: diagnostics(r.diagnostics) };
}

export function readResource(r: ReadResourceResponse, s: Schema): Message {
  return { new_state: dynamicValue(r.state, s), private: r.private, diagnostics: diagnostics(r.diagnostics) };
}

export function planResourceChange(r: PlanResourceChangeResponse, s: Schema): Message {
  return {
    planned_state: dynamicValue(r.planned, s),
    requires_replace: r.requiresReplace.map(attributePath),
    planned_private: r.plannedPrivate,
    diagnostics: diagnostics(r.diagnostics),
  };
}

export function applyResourceChange(r: ApplyResourceChangeResponse, s: Schema): Message {
  return { new_state: dynamicValue(r.state, s), private: r.private, diagnostics: diagnostics(r.diagnostics) };
}

export function importResourceState(
  r: ImportResourceStateResponse,
  lookup: (typeName: string) => Schema,
): Message {
  return {
    imported_resources: r.imported.map((i) => ({
      type_name: i.typeName,
      state: dynamicValue(i.state, lookup(i.typeName)),
      private: i.private,
    })),
    diagnostics: diagnostics(r.diagnostics),
  };
}

export function readDataSource(r: ReadDataSourceResponse, s: Schema): Message {
  return { state: dynamicValue(r.state, s), diagnostics: diagnostics(r.diagnostics) };
}
