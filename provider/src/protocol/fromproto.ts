/**
 * Protobuf → protocol types: every request message the provider receives, decoded with the schema of the
 * type it names (DynamicValue msgpack → `TfObject`). With `toproto.ts`, the only code that knows tfplugin6
 * wire shapes besides the .proto itself.
 */
import { CodecError, decodeJsonValue, decodeValue } from "../runtime/codec.js";
import type { AttributePath, Diagnostic } from "../runtime/diagnostics.js";
import type { Message } from "../runtime/proto.js";
import { impliedType, type Schema } from "../runtime/schema.js";
import { isObject, type TfObject, type TfValue } from "../runtime/values.js";
import type {
  ApplyResourceChangeRequest,
  ConfigureProviderRequest,
  ImportResourceStateRequest,
  PlanResourceChangeRequest,
  ReadDataSourceRequest,
  ReadResourceRequest,
  UpgradeResourceStateRequest,
  ValidateConfigRequest,
} from "./types.js";

/** Finds the schema of a resource or data source type; the caller says which kind it expects. */
export type SchemaLookup = (typeName: string) => Schema;

const EMPTY = new Uint8Array(0);

/** Bytes of an optional `bytes` field. */
export function bytes(field: unknown): Uint8Array {
  return field instanceof Uint8Array ? field : EMPTY;
}

function str(field: unknown): string {
  return typeof field === "string" ? field : "";
}

/** Decodes a DynamicValue (msgpack, or JSON) as an object of `schema`; null when it is null or empty. */
export function dynamicValue(dv: unknown, schema: Schema): TfObject | null {
  const m = (dv ?? {}) as Message;
  const type = impliedType(schema.block);
  let value: TfValue;
  const msgpack = bytes(m.msgpack);
  if (msgpack.length > 0) value = decodeValue(msgpack, type);
  else {
    const json = bytes(m.json);
    value = json.length > 0 ? decodeJsonValue(json, type) : null;
  }
  if (value === null) return null;
  if (!isObject(value)) throw new CodecError("expected an object value", "");
  return value;
}

/** AttributePath message → steps. */
export function attributePath(p: unknown): AttributePath {
  const steps = ((p as Message | undefined)?.steps ?? []) as Message[];
  return steps.map((s) =>
    typeof s.attribute_name === "string"
      ? { attribute: s.attribute_name }
      : typeof s.element_key_string === "string"
        ? { key: s.element_key_string }
        : { index: Number(s.element_key_int ?? 0) },
  );
}

/** Diagnostic messages → diagnostics (used by clients: tests and the benchmark). */
export function diagnostics(list: unknown): Diagnostic[] {
  return ((list ?? []) as Message[]).map((d) => ({
    severity: d.severity === "WARNING" ? "warning" : "error",
    summary: str(d.summary),
    ...(d.detail ? { detail: str(d.detail) } : {}),
    ...(d.attribute ? { path: attributePath(d.attribute) } : {}),
  }));
}

export function validateProviderConfig(m: Message, provider: Schema): ValidateConfigRequest {
  return { typeName: "", config: dynamicValue(m.config, provider) ?? {} };
}

export function validateConfig(m: Message, lookup: SchemaLookup): ValidateConfigRequest {
  const typeName = str(m.type_name);
  return { typeName, config: dynamicValue(m.config, lookup(typeName)) ?? {} };
}

export function upgradeResourceState(m: Message): UpgradeResourceStateRequest {
  const raw = (m.raw_state ?? {}) as Message;
  const json = bytes(raw.json);
  return {
    typeName: str(m.type_name),
    version: Number(m.version ?? 0),
    ...(json.length > 0 ? { json } : {}),
  };
}

export function configureProvider(m: Message, provider: Schema): ConfigureProviderRequest {
  return { terraformVersion: str(m.terraform_version), config: dynamicValue(m.config, provider) ?? {} };
}

export function readResource(m: Message, lookup: SchemaLookup): ReadResourceRequest {
  const typeName = str(m.type_name);
  return {
    typeName,
    state: dynamicValue(m.current_state, lookup(typeName)) ?? {},
    private: bytes(m.private),
  };
}

export function planResourceChange(m: Message, lookup: SchemaLookup): PlanResourceChangeRequest {
  const typeName = str(m.type_name);
  const schema = lookup(typeName);
  return {
    typeName,
    prior: dynamicValue(m.prior_state, schema),
    proposed: dynamicValue(m.proposed_new_state, schema),
    config: dynamicValue(m.config, schema),
    priorPrivate: bytes(m.prior_private),
  };
}

export function applyResourceChange(m: Message, lookup: SchemaLookup): ApplyResourceChangeRequest {
  const typeName = str(m.type_name);
  const schema = lookup(typeName);
  return {
    typeName,
    prior: dynamicValue(m.prior_state, schema),
    planned: dynamicValue(m.planned_state, schema),
    config: dynamicValue(m.config, schema),
    plannedPrivate: bytes(m.planned_private),
  };
}

export function importResourceState(m: Message): ImportResourceStateRequest {
  return { typeName: str(m.type_name), id: str(m.id) };
}

export function readDataSource(m: Message, lookup: SchemaLookup): ReadDataSourceRequest {
  const typeName = str(m.type_name);
  return { typeName, config: dynamicValue(m.config, lookup(typeName)) ?? {} };
}
