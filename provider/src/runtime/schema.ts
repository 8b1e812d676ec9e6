/**
 * Schemas as the plugin runtime understands them: blocks of attributes and nested blocks, exactly the
 * shape of tfplugin6's `Schema` and of `terraform providers schema -json`. A schema also implies the
 * Terraform type of the values it describes (`impliedType`), which the value codec needs. Concrete
 * schemas live in `provider/src/schema.ts`; this module knows no tokenform concept.
 */
import type { TfType } from "./values.js";

/** One attribute. Exactly one of `required`, `optional`, `computed` (or `optional` + `computed`). */
export interface AttributeSchema {
  name: string;
  type: TfType;
  /** Plain-text description shown in docs and generated bindings. */
  description: string;
  /** Must be set in configuration. */
  required?: boolean;
  /** May be set in configuration. */
  optional?: boolean;
  /** Set by the provider (with `optional`: defaulted by the provider when not configured). */
  computed?: boolean;
  /** Hidden in plan output. */
  sensitive?: boolean;
}

/** How a nested block's instances are collected: one object, a list, or a set. */
export type NestingMode = "single" | "list" | "set";

/** A nested block such as `github_secret { … }`. */
export interface NestedBlockSchema {
  typeName: string;
  nesting: NestingMode;
  block: BlockSchema;
  /** Minimum number of blocks (list/set), 0 when absent. */
  minItems?: number;
  /** Maximum number of blocks (list/set), unlimited when absent. */
  maxItems?: number;
}

/** A block: attributes and nested blocks. */
export interface BlockSchema {
  description: string;
  attributes: AttributeSchema[];
  blocks: NestedBlockSchema[];
}

/** A versioned top-level schema (provider configuration, resource, or data source). */
export interface Schema {
  /** Bumped when stored state needs an upgrade; 0 for the first release. */
  version: number;
  block: BlockSchema;
}

/** Implied types by block: schemas never change once built, and the codec asks on every value of every RPC. */
const impliedTypes = new WeakMap<BlockSchema, TfType>();

/** The object type of a block's values: attributes by type, nested blocks as object / list / set of objects. */
export function impliedType(block: BlockSchema): TfType {
  let type = impliedTypes.get(block);
  if (type === undefined) {
    type = computeImpliedType(block);
    impliedTypes.set(block, type);
  }
  return type;
}

function computeImpliedType(block: BlockSchema): TfType {
  const attrs: Record<string, TfType> = {};
  for (const a of block.attributes) attrs[a.name] = a.type;
  for (const b of block.blocks) {
    const inner = impliedType(b.block);
    attrs[b.typeName] = b.nesting === "single" ? inner : [b.nesting, inner];
  }
  return ["object", attrs];
}

/** JSON form of a block, as `terraform providers schema -json` prints it. */
export interface BlockJson {
  attributes?: Record<string, AttributeJson>;
  block_types?: Record<string, NestedBlockJson>;
  description?: string;
  description_kind: "plain";
}

/** JSON form of an attribute (flags only when true, as Terraform omits false ones). */
export interface AttributeJson {
  type: TfType;
  description?: string;
  description_kind: "plain";
  required?: true;
  optional?: true;
  computed?: true;
  sensitive?: true;
}

/** JSON form of a nested block. */
export interface NestedBlockJson {
  nesting_mode: NestingMode;
  block: BlockJson;
  min_items?: number;
  max_items?: number;
}

/** JSON form of a versioned schema. */
export interface SchemaJson {
  version: number;
  block: BlockJson;
}

/** Converts a schema to the JSON form of `terraform providers schema -json`. */
export function schemaToJson(schema: Schema): SchemaJson {
  return { version: schema.version, block: blockToJson(schema.block) };
}

function blockToJson(block: BlockSchema): BlockJson {
  // Key order as Terraform prints it: attributes, block_types, description, description_kind.
  const attributes: Record<string, AttributeJson> = {};
  for (const a of block.attributes) {
    attributes[a.name] = {
      type: a.type,
      ...(a.description ? { description: a.description } : {}),
      description_kind: "plain",
      ...(a.required ? { required: true } : {}),
      ...(a.optional ? { optional: true } : {}),
      ...(a.computed ? { computed: true } : {}),
      ...(a.sensitive ? { sensitive: true } : {}),
    };
  }
  const blockTypes: Record<string, NestedBlockJson> = {};
  for (const b of block.blocks) {
    blockTypes[b.typeName] = {
      nesting_mode: b.nesting,
      block: blockToJson(b.block),
      ...(b.minItems ? { min_items: b.minItems } : {}),
      ...(b.maxItems ? { max_items: b.maxItems } : {}),
    };
  }
  return {
    ...(block.attributes.length > 0 ? { attributes } : {}),
    ...(block.blocks.length > 0 ? { block_types: blockTypes } : {}),
    ...(block.description ? { description: block.description } : {}),
    description_kind: "plain",
  };
}
