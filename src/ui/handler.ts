/**
 * The dashboard's HTTP side, everything under `/ui/`: the page and its static files, sign-in (an admin key
 * exchanged for a session cookie), session info with the CSRF token, logout, and `/ui/api/v1/…` — the
 * management API itself, reached with the session instead of a bearer key. Those requests are handed to
 * the API's own request handler with the session's key as their `Authorization`, so every read and write
 * goes through the same routes, validation, authority rules and audit as the API (one rule in one place);
 * what is added here is the cookie, the CSRF check on every write, and the browser security headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { clientAddress, type ProxyTrust } from "../service/client-address.js";
import { ServiceError } from "../service/errors.js";
import { Refused } from "../service/http/authenticate.js";
import { send, sendError } from "../service/http/reply.js";
import { readJson } from "../service/http/request.js";
import { newRequestId } from "../service/ids.js";
import { ADMIN_SCOPES, hasScopes } from "../service/scopes.js";
import type { Verifier } from "../service/verifier.js";
import { isHttps } from "./https.js";
import { SECURITY_HEADERS } from "./page.js";
import { type Session, type SessionStore, sameSecret } from "./session.js";
import { serveStatic } from "./static.js";

/** Name of the session cookie (path `/ui/`). */
export const SESSION_COOKIE = "tokenform_session";
/** Header every dashboard write carries the session's CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";
/** Largest sign-in body (a key is ~45 characters). */
const SIGN_IN_LIMIT = 4096;

export interface UiHandlerOptions {
  /** The management API's request handler, to which `/ui/api/…` requests are handed. */
  api: (req: IncomingMessage, res: ServerResponse) => void;
  verifier: Verifier;
  sessions: SessionStore;
  proxyTrust: ProxyTrust;
  logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The value of cookie `name` in a `Cookie` header. */
function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sessionCookie(req: IncomingMessage, trust: ProxyTrust, value: string, maxAge: number): string {
  const secure = isHttps(req, trust) ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Path=/ui/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

/** Refuses a cross-site request: an `Origin` other than this host's. */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = "";
  }
  if (host !== req.headers.host) {
    throw new ServiceError("forbidden", "cross-site request refused: the Origin is not this dashboard");
  }
}

/** Refuses a write without the session's CSRF token. */
function checkCsrf(req: IncomingMessage, session: Session): void {
  checkOrigin(req);
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== "string" || !sameSecret(sent, session.csrf)) {
    throw new ServiceError(
      "forbidden",
      `missing or wrong CSRF token: dashboard writes must send the session's ${CSRF_HEADER} header`,
    );
  }
}

/** One access-log line for a dashboard request, once it is answered. */
function logDone(logger: Logger, req: IncomingMessage, res: ServerResponse, id: string): void {
  const { method, url } = req;
  res.on("finish", () => {
    logger.info({ req: { id, method, url }, res: { statusCode: res.statusCode } }, "dashboard request");
  });
}

/** Session answers (the CSRF token) are never cached. */
const NO_STORE = { "Cache-Control": "no-store" };

const SIGNED_OUT = "your dashboard session has ended (signed out or expired): sign in again";

/** Checks `key` as the dashboard's sign-in does: a valid admin key with `tokens:read`. */
async function checkKey(verifier: Verifier, key: string, ip: string | undefined) {
  const input = { token: key, ip, rateLimit: false };
  const verdict = verifier.verifyCached(input) ?? (await verifier.verify(input));
  if (!verdict.valid) throw new Refused(verdict);
  if (verdict.token.type !== "admin") {
    throw new ServiceError(
      "forbidden",
      `the dashboard accepts only admin keys; this is an ${verdict.token.type} key`,
    );
  }
  if (!hasScopes(verdict.token.scopes, [ADMIN_SCOPES.read])) {
    throw new ServiceError(
      "insufficient_scope",
      "the dashboard needs an admin key with the scope tokens:read",
    );
  }
  return verdict.token;
}

export function createUiHandler(options: UiHandlerOptions): Handler {
  const { verifier, sessions, logger } = options;
  const trust = options.proxyTrust;

  function current(req: IncomingMessage): Session {
    const session = sessions.touch(cookie(req.headers.cookie, SESSION_COOKIE));
    if (!session) throw new ServiceError("unauthorized", SIGNED_OUT);
    return session;
  }

  async function signIn(req: IncomingMessage, res: ServerResponse, ip: string | undefined, id: string) {
    checkOrigin(req);
    const body = await readJson(req, SIGN_IN_LIMIT, undefined);
    const key = (body as { key?: unknown } | undefined)?.key;
    if (typeof key !== "string" || key.trim() === "") {
      throw new ServiceError("bad_request", 'send {"key": "<admin key>"} to sign in');
    }
    await checkKey(verifier, key.trim(), ip);
    const opened = sessions.open(key.trim());
    const maxAge = Math.floor(sessions.maxMs / 1000);
    res.setHeader("Set-Cookie", sessionCookie(req, trust, opened.id, maxAge));
    send(res, id, { status: 204, headers: NO_STORE });
  }

  async function whoami(req: IncomingMessage, res: ServerResponse, ip: string | undefined, id: string) {
    const session = current(req);
    const key = await checkKey(verifier, session.key.reveal(), ip).catch((error: unknown) => {
      sessions.close(cookie(req.headers.cookie, SESSION_COOKIE));
      throw error;
    });
    send(res, id, {
      status: 200,
      headers: NO_STORE,
      body: {
        account: key.account,
        name: key.name,
        tokenId: key.id,
        scopes: [...key.scopes],
        // The same two checks the API makes on a write: the scope, and a key that is not read-only.
        canWrite: hasScopes(key.scopes, [ADMIN_SCOPES.write]) && !key.readOnly,
        csrf: session.csrf,
        idleSeconds: Math.floor(sessions.idleMs / 1000),
      },
    });
  }

  function logout(req: IncomingMessage, res: ServerResponse, id: string) {
    const value = cookie(req.headers.cookie, SESSION_COOKIE);
    const session = sessions.touch(value);
    if (session) checkCsrf(req, session);
    sessions.close(value);
    res.setHeader("Set-Cookie", sessionCookie(req, trust, "", 0));
    send(res, id, { status: 204 });
  }

  /** Hands `/ui/api/<path>` to the API as `<path>`, authenticated by the session's key. */
  function forward(req: IncomingMessage, res: ServerResponse, rest: string) {
    const session = current(req);
    if (req.method !== "GET" && req.method !== "HEAD") checkCsrf(req, session);
    if (!rest.startsWith("/v1/")) throw new ServiceError("not_found", `no dashboard route for ${rest}`);
    req.url = rest;
    delete req.headers.cookie;
    delete req.headers["x-api-key"];
    req.headers.authorization = `Bearer ${session.key.reveal()}`;
    res.setHeader("Cache-Control", "no-store");
    options.api(req, res);
  }

  async function route(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const url = req.url ?? "/";
    const cut = url.indexOf("?");
    const path = cut < 0 ? url : url.slice(0, cut);
    const ip = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trust);
    const method = req.method ?? "GET";
    const read = method === "GET" || method === "HEAD";
    if (path.startsWith("/ui/api/")) return forward(req, res, url.slice("/ui/api".length));
    if (read && (await serveStatic(req, res, path, id, logger))) return;
    if (path === "/ui/session" && method === "POST") return signIn(req, res, ip, id);
    if (path === "/ui/session" && method === "GET") return whoami(req, res, ip, id);
    if (path === "/ui/logout" && method === "POST") return logout(req, res, id);
    throw new ServiceError("not_found", `no dashboard route for ${method} ${path}`);
  }

  const logging = logger.isLevelEnabled("info");
  return (req, res) => {
    const id = newRequestId();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // `/ui/api/…` requests are logged by the API's handler; the dashboard's own ones here (no headers:
    // the cookie is the session, and bodies — the pasted key — are never logged).
    if (logging && !(req.url ?? "").startsWith("/ui/api/")) logDone(logger, req, res, id);
    route(req, res, id).catch((error: unknown) => sendError(res, id, error, logger));
  };
}
