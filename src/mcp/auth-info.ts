/**
 * The verified key as the MCP TypeScript SDK's `AuthInfo`: the SDK's Streamable HTTP transport reads
 * `req.auth` and hands it to every request handler as `extra.authInfo`, so a tool can say who triggered it.
 * `token` is the key's fingerprint, never the key: a handler can neither leak it nor pass it on to another
 * service (MCP forbids token passthrough). The tokenform view of the key is `extra.tokenform`.
 */
import { fingerprintOf } from "../api/secret.js";
import type { VerifiedKey } from "../service/cache.js";

/** The key as tool handlers see it in `extra.authInfo.extra.tokenform`. */
export interface McpCaller {
  id: string;
  name: string;
  type: "mcp" | "agent" | "admin";
  account: string;
  scopes: string[];
  labels: Record<string, string>;
  readOnly: boolean;
  /** The key's tool allowlist; null = no restriction. */
  tools: string[] | null;
}

/** The SDK's `AuthInfo` shape (declared here so the core needs no SDK at run time). */
export interface SdkAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  extra?: Record<string, unknown>;
}

const callers = new WeakMap<VerifiedKey, Readonly<McpCaller>>();

/**
 * The caller description for a verified key (frozen, with its lists). Made once per key object: the
 * in-process verifier hands out the same `VerifiedKey` for every request with one secret until its cache
 * entry is renewed.
 */
export function callerOf(key: VerifiedKey): Readonly<McpCaller> {
  let caller = callers.get(key);
  if (caller === undefined) {
    caller = describe(key);
    callers.set(key, caller);
  }
  return caller;
}

function describe(key: VerifiedKey): Readonly<McpCaller> {
  return Object.freeze({
    id: key.id,
    name: key.name,
    type: key.type,
    account: key.account,
    scopes: Object.freeze([...key.scopes]) as string[],
    labels: Object.freeze({ ...key.labels }),
    readOnly: key.readOnly,
    tools: key.tools === null ? null : (Object.freeze([...key.tools]) as string[]),
  });
}

/** Made once per verified key, as `callerOf`. */
const made = new WeakMap<VerifiedKey, Readonly<SdkAuthInfo>>();

/** `AuthInfo` for a verified key presented as `rawKey` (frozen: requests share it). */
export function authInfoOf(key: VerifiedKey, rawKey: string): Readonly<SdkAuthInfo> {
  let info = made.get(key);
  if (info === undefined) {
    const built: SdkAuthInfo = {
      token: fingerprintOf(rawKey),
      clientId: key.name,
      scopes: Object.freeze([...key.scopes]) as string[],
      extra: Object.freeze({ tokenform: callerOf(key) }),
    };
    if (key.expiresAt !== null) built.expiresAt = Math.floor(key.expiresAt / 1000);
    info = Object.freeze(built);
    made.set(key, info);
  }
  return info;
}

/** The tokenform caller in an `AuthInfo` the guard made, or undefined. */
export function callerFromAuthInfo(info: unknown): McpCaller | undefined {
  if (info === null || typeof info !== "object") return undefined;
  const extra = (info as { extra?: unknown }).extra;
  if (extra === null || typeof extra !== "object") return undefined;
  const caller = (extra as { tokenform?: unknown }).tokenform;
  return caller !== null && typeof caller === "object" && typeof (caller as McpCaller).id === "string"
    ? (caller as McpCaller)
    : undefined;
}
