/**
 * What a verified key may see and call on an MCP server: the per-tool decision (`mayCallTool`) and the
 * filtering of list results built on it. The rule itself is the service's (`checkGrant`: scopes, tool
 * allowlist, read-only), so `tools/list` shows exactly the tools a `tools/call` would be allowed.
 */
import type { VerifiedKey } from "../service/cache.js";
import { checkGrant } from "../service/grant.js";
import { type ListKind, METHOD_TABLE, type ToolHints } from "./methods.js";

/** What the key decision needs of a verified key. */
export type KeyGrant = Pick<VerifiedKey, "type" | "scopes" | "readOnly" | "tools">;

const CALL = METHOD_TABLE["tools/call"]!;

/** Whether `key` may call `tool`, given the server's declared hints for it. */
export function mayCallTool(key: KeyGrant, tool: string, hints: ToolHints | undefined): boolean {
  return (
    checkGrant(key, { scopes: CALL.scopes, tools: [tool], write: hints?.readOnlyHint !== true }) === undefined
  );
}

/** The scopes a list method needs (the feature's scope). */
function listScopes(kind: ListKind): readonly string[] {
  for (const rule of Object.values(METHOD_TABLE)) if (rule.list === kind) return rule.scopes;
  return [];
}

/** Whether `key` may use the feature a list belongs to (otherwise the list is answered empty). */
export function mayList(key: KeyGrant, kind: ListKind): boolean {
  return checkGrant(key, { scopes: listScopes(kind) }) === undefined;
}

/** A tool as `tools/list` returns it (only the fields the filter reads). */
interface ListedTool {
  name?: unknown;
  annotations?: ToolHints | null;
}

/**
 * A `tools/list` result with only the tools `key` may call. Annotations come from the result itself: the
 * list is the server's own declaration. Returns the result unchanged (same object) when nothing is removed.
 */
export function filterToolsResult(result: unknown, key: KeyGrant): unknown {
  if (result === null || typeof result !== "object") return result;
  const tools = (result as { tools?: unknown }).tools;
  if (!Array.isArray(tools)) return result;
  const kept = (tools as ListedTool[]).filter(
    (tool) =>
      typeof tool?.name === "string" &&
      mayCallTool(key, tool.name, tool.annotations === null ? undefined : tool.annotations),
  );
  if (kept.length === tools.length) return result;
  return privateResult({ ...(result as object), tools: kept });
}

/** An empty result for a list the key may not see. */
export function emptyListResult(
  kind: ListKind,
  protocolVersion: string | undefined,
): Record<string, unknown> {
  const result: Record<string, unknown> = { [kind]: [] };
  // 2026-07-28 results say how long they may be cached and by whom; this one depends on the key.
  if (protocolVersion !== undefined && protocolVersion >= "2026-07-28") {
    result.ttlMs = 0;
    result.cacheScope = "private";
  }
  return result;
}

/** Marks a cacheable 2026-07-28 result as depending on the caller's authorization. */
function privateResult(result: Record<string, unknown>): Record<string, unknown> {
  return "cacheScope" in result ? { ...result, cacheScope: "private" } : result;
}
