/**
 * Who is calling the management API: the admin key a request carries, checked through the `Verifier`
 * against what the route's access needs (src/api/routes.ts `RouteAccess`), becomes the request's `Actor`.
 *
 * Who may call `POST /v1/verify`: an admin key of the account with `tokens:verify` or `tokens:read`
 * (verdicts then only ever concern that account's keys), or — when `anonymousLoopbackVerify` is on (the
 * default) — any caller connecting over loopback without proxy headers (`X-Forwarded-For`/`Forwarded`),
 * i.e. a gateway or MCP server on the same host. Loopback requests that came through a reverse proxy are
 * treated as remote.
 */
import type { IncomingMessage } from "node:http";
import type { RouteAccess } from "../../api/routes.js";
import { OWNER_HEADER, OWNER_VALUE } from "../../api/schemas.js";
import { credentialFromHeaders } from "../credentials.js";
import { ServiceError } from "../errors.js";
import { isLoopback } from "../ip.js";
import { ADMIN_SCOPES, hasScopes } from "../scopes.js";
import type { Actor } from "../tokens.js";
import type { Verdict, Verifier } from "../verifier.js";

/** A key refused by the verifier: answered as its verdict says (`refusalResponse`). */
export class Refused extends Error {
  constructor(readonly verdict: Extract<Verdict, { valid: false }>) {
    super(verdict.message);
  }
}

const MALFORMED_HEADER: Extract<Verdict, { valid: false }> = {
  valid: false,
  code: "MALFORMED",
  message:
    "send the key as 'Authorization: Bearer <key>', 'Authorization: Api-Token <key>' or 'X-API-Key: <key>'",
};

const NO_SCOPES: string[] = [];
const READ_SCOPE = [ADMIN_SCOPES.read];
const VERIFY_SCOPE = [ADMIN_SCOPES.verify];
const REQUIRED_SCOPE: Partial<Record<RouteAccess, string[]>> = {
  read: READ_SCOPE,
  write: [ADMIN_SCOPES.write],
};

export interface AuthenticatorOptions {
  verifier: Verifier;
  /** Let loopback callers without proxy headers use `/v1/verify` without a key. */
  anonymousLoopbackVerify: boolean;
}

/**
 * The actor of a request to a route with `access`: undefined for public routes and anonymous loopback
 * verification; throws `Refused` (401/403/429 from the verdict) or a `ServiceError` (403) otherwise. At
 * once when the caller's key is cached (the verifier's synchronous path), else a promise of the same.
 */
export type Authenticator = (
  req: IncomingMessage,
  clientIp: string | undefined,
  access: RouteAccess,
) => Actor | undefined | Promise<Actor | undefined>;

/** True for a keyless `/v1/verify` call the service lets through (loopback, no proxy headers). */
function anonymousVerify(req: IncomingMessage, allowed: boolean): boolean {
  return (
    allowed &&
    isLoopback(req.socket.remoteAddress) &&
    req.headers["x-forwarded-for"] === undefined &&
    req.headers.forwarded === undefined
  );
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { verifier } = options;
  return (req, clientIp, access) => {
    // A signed route's handler checks the signature over the body it reads.
    if (access === "public" || access === "signed") return undefined;
    const credential = credentialFromHeaders(req.headers);
    if (
      access === "verify" &&
      credential.kind === "missing" &&
      anonymousVerify(req, options.anonymousLoopbackVerify)
    ) {
      return undefined;
    }
    if (credential.kind === "malformed") throw new Refused(MALFORMED_HEADER);
    const input = {
      token: credential.kind === "key" ? credential.key : undefined,
      ip: clientIp,
      scopes: REQUIRED_SCOPE[access] ?? NO_SCOPES,
      write: access === "write",
      // Management calls are not counted against MCP rate limits (see README: rate limits).
      rateLimit: false,
    };
    const cached = verifier.verifyCached(input);
    if (cached !== undefined) return actorOf(req, clientIp, access, cached);
    return verifier.verify(input).then((verdict) => actorOf(req, clientIp, access, verdict));
  };
}

/** The actor a verdict on the caller's key makes, or the refusal it is. */
function actorOf(
  req: IncomingMessage,
  clientIp: string | undefined,
  access: RouteAccess,
  verdict: Verdict,
): Actor {
  if (!verdict.valid) throw new Refused(verdict);
  const token = verdict.token;
  if (token.type !== "admin") {
    throw new ServiceError(
      "forbidden",
      `the management API accepts only admin tokens; this is an ${token.type} key`,
    );
  }
  if (access === "verify" && !hasScopes(token.scopes, VERIFY_SCOPE) && !hasScopes(token.scopes, READ_SCOPE)) {
    throw new ServiceError(
      "insufficient_scope",
      "verifying keys needs the scope tokens:verify or tokens:read",
    );
  }
  const actor: Actor = {
    account: token.account,
    name: token.name,
    tokenId: token.id,
    scopes: token.scopes,
    ip: clientIp ?? null,
  };
  const owner = declaredOwner(req);
  if (owner !== undefined) actor.owner = owner;
  return actor;
}

/** The TokenSet owner a request declares it writes for (`Tokenform-Owner`), checked as the spec checks owners. */
function declaredOwner(req: IncomingMessage): string | undefined {
  const value = req.headers[OWNER_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !OWNER_VALUE.test(value)) {
    throw new ServiceError(
      "bad_request",
      `${OWNER_HEADER} must be one TokenSet owner such as acme/platform-infra (letters, digits, ._- and /)`,
    );
  }
  return value;
}
