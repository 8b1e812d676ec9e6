/**
 * The JSON-RPC layer of MCP's Streamable HTTP transport as a guard sees it: parsing a POST body into its
 * messages (one message, or a batch as 2025-03-26 clients may send), and building JSON-RPC error responses.
 * Only what classification needs is checked (shape, `jsonrpc`, `method`, `id`); the MCP server validates
 * parameters itself.
 */

/** A JSON-RPC 2.0 message as a client sends it: a request, a notification or a response. */
export interface JsonRpcMessage {
  jsonrpc: "2.0";
  /** Absent on responses (the client answering a server request). */
  method?: string;
  /** Absent on notifications. */
  id?: string | number | null;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: unknown;
}

/** JSON-RPC and MCP error codes the guard answers with. */
export const JSONRPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  /** MCP 2026-07-28: the `Mcp-*` headers disagree with the body, or a required one is missing. */
  headerMismatch: -32020,
} as const;

/** A parsed POST body. */
export type ParsedMessages =
  | { ok: true; messages: JsonRpcMessage[]; batch: boolean; body: unknown }
  | { ok: false; code: number; message: string };

function shapeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "is not a JSON object";
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0") return 'lacks "jsonrpc": "2.0"';
  const id = m.id;
  if (id !== undefined && id !== null && typeof id !== "string" && typeof id !== "number")
    return "has an id that is neither a string nor a number";
  if (m.method !== undefined) {
    if (typeof m.method !== "string" || m.method === "") return "has a method that is not a string";
    const params = m.params;
    if (params !== undefined && (params === null || typeof params !== "object"))
      return "has params that are not an object";
    return undefined;
  }
  if (id === undefined || (m.result === undefined && m.error === undefined))
    return "is neither a request, a notification nor a response";
  return undefined;
}

/** Parses a POST body (UTF-8 JSON) into JSON-RPC messages. */
export function parseMessages(body: Buffer | string): ParsedMessages {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch {
    return { ok: false, code: JSONRPC_ERRORS.parseError, message: "Parse error: the body is not valid JSON" };
  }
  const batch = Array.isArray(value);
  const list: unknown[] = batch ? (value as unknown[]) : [value];
  if (list.length === 0) {
    return { ok: false, code: JSONRPC_ERRORS.invalidRequest, message: "Invalid Request: empty batch" };
  }
  for (let i = 0; i < list.length; i++) {
    const problem = shapeProblem(list[i]);
    if (problem !== undefined) {
      return {
        ok: false,
        code: JSONRPC_ERRORS.invalidRequest,
        message: `Invalid Request: ${batch ? `message ${i + 1} of the batch` : "the message"} ${problem}`,
      };
    }
  }
  return { ok: true, messages: list as JsonRpcMessage[], batch, body: value };
}

/**
 * A JSON-RPC error response (`id` null when the request's id is unknown). The message comes first: clients
 * that print a refused request's raw body then show the reason first.
 */
export function errorResponse(
  id: string | number | null | undefined,
  code: number,
  message: string,
  data?: unknown,
): { jsonrpc: "2.0"; id: string | number | null; error: { message: string; code: number; data?: unknown } } {
  return {
    jsonrpc: "2.0",
    id: id ?? null,
    error: data === undefined ? { message, code } : { message, code, data },
  };
}
