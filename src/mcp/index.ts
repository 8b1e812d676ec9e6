/**
 * `tokenform/mcp`: guarding MCP servers. `tokenformMcp` for servers built with the official TypeScript SDK
 * (an optional peer dependency, imported for types only), and the pieces the guard is made of — the method
 * table, the per-tool policy and the guard itself — for other frameworks and for the gateway.
 */
export { authInfoOf, callerFromAuthInfo, type McpCaller, type SdkAuthInfo } from "./auth-info.js";
export {
  DEFAULT_MCP_BODY_LIMIT,
  type GuardOutcome,
  type GuardVerify,
  type GuardVerifyInput,
  McpGuard,
  type McpGuardOptions,
  type ToolCatalog,
} from "./guard.js";
export {
  classifyMessage,
  type ListKind,
  METHOD_TABLE,
  type MessageNeeds,
  type MethodRule,
  ruleFor,
  type ToolHints,
  UNKNOWN_METHOD,
} from "./methods.js";
export { emptyListResult, filterToolsResult, mayCallTool } from "./policy.js";
export { type TokenformMcpHandler, type TokenformMcpOptions, tokenformMcp } from "./sdk.js";
export { type VerifyBackend, type VerifySource, verifyBackend } from "./verify.js";
