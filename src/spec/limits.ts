/**
 * Every size and time bound of tokenform, in one table: the spec schema, the management API's schemas and
 * the token service's HTTP server read their limits from here (and the README's "Limits" table lists
 * them). A bound keeps one hostile or mistaken input from stalling the event loop or bloating every
 * answer that carries the token (60 000 labels once took 850 ms to store and made each verify 751 KiB).
 *
 * It lives beside the spec because the spec depends on nothing else of ours; the API and service import it.
 */

/** Longest token name, in characters (code points): room for a sentence-like label, short enough for lists. */
export const MAX_NAME_LENGTH = 128;
/**
 * Deepest nesting of collections (block or flow) a spec may use; deeper input is refused by both readers
 * with a `yaml_too_deep` diagnostic. A TokenSet needs about six levels. The `yaml` package has no fixed
 * limit: its composer recurses and reports `RESOURCE_EXHAUSTION` when the stack runs out, at a depth that
 * depends on the stack left (about 780 flow or 880 block levels in a bare Node 20 process, fewer when
 * called from deeper code); the fast reader recursed the same way and overflowed into a RangeError. One
 * fixed limit well below both gives the same verdict on every path and machine.
 */
export const MAX_NESTING_DEPTH = 100;
/** Labels on one token. */
export const MAX_LABELS = 64;
/** A label key: a DNS-subdomain prefix (253), `/` and a name (63), as Kubernetes allows. */
export const MAX_LABEL_KEY_LENGTH = 317;
/**
 * A label value as the API stores it. (Spec labels follow Kubernetes' stricter 63-character value rule,
 * see `labelValueProblem` in values.ts; the API also carries labels tokenform writes itself.)
 */
export const MAX_LABEL_VALUE_LENGTH = 256;
/** Scopes granted to one token. */
export const MAX_SCOPES = 100;
/** IP allowlist entries (addresses or CIDR ranges) of one token. */
export const MAX_IP_ALLOWLIST = 100;
/** Entries of one token's `tools` allowlist (names or `*` patterns). */
export const MAX_TOOL_PATTERNS = 100;
/** Characters of a token's description. */
export const MAX_DESCRIPTION_LENGTH = 1000;
/** Destinations (claims) one token holds. */
export const MAX_DESTINATIONS = 100;
/** Bytes of one request body to the management API (413 beyond). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Bytes of one spec file (a diagnostic beyond: a spec this size is a mistake, not a token set). */
export const MAX_SPEC_FILE_BYTES = 8 * 1024 * 1024;
/** Aliases one spec document may use: more is refused (a "billion laughs" guard). */
export const MAX_YAML_ALIASES = 100;
/** Bytes of one MCP POST body the guard and gateway read (tool arguments can carry documents). */
export const MAX_MCP_BODY_BYTES = 4 * 1024 * 1024;
/** Milliseconds a client has to send the request line and headers (the connection is closed, 408). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Milliseconds a client has to send the whole body once the headers are in (408, connection closed). */
export const BODY_TIMEOUT_MS = 30_000;
/** Concurrent connections from one remote address to `tokenform serve` (more are answered 429 and closed). */
export const MAX_CONNECTIONS_PER_ADDRESS = 256;

/** `1048576` → `1 MiB (1048576 bytes)`, as people read sizes. */
function bytes(n: number): string {
  return `${n / (1024 * 1024)} MiB (${n} bytes)`;
}

/** The table the README's "Limits" section shows, in this order. */
export const LIMITS: ReadonlyArray<{ what: string; limit: string }> = [
  { what: "token name", limit: `${MAX_NAME_LENGTH} characters` },
  { what: "labels per token", limit: String(MAX_LABELS) },
  { what: "label key length", limit: `${MAX_LABEL_KEY_LENGTH} characters` },
  { what: "label value length (API)", limit: `${MAX_LABEL_VALUE_LENGTH} characters` },
  { what: "scopes per token", limit: String(MAX_SCOPES) },
  { what: "IP allowlist entries per token", limit: String(MAX_IP_ALLOWLIST) },
  { what: "tool patterns per token", limit: String(MAX_TOOL_PATTERNS) },
  { what: "description length", limit: `${MAX_DESCRIPTION_LENGTH} characters` },
  { what: "destinations per token", limit: String(MAX_DESTINATIONS) },
  { what: "request body", limit: bytes(MAX_BODY_BYTES) },
  { what: "spec file", limit: bytes(MAX_SPEC_FILE_BYTES) },
  { what: "spec nesting depth", limit: `${MAX_NESTING_DEPTH} levels` },
  { what: "YAML aliases per spec document", limit: String(MAX_YAML_ALIASES) },
  { what: "MCP request body (guard, gateway, middleware)", limit: bytes(MAX_MCP_BODY_BYTES) },
  { what: "request headers timeout", limit: `${HEADERS_TIMEOUT_MS} ms` },
  { what: "request body timeout", limit: `${BODY_TIMEOUT_MS} ms` },
  { what: "connections per client address", limit: String(MAX_CONNECTIONS_PER_ADDRESS) },
];
