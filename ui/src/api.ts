/**
 * The dashboard's calls: its own session endpoints (`/ui/session`, `/ui/logout`) and the management API
 * through `/ui/api/v1/…`, with the session cookie and, on every write, the CSRF token. The admin key is
 * sent once, to sign in, and kept nowhere in the page.
 */
import type { AuditEntry, Page, Pickup, Token, Usage } from "./types";

export interface Me {
  account: string;
  name: string;
  tokenId: string;
  scopes: string[];
  canWrite: boolean;
  csrf: string;
  idleSeconds: number;
}

/** An API refusal, with the service's message (already free of secrets). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

let csrf = "";
let onSignedOut: (message: string) => void = () => {};

/** Called when a request finds the session gone (expired, signed out, key revoked). */
export function whenSignedOut(handler: (message: string) => void): void {
  onSignedOut = handler;
}

async function call<T>(path: string, init: RequestInit & { etag?: number } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  if (init.method && init.method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (init.etag !== undefined) headers["If-Match"] = `"${init.etag}"`;
  const res = await fetch(path, { ...init, headers, credentials: "same-origin" });
  if (res.status === 204) return undefined as T;
  const body = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = (body as { error?: { message?: string; code?: string } } | undefined)?.error;
    const failure = new ApiFailure(res.status, error?.message ?? `HTTP ${res.status}`, error?.code ?? "");
    if (res.status === 401 && !path.endsWith("/ui/session")) onSignedOut(failure.message);
    throw failure;
  }
  return body as T;
}

export async function signIn(key: string): Promise<Me> {
  await call("/ui/session", { method: "POST", body: JSON.stringify({ key }) });
  return me();
}

export async function me(): Promise<Me> {
  const who = await call<Me>("/ui/session");
  csrf = who.csrf;
  return who;
}

export async function signOut(): Promise<void> {
  await call("/ui/logout", { method: "POST" });
  csrf = "";
}

const API = "/ui/api/v1";

/** Every page of a paged list (at most `maxPages`). */
async function all<T>(path: string, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const page: Page<T> = await call<Page<T>>(
      `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return items;
}

export const listTokens = () => all<Token>(`${API}/tokens`);
export const getToken = (id: string) => call<Token>(`${API}/tokens/${encodeURIComponent(id)}`);
export const tokenUsage = (id: string) => call<Usage>(`${API}/tokens/${encodeURIComponent(id)}/usage`);
/** The newest audit entries (at most 2000), only those matching every filter given (the API filters). */
export const listAudit = (filters: { targetId?: string; actor?: string; action?: string } = {}) => {
  const query = new URLSearchParams(
    Object.entries(filters).filter((e): e is [string, string] => Boolean(e[1])),
  );
  const search = query.toString();
  return all<AuditEntry>(`${API}/audit${search ? `?${search}` : ""}`, 4);
};

export const updateToken = (token: Token, patch: Record<string, unknown>) =>
  call<Token>(`${API}/tokens/${encodeURIComponent(token.id)}`, {
    method: "PATCH",
    body: JSON.stringify(patch),
    etag: token.version,
  });
export const deleteToken = (token: Token) =>
  call<void>(`${API}/tokens/${encodeURIComponent(token.id)}`, { method: "DELETE", etag: token.version });
/** Rolls a key: the new secret, or none for a key its holder picks up (it waits for their pickup). */
export const rollToken = (token: Token, overlap: string) =>
  call<{ token: Token; secret?: string }>(`${API}/tokens/${encodeURIComponent(token.id)}/roll`, {
    method: "POST",
    body: JSON.stringify({ overlap }),
    etag: token.version,
  });
export const createToken = (input: Record<string, unknown>) =>
  call<{ token: Token; secret: string }>(`${API}/tokens`, { method: "POST", body: JSON.stringify(input) });
/** A holder's pickup session by the user code their CLI shows (`WDJB-MJHT`; case and dash optional). */
export const getPickup = (code: string) => call<Pickup>(`${API}/pickups/${encodeURIComponent(code)}`);
/** Approves a waiting pickup: the holder's next poll receives its keys' new secrets, once. */
export const approvePickup = (code: string) =>
  call<Pickup>(`${API}/pickups/${encodeURIComponent(code)}/approve`, { method: "POST" });
