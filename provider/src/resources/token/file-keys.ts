/**
 * The variable name of each `file` destination (format env): the configured `key`; else the key the same
 * file had in the prior state; else, for a state written before keys were kept, the one its previous name
 * gave; else one derived from the token's name (`laptop-dev` → `LAPTOP_DEV`, the spec's `envKeyFor`). So
 * renaming a token never renames the variable an editor or a script reads: the key is fixed when the block
 * is added and changes only when the configuration says so.
 */
import { envKeyFor } from "../../../../src/spec/resolve.js";
import { isObject, type TfObject, type TfValue, UNKNOWN, Unknown } from "../../runtime/values.js";

/** The key a block in the prior state had; undefined when no prior block is this file. */
function priorKey(prior: TfObject | null, path: string): TfValue | undefined {
  if (prior === null || !Array.isArray(prior.file)) return undefined;
  for (const block of prior.file) {
    if (!isObject(block) || block.path !== path || block.format === "raw") continue;
    if (typeof block.key === "string") return block.key;
    return typeof prior.name === "string" ? envKeyFor(prior.name) : undefined;
  }
  return undefined;
}

function keyFor(block: TfObject, name: TfValue, prior: TfObject | null): TfValue {
  const key = block.key ?? null;
  if (key !== null) return key;
  const format = block.format ?? null;
  if (format instanceof Unknown) return UNKNOWN;
  if (format === "raw") return null;
  if (block.path instanceof Unknown) return UNKNOWN;
  const kept = typeof block.path === "string" ? priorKey(prior, block.path) : undefined;
  if (kept !== undefined) return kept;
  return typeof name === "string" ? envKeyFor(name) : UNKNOWN;
}

/** `config` with every file block's `key` planned (see the module comment); other values as configured. */
export function withFileKeys(config: TfObject, prior: TfObject | null): TfObject {
  const blocks = config.file ?? null;
  if (!Array.isArray(blocks)) return config;
  const name = config.name ?? null;
  return {
    ...config,
    file: blocks.map((b) => (isObject(b) ? { ...b, key: keyFor(b, name, prior) } : b)),
  };
}
