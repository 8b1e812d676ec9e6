/**
 * What a verified key may do, decided from the key alone: its scopes, its tool allowlist and its
 * read-only flag against what a request needs. One function, so the verifier (`/v1/verify`, the management
 * API, the in-process middleware) and the MCP guard's per-tool decisions — which tools a key sees in
 * `tools/list` — can never disagree. Checked in this order: scopes, tools, read-only.
 */
import type { VerifyCode } from "../api/schemas.js";
import { toolsRefused } from "../spec/tools.js";
import type { VerifiedKey } from "./cache.js";
import { hasScopes, missingScopes } from "./scopes.js";

/** What a request needs of a key. */
export interface GrantNeeds {
  /** Scopes the request needs; all must be granted. */
  scopes?: readonly string[];
  /** The request modifies data (refused for read-only keys). */
  write?: boolean;
  /** MCP tools the request calls; each must be allowed by the key's `tools` list. */
  tools?: readonly string[];
}

/** Why a key may not make a request: a verify code and words safe to show its holder. */
export interface GrantRefusal {
  code: Extract<VerifyCode, "INSUFFICIENT_SCOPE" | "TOOL_NOT_ALLOWED" | "READ_ONLY">;
  message: string;
  /** With INSUFFICIENT_SCOPE: the scopes the key lacks (for `WWW-Authenticate: … scope="…"`). */
  missing?: string[];
}

type Grant = Pick<VerifiedKey, "type" | "scopes" | "readOnly" | "tools">;

function list(names: readonly string[]): string {
  return names.join(", ");
}

/** The refusal for `needs`, or undefined when the key may make the request. */
export function checkGrant(key: Grant, needs: GrantNeeds): GrantRefusal | undefined {
  const scopes = needs.scopes;
  if (scopes !== undefined && scopes.length > 0 && !hasScopes(key.scopes, scopes)) {
    const missing = missingScopes(key.scopes, scopes);
    return {
      code: "INSUFFICIENT_SCOPE",
      message: `this key lacks the scope${missing.length > 1 ? "s" : ""} ${list(missing)}`,
      missing,
    };
  }
  const tools = needs.tools ?? [];
  if (key.tools !== null && tools.length > 0) {
    const refused = toolsRefused(key.tools, tools);
    if (refused.length > 0) {
      return {
        code: "TOOL_NOT_ALLOWED",
        message:
          `this key may not call the tool${refused.length > 1 ? "s" : ""} ${list(refused)}` +
          (key.tools.length === 0 ? " (its tool list is empty)" : ` (it may call: ${list(key.tools)})`),
      };
    }
  }
  if (needs.write === true && key.readOnly) {
    return {
      code: "READ_ONLY",
      message:
        tools.length > 0
          ? `this ${key.type} key is read-only and cannot call ${list(tools)}: only tools the server declares read-only (readOnlyHint: true)`
          : `this ${key.type} key is read-only and cannot make write requests`,
    };
  }
  return undefined;
}
