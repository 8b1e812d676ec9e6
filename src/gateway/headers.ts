/**
 * Which headers cross the gateway. Toward the upstream: everything the MCP client sent (`Mcp-Session-Id`,
 * `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`, `Last-Event-ID`, …) except hop-by-hop
 * headers, the client's credential and signing headers (the upstream never sees the key), and any
 * `X-Tokenform-*` a client wrote itself; then who called, in headers the upstream can trust because the
 * gateway always sets them. Toward the client: the upstream's headers without hop-by-hop ones.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { VerifiedKey } from "../service/cache.js";

/** Headers telling the upstream who called (set on every forwarded request; a client's own are dropped). */
export const CALLER_HEADERS = {
  id: "x-tokenform-token-id",
  name: "x-tokenform-token-name",
  type: "x-tokenform-token-type",
  account: "x-tokenform-account",
} as const;

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the ones a proxy recomputes. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/** What a client sends that is for the gateway alone. */
const CREDENTIALS = new Set(["authorization", "x-api-key", "x-mcp-signature", "x-mcp-timestamp"]);

function named(connection: string | string[] | undefined): Set<string> {
  const value = Array.isArray(connection) ? connection.join(",") : (connection ?? "");
  return new Set(
    value
      .split(",")
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** The headers forwarded to the upstream for a request of `key` (undefined for a CORS preflight). */
export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  key: VerifiedKey | undefined,
  clientIp: string | undefined,
): Record<string, string | string[]> {
  const drop = named(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || CREDENTIALS.has(name) || drop.has(name)) continue;
    if (name.startsWith("x-tokenform-")) continue;
    // Client-written address headers: the gateway says who the client is, below.
    if (name === "forwarded" || name === "x-real-ip") continue;
    out[name] = value;
  }
  if (incoming.host !== undefined) out["x-forwarded-host"] = incoming.host;
  out["x-forwarded-proto"] = "http";
  // The gateway appends the client as it determined it (src/service/client-address.ts), so an upstream
  // that trusts the gateway as one hop sees the same client; `unknown` when it could not be known, which
  // such an upstream cannot mistake for an address (and so no client-written entry becomes the client).
  const prior = incoming["x-forwarded-for"];
  const client = clientIp ?? "unknown";
  out["x-forwarded-for"] = prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${client}` : client;
  if (clientIp !== undefined) out["x-real-ip"] = clientIp;
  if (key !== undefined) {
    out[CALLER_HEADERS.id] = key.id;
    // Names are any printable text ("Cursor MCP", "Käse-Bot"); a header value must be Latin-1, so the name
    // goes percent-encoded as UTF-8 (decodeURIComponent gives it back; a plain slug is unchanged).
    out[CALLER_HEADERS.name] = encodeURIComponent(key.name);
    out[CALLER_HEADERS.type] = key.type;
    out[CALLER_HEADERS.account] = key.account;
  }
  return out;
}

/** The upstream's response headers as sent on to the client (`dropLength` when the body is rewritten). */
export function clientHeaders(
  upstream: Record<string, string | string[] | undefined>,
  dropLength: boolean,
): OutgoingHttpHeaders {
  const drop = named(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || drop.has(name)) continue;
    if (HOP_BY_HOP.has(name) && !(name === "content-length" && !dropLength)) continue;
    out[name] = value;
  }
  return out;
}
