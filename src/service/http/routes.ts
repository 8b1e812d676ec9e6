/**
 * The management API's handlers, one per route of the table in src/api/routes.ts (keyed by `operationId`:
 * a route without a handler does not compile). A handler receives its inputs already read and validated
 * as its route declares them, calls the `TokenManager` or `Verifier`, and returns a reply. Dispatch,
 * authentication and errors are handled once, in `router.ts` and `server.ts`.
 */
import {
  API_ROUTE_LIST,
  type BodyOf,
  type OperationId,
  type QueryOf,
  type RouteDefinition,
} from "../../api/routes.js";
import type { AccountSettings } from "../accounts.js";
import { credentialFromHeaders } from "../credentials.js";
import { ServiceError } from "../errors.js";
import type { GithubLeakAlerts } from "../github-leak-alerts.js";
import type { Pickups } from "../pickups.js";
import type { TokenManager } from "../tokens.js";
import type { Verdict, Verifier } from "../verifier.js";
import type { Reply, RequestContext } from "./context.js";
import type { InvalidationStreams } from "./invalidation-stream.js";
import { verifyResponseJson } from "./verdict.js";

/** A route of the table with its handler, as the router dispatches it. */
export interface Route extends RouteDefinition {
  operationId: OperationId;
  /** `If-Match` must be sent (428 without): the route's If-Match is `configurable` and the service asks. */
  ifMatchRequired: boolean;
  /** The reply, at once when the handler needs no I/O (a verify of a cached key), else a promise of it. */
  handle(ctx: RequestContext): Reply | Promise<Reply>;
}

/** Dependencies of the handlers. */
export interface RouteDeps {
  manager: TokenManager;
  verifier: Verifier;
  accounts: AccountSettings;
  /** Builds the OpenAPI document (served at /openapi.json). */
  openapi: () => unknown;
  /** Refuse PATCH/DELETE without If-Match (428). */
  requireIfMatch: boolean;
  /** The open `GET /v1/invalidations` streams. */
  streams: InvalidationStreams;
  /** GitHub secret scanning's alerts (`POST /v1/leaks/github`). */
  leaks: GithubLeakAlerts;
  /** Holders picking up their keys (`/v1/pickups`). */
  pickups: Pickups;
}

/** A verdict is about a secret: never cached (one shared object, never written). */
const NO_STORE: Readonly<Record<string, string>> = Object.freeze({ "Cache-Control": "no-store" });

/** A verdict as the answer of `POST /v1/verify`. */
function verifyReply(verdict: Verdict): Reply {
  return { status: 200, json: verifyResponseJson(verdict), headers: NO_STORE };
}

/** One handler per operation, typed by its route's body and query. */
type Handlers = {
  [K in OperationId]: (ctx: RequestContext<BodyOf<K>, QueryOf<K>>) => Reply | Promise<Reply>;
};

function tokenReply(
  status: number,
  body: { version: number } | { token: { version: number } },
  extra: Record<string, string> = {},
): Reply {
  const version = "token" in body ? body.token.version : body.version;
  return { status, body, headers: { ETag: `"${version}"`, ...extra } };
}

/** The handlers over their collaborators. */
function handlers(deps: RouteDeps): Handlers {
  const { manager, verifier } = deps;
  return {
    health: async () => ({ status: 200, body: { status: "ok" } }),
    openapi: async () => ({ status: 200, body: deps.openapi() }),
    whoami: async (ctx) => {
      const actor = ctx.actor!;
      const self = await manager.get(actor, actor.tokenId!);
      return {
        status: 200,
        body: {
          account: actor.account,
          tokenId: actor.tokenId,
          name: actor.name,
          type: self.type,
          scopes: [...actor.scopes],
          expiresAt: self.expiresAt,
        },
      };
    },
    listTokens: async ({ actor, query }) => ({ status: 200, body: await manager.list(actor!, query) }),
    createToken: async (ctx) => {
      const created = await manager.create(ctx.actor!, ctx.body);
      // A key its holder picks up is released to that pickup alone, never to its creator.
      const issued = created.token.pickup ? { token: created.token } : created;
      return tokenReply(201, issued, {
        Location: `/v1/tokens/${issued.token.id}`,
        "Cache-Control": "no-store",
      });
    },
    getToken: async (ctx) => tokenReply(200, await manager.get(ctx.actor!, ctx.params.id!)),
    updateToken: async (ctx) =>
      tokenReply(200, await manager.update(ctx.actor!, ctx.params.id!, ctx.body, ctx.ifMatch)),
    deleteToken: async (ctx) => {
      await manager.delete(ctx.actor!, ctx.params.id!, ctx.ifMatch);
      return { status: 204 };
    },
    confirmToken: async (ctx) =>
      tokenReply(200, await manager.confirm(ctx.actor!, ctx.params.id!, ctx.body.deliveries, ctx.ifMatch)),
    rollToken: async (ctx) => {
      const issued = await manager.roll(ctx.actor!, ctx.params.id!, ctx.body, ctx.ifMatch);
      return tokenReply(200, issued, { "Cache-Control": "no-store" });
    },
    tokenUsage: async (ctx) => ({ status: 200, body: await manager.usage(ctx.actor!, ctx.params.id!) }),
    listAudit: async ({ actor, query }) => ({ status: 200, body: await manager.audit(actor!, query) }),
    getAccount: async ({ actor }) => ({ status: 200, body: await deps.accounts.get(actor!) }),
    updateAccount: async ({ actor, body }) => ({
      status: 200,
      body: await deps.accounts.setRateLimit(actor!, body.rateLimit.perHour),
    }),
    verify: (ctx) => {
      const input = ctx.body;
      const request = {
        token: input.token,
        ip: input.ip,
        scopes: input.scopes,
        write: input.write,
        tools: input.tools,
        // An authenticated caller only ever learns about its own account's keys.
        account: ctx.actor?.account,
        signed: input.signature && {
          timestamp: input.signature.timestamp,
          signature: input.signature.signature,
          method: input.signature.method,
          path: input.signature.path,
          body: Buffer.from(input.signature.body, "base64"),
        },
      };
      // A cached key's verdict is answered at once; only a store lookup (or a signed key) is awaited.
      const cached = verifier.verifyCached(request);
      return cached !== undefined ? verifyReply(cached) : verifier.verify(request).then(verifyReply);
    },
    invalidations: (ctx) => deps.streams.open(ctx),
    reportGithubLeaks: async (ctx) => {
      const header = (name: string) => {
        const value = ctx.req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const answers = await deps.leaks.receive(ctx.body, ctx.rawBody ?? Buffer.alloc(0), {
        keyId: header("github-public-key-identifier"),
        signature: header("github-public-key-signature"),
      });
      return { status: 200, body: answers };
    },
    openPickup: async (ctx) => {
      const credential = credentialFromHeaders(ctx.req.headers);
      if (credential.kind === "malformed") {
        throw new ServiceError(
          "invalid_api_key",
          "send the key as 'Authorization: Bearer <key>', 'Authorization: Api-Token <key>' or 'X-API-Key: <key>'",
        );
      }
      const opened = await deps.pickups.open(ctx.body, {
        key: credential.kind === "key" ? credential.key : undefined,
        ip: ctx.clientIp,
      });
      return { status: 201, body: opened, headers: NO_STORE };
    },
    getPickup: async (ctx) => ({
      status: 200,
      body: await deps.pickups.describe(ctx.actor!, ctx.params.code!),
    }),
    approvePickup: async (ctx) => ({
      status: 200,
      body: await deps.pickups.approve(ctx.actor!, ctx.params.code!),
    }),
    claimPickup: async (ctx) => ({
      status: 200,
      body: await deps.pickups.claim(ctx.body.deviceCode),
      headers: NO_STORE,
    }),
    confirmPickup: async (ctx) => ({
      status: 200,
      body: await deps.pickups.delivered(ctx.body.deviceCode, ctx.body.tokens),
    }),
  };
}

/** The route table of src/api/routes.ts, each route bound to its handler. */
export function buildRoutes(deps: RouteDeps): Route[] {
  const bound = handlers(deps) as Record<OperationId, Route["handle"]>;
  return API_ROUTE_LIST.map((route) => ({
    ...route,
    ifMatchRequired: route.ifMatch === "configurable" && deps.requireIfMatch,
    handle: bound[route.operationId],
  }));
}
