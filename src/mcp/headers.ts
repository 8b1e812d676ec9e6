/**
 * MCP 2026-07-28's request metadata headers: `Mcp-Method` and `Mcp-Name` mirror the body's `method` and
 * `params.name` / `params.uri`, and `MCP-Protocol-Version` mirrors `_meta["io.modelcontextprotocol/
 * protocolVersion"]`. A guard that decides on the body must refuse a request whose headers say something
 * else (400, JSON-RPC `HeaderMismatch` -32020): a load balancer or another intermediary may have acted on
 * the headers. Values that are not plain ASCII arrive Base64-encoded as `=?base64?…?=` and are compared
 * decoded.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { JsonRpcMessage } from "./jsonrpc.js";
import { ruleFor } from "./methods.js";

/** `_meta` key carrying the protocol version in 2026-07-28 requests. */
export const PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion";

/** Methods whose requests must carry `Mcp-Name` when they carry `Mcp-Method` (2026-07-28). */
const NAME_REQUIRED = new Set(["tools/call", "resources/read", "prompts/get"]);

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A header value as sent, decoded from the Base64 sentinel form; undefined when the encoding is broken. */
export function decodeHeaderValue(value: string): string | undefined {
  const match = SENTINEL.exec(value);
  if (!match) return value.startsWith("=?base64?") ? undefined : value;
  const bytes = Buffer.from(match[1]!, "base64");
  // Reject what Buffer would silently skip: the re-encoding must give back the text that was sent.
  if (bytes.toString("base64") !== match[1]) return undefined;
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) ? text : undefined;
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Why the headers disagree with the body's messages, or undefined when they agree (or are absent). */
export function headerMismatch(
  headers: IncomingHttpHeaders,
  messages: readonly JsonRpcMessage[],
  batch: boolean,
): string | undefined {
  const method = single(headers["mcp-method"]);
  const name = single(headers["mcp-name"]);
  const version = single(headers["mcp-protocol-version"]);
  if (method === undefined && name === undefined) {
    return versionMismatch(version, messages);
  }
  if (batch) return "Header mismatch: Mcp-Method and Mcp-Name describe one message, not a batch";
  const message = messages[0]!;
  if (method === undefined) return "Header mismatch: Mcp-Name was sent without Mcp-Method";
  if (method !== message.method) {
    return `Header mismatch: Mcp-Method header value ${show(method)} does not match body value ${show(message.method ?? "(a response)")}`;
  }
  const field = ruleFor(method).target;
  const target = field ? message.params?.[field] : undefined;
  if (name === undefined) {
    return typeof target === "string" && NAME_REQUIRED.has(method)
      ? `Header mismatch: ${method} requires the Mcp-Name header (${field})`
      : versionMismatch(version, messages);
  }
  const decoded = decodeHeaderValue(name);
  if (decoded === undefined) return "Header mismatch: Mcp-Name is not valid =?base64?…?= encoding";
  if (typeof target !== "string") {
    return `Header mismatch: Mcp-Name was sent but ${method} names no ${field ?? "target"}`;
  }
  if (decoded !== target) {
    return `Header mismatch: Mcp-Name header value ${show(decoded)} does not match body value ${show(target)}`;
  }
  return versionMismatch(version, messages);
}

function versionMismatch(
  version: string | undefined,
  messages: readonly JsonRpcMessage[],
): string | undefined {
  if (version === undefined) return undefined;
  for (const message of messages) {
    const meta = message.params?._meta;
    const declared =
      meta !== null && typeof meta === "object"
        ? (meta as Record<string, unknown>)[PROTOCOL_VERSION_META]
        : undefined;
    if (typeof declared === "string" && declared !== version) {
      return `Header mismatch: MCP-Protocol-Version header value ${show(version)} does not match body value ${show(declared)}`;
    }
  }
  return undefined;
}
