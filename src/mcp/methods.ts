/**
 * The one table of MCP methods: for each JSON-RPC method a client sends an MCP server (revisions 2025-06-18,
 * 2025-11-25 and 2026-07-28), the scope a key needs, whether the message writes, which parameter names its
 * target, and which list a `…/list` method returns. The guard in front of SDK servers, the plain middleware
 * and the gateway all classify through `classifyMessage`; the README prints `METHOD_TABLE`.
 *
 * Reading: MCP traffic is JSON-RPC over POST, so read and write are decided per message, never per HTTP
 * method. Everything reads except `tools/call` of a tool the server does not declare `readOnlyHint: true`
 * (a tool without annotations writes and may destroy: MCP's defaults) and methods this table does not know.
 *
 * Scopes follow the principal method of each feature (`tools/call` → `tools:call`, `resources/read` →
 * `resources:read`, `prompts/get` → `prompts:get`); the feature's list methods need the same scope, since a
 * key that may not use a feature has nothing to list. Lifecycle and utility messages need none.
 */

/** Which list a `…/list` method returns, by the result field that holds it. */
export type ListKind = "tools" | "resources" | "resourceTemplates" | "prompts";

/** How one method is treated. */
export interface MethodRule {
  /** Scopes a key needs for it (none for lifecycle and utility messages). */
  scopes: readonly string[];
  /** `true`: writes; `false`: reads; `"tool"`: reads only when the called tool is declared read-only. */
  write: boolean | "tool";
  /** The parameter naming the method's target (mirrored in the `Mcp-Name` header by 2026-07-28 clients). */
  target?: "name" | "uri";
  /** For list methods: the result field holding the list (a key without the scope gets it empty). */
  list?: ListKind;
  /** What the row means, for the README table. */
  note?: string;
}

const NONE: readonly string[] = [];
const TOOLS = ["tools:call"] as const;
const RESOURCES = ["resources:read"] as const;
const PROMPTS = ["prompts:get"] as const;

/** Every method tokenform knows, client to server. Notifications (`notifications/*`) read and need no scope. */
export const METHOD_TABLE: Readonly<Record<string, MethodRule>> = {
  initialize: { scopes: NONE, write: false, note: "opens a session (up to 2025-11-25)" },
  ping: { scopes: NONE, write: false },
  "server/discover": { scopes: NONE, write: false, note: "2026-07-28" },
  "logging/setLevel": { scopes: NONE, write: false, note: "sets this session's log level only" },
  "subscriptions/listen": { scopes: NONE, write: false, note: "2026-07-28 change notifications" },
  "tools/list": {
    scopes: TOOLS,
    write: false,
    list: "tools",
    note: "lists only the tools the key may call (none without the scope)",
  },
  "tools/call": {
    scopes: TOOLS,
    write: "tool",
    target: "name",
    note: "reads when the tool declares readOnlyHint: true; writes otherwise",
  },
  "resources/list": { scopes: RESOURCES, write: false, list: "resources", note: "empty without the scope" },
  "resources/templates/list": {
    scopes: RESOURCES,
    write: false,
    list: "resourceTemplates",
    note: "empty without the scope",
  },
  "resources/read": { scopes: RESOURCES, write: false, target: "uri" },
  "resources/subscribe": { scopes: RESOURCES, write: false, target: "uri" },
  "resources/unsubscribe": { scopes: RESOURCES, write: false, target: "uri" },
  "prompts/list": { scopes: PROMPTS, write: false, list: "prompts", note: "empty without the scope" },
  "prompts/get": { scopes: PROMPTS, write: false, target: "name" },
  "completion/complete": {
    scopes: NONE,
    write: false,
    note: "needs prompts:get or resources:read, after what it completes",
  },
  "tasks/get": { scopes: TOOLS, write: false, note: "tasks run tool calls (2025-11-25)" },
  "tasks/result": { scopes: TOOLS, write: false },
  "tasks/list": { scopes: TOOLS, write: false },
  "tasks/cancel": { scopes: TOOLS, write: false },
  "tasks/update": { scopes: TOOLS, write: false },
};

/** How a method the table does not list is treated: a write that needs no particular scope. */
export const UNKNOWN_METHOD: MethodRule = { scopes: NONE, write: true, note: "refused to read-only keys" };
/** How notifications and the client's responses to server requests are treated. */
export const NOTIFICATION: MethodRule = { scopes: NONE, write: false };

/** What one JSON-RPC message needs of a key. */
export interface MessageNeeds {
  /** The JSON-RPC method; undefined for a response the client sends back (to a server request). */
  method: string | undefined;
  /** The request id; undefined for notifications and for responses. */
  id: string | number | undefined;
  scopes: readonly string[];
  write: boolean;
  /** The tool a `tools/call` calls. */
  tool?: string;
  /** The name or URI the message targets (for `Mcp-Name`). */
  target?: string;
  /** For list methods: which list the result holds. */
  list?: ListKind;
}

/** Annotations a server declares for a tool (MCP `ToolAnnotations`; only the hint the guard reads). */
export interface ToolHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
}

/** The rule for `method`. */
export function ruleFor(method: string): MethodRule {
  return METHOD_TABLE[method] ?? (method.startsWith("notifications/") ? NOTIFICATION : UNKNOWN_METHOD);
}

function targetOf(params: Record<string, unknown> | undefined, field: "name" | "uri"): string | undefined {
  const value = params?.[field];
  return typeof value === "string" ? value : undefined;
}

/** The scopes `completion/complete` needs: those of the prompt or resource template it completes. */
function completionScopes(params: Record<string, unknown> | undefined): readonly string[] {
  const ref = params?.ref;
  const type = ref !== null && typeof ref === "object" ? (ref as { type?: unknown }).type : undefined;
  return type === "ref/resource" ? RESOURCES : PROMPTS;
}

/**
 * What a message needs: scopes, read or write, its tool and target. `hints(name)` gives the server's
 * declared annotations of a tool (undefined when it declares none or the tool is unknown).
 */
export function classifyMessage(
  message: { method?: string; id?: string | number | null; params?: Record<string, unknown> },
  hints: (tool: string) => ToolHints | undefined,
): MessageNeeds {
  const method = message.method;
  const id = message.id === null ? undefined : message.id;
  if (method === undefined) return { method, id: undefined, scopes: NONE, write: false };
  const rule = ruleFor(method);
  const target = rule.target ? targetOf(message.params, rule.target) : undefined;
  const needs: MessageNeeds = {
    method,
    id,
    scopes: method === "completion/complete" ? completionScopes(message.params) : rule.scopes,
    write: rule.write === true,
  };
  if (target !== undefined) needs.target = target;
  if (rule.list) needs.list = rule.list;
  if (rule.write === "tool") {
    // A call without a tool name is malformed; the server refuses it, but it must not pass as a read.
    needs.tool = target ?? "";
    needs.write = target === undefined || hints(target)?.readOnlyHint !== true;
  }
  return needs;
}
