/**
 * The management API v1 route table: method, path, who may call it, and a small handler that validates
 * input with the shared zod schemas (src/api/schemas.ts), calls the `TokenManager` or `Verifier`, and
 * returns a reply. Authentication and errors are handled once, in `server.ts`.
 */
import type { z } from "zod";
import {
  ConfirmTokenRequestSchema,
  CreateTokenRequestSchema,
  RollTokenRequestSchema,
  TokenStatusSchema,
  UpdateTokenRequestSchema,
  VerifyRequestSchema,
} from "../../api/schemas.js";
import { maskSecrets } from "../../api/secret.js";
import { TOKEN_TYPES, type TokenType } from "../../spec/schema.js";
import { ServiceError } from "../errors.js";
import type { TokenManager } from "../tokens.js";
import type { Verifier } from "../verifier.js";
import type { Reply, RequestContext } from "./context.js";
import { verifyResponseOf } from "./verdict.js";

/** Who may call a route: nobody in particular, any admin key, or an admin key with a scope. */
export type RouteAccess = "public" | "admin" | "read" | "write" | "verify";

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI-style template, e.g. `/v1/tokens/{id}`. */
  path: string;
  access: RouteAccess;
  handle(ctx: RequestContext): Promise<Reply>;
}

/** Dependencies of the handlers. */
export interface RouteDeps {
  manager: TokenManager;
  verifier: Verifier;
  /** Builds the OpenAPI document (served at /openapi.json). */
  openapi: () => unknown;
  /** Refuse PATCH/DELETE without If-Match (428). */
  requireIfMatch: boolean;
}

/** Longest piece of a refused input (a key, a path segment) an error message repeats. */
const ECHO_MAX = 24;

/** A refused piece of input as an error message may show it: masked, and cut to a short prefix. */
function echo(text: string): string {
  const masked = maskSecrets(text);
  return masked.length > ECHO_MAX ? `${masked.slice(0, ECHO_MAX)}…` : masked;
}

/** A zod issue as the API reports it: the path and message, never more of the input than a short prefix. */
function safeIssue(issue: z.core.$ZodIssue): { path: string; code: string; message: string } {
  const path = issue.path.map((p) => echo(String(p))).join(".") || "(body)";
  const message =
    issue.code === "unrecognized_keys"
      ? `unrecognized key${issue.keys.length === 1 ? "" : "s"}: ${issue.keys.map((k) => JSON.stringify(echo(k))).join(", ")}`
      : maskSecrets(issue.message);
  return { path, code: issue.code, message };
}

/** Parses a body against a schema: 422 with every issue when it does not fit. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map(safeIssue);
  throw new ServiceError(
    "unprocessable",
    `invalid request body: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    {},
    { issues },
  );
}

/** Parses `If-Match`: a version number, `*` (any) or absent. */
export function parseIfMatch(header: string | undefined, required: boolean): number | undefined {
  if (header === undefined || header.trim() === "") {
    if (required)
      throw new ServiceError(
        "precondition_required",
        'this request needs an If-Match header (the ETag, e.g. "3")',
      );
    return undefined;
  }
  const value = header.trim();
  if (value === "*") return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (!match) throw new ServiceError("bad_request", 'If-Match must be an ETag such as "3"');
  return Number(match[1]);
}

function tokenReply(
  status: number,
  body: { version: number } | { token: { version: number } },
  extra: Record<string, string> = {},
): Reply {
  const version = "token" in body ? body.token.version : body.version;
  return { status, body, headers: { ETag: `"${version}"`, ...extra } };
}

function queryValue(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null ? undefined : value;
}

export function buildRoutes(deps: RouteDeps): Route[] {
  const { manager, verifier } = deps;
  const ifMatch = (ctx: RequestContext) => parseIfMatch(ctx.req.headers["if-match"], deps.requireIfMatch);
  return [
    {
      method: "GET",
      path: "/healthz",
      access: "public",
      handle: async () => ({ status: 200, body: { status: "ok" } }),
    },
    {
      method: "GET",
      path: "/openapi.json",
      access: "public",
      handle: async () => ({ status: 200, body: deps.openapi() }),
    },
    {
      method: "GET",
      path: "/v1/whoami",
      access: "admin",
      handle: async (ctx) => {
        const actor = ctx.actor!;
        return {
          status: 200,
          body: {
            account: actor.account,
            tokenId: actor.tokenId,
            name: actor.name,
            scopes: [...actor.scopes],
          },
        };
      },
    },
    {
      method: "GET",
      path: "/v1/tokens",
      access: "read",
      handle: async (ctx) => {
        const status = queryValue(ctx.query, "status");
        const type = queryValue(ctx.query, "type");
        if (status !== undefined && !TokenStatusSchema.safeParse(status).success) {
          throw new ServiceError("bad_request", "status must be one of pending, active, disabled, expired");
        }
        if (type !== undefined && !(TOKEN_TYPES as readonly string[]).includes(type)) {
          throw new ServiceError("bad_request", `type must be one of ${TOKEN_TYPES.join(", ")}`);
        }
        const page = await manager.list(ctx.actor!, {
          selector: queryValue(ctx.query, "selector"),
          status: status as z.infer<typeof TokenStatusSchema> | undefined,
          type: type as TokenType | undefined,
          name: queryValue(ctx.query, "name"),
          destination: queryValue(ctx.query, "destination"),
          cursor: queryValue(ctx.query, "cursor"),
          limit: queryValue(ctx.query, "limit"),
        });
        return { status: 200, body: page };
      },
    },
    {
      method: "POST",
      path: "/v1/tokens",
      access: "write",
      handle: async (ctx) => {
        const input = parseBody(CreateTokenRequestSchema, await ctx.json());
        const issued = await manager.create(ctx.actor!, input);
        return tokenReply(201, issued, {
          Location: `/v1/tokens/${issued.token.id}`,
          "Cache-Control": "no-store",
        });
      },
    },
    {
      method: "GET",
      path: "/v1/tokens/{id}",
      access: "read",
      handle: async (ctx) => tokenReply(200, await manager.get(ctx.actor!, ctx.params.id!)),
    },
    {
      method: "PATCH",
      path: "/v1/tokens/{id}",
      access: "write",
      handle: async (ctx) => {
        const version = ifMatch(ctx);
        const patch = parseBody(UpdateTokenRequestSchema, await ctx.json());
        return tokenReply(200, await manager.update(ctx.actor!, ctx.params.id!, patch, version));
      },
    },
    {
      method: "DELETE",
      path: "/v1/tokens/{id}",
      access: "write",
      handle: async (ctx) => {
        await manager.delete(ctx.actor!, ctx.params.id!, ifMatch(ctx));
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: "/v1/tokens/{id}/confirm",
      access: "write",
      handle: async (ctx) => {
        const input = parseBody(ConfirmTokenRequestSchema, (await ctx.json()) ?? {});
        const version = parseIfMatch(ctx.req.headers["if-match"], false);
        return tokenReply(200, await manager.confirm(ctx.actor!, ctx.params.id!, input.deliveries, version));
      },
    },
    {
      method: "POST",
      path: "/v1/tokens/{id}/roll",
      access: "write",
      handle: async (ctx) => {
        const input = parseBody(RollTokenRequestSchema, (await ctx.json()) ?? {});
        const version = parseIfMatch(ctx.req.headers["if-match"], false);
        const issued = await manager.roll(ctx.actor!, ctx.params.id!, input, version);
        return tokenReply(200, issued, { "Cache-Control": "no-store" });
      },
    },
    {
      method: "GET",
      path: "/v1/tokens/{id}/usage",
      access: "read",
      handle: async (ctx) => ({ status: 200, body: await manager.usage(ctx.actor!, ctx.params.id!) }),
    },
    {
      method: "GET",
      path: "/v1/audit",
      access: "read",
      handle: async (ctx) => ({
        status: 200,
        body: await manager.audit(ctx.actor!, {
          cursor: queryValue(ctx.query, "cursor"),
          limit: queryValue(ctx.query, "limit"),
          targetId: queryValue(ctx.query, "targetId"),
        }),
      }),
    },
    {
      method: "POST",
      path: "/v1/verify",
      access: "verify",
      handle: async (ctx) => {
        const input = parseBody(VerifyRequestSchema, await ctx.json());
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
        const verdict = verifier.verifyCached(request) ?? (await verifier.verify(request));
        return { status: 200, body: verifyResponseOf(verdict), headers: { "Cache-Control": "no-store" } };
      },
    },
  ];
}
