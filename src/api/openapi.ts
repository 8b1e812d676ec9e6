/**
 * The OpenAPI 3.1 document of the management API, generated from the same zod schemas the server
 * validates with and the client types against (`z.toJSONSchema` for the components). `npm run
 * generate:openapi` writes it to `src/api/openapi.json` (committed); the service serves it at
 * `/openapi.json`; a test fails when the committed file drifts from what this module builds.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { API_ERROR_STATUS } from "./errors.js";
import {
  API_ERROR_CODES,
  ApiErrorBodySchema,
  AuditEntrySchema,
  ConfirmTokenRequestSchema,
  CreateTokenRequestSchema,
  CreateTokenResponseSchema,
  DeliveryRecordSchema,
  pageSchema,
  RollTokenRequestSchema,
  TokenSchema,
  UpdateTokenRequestSchema,
  UsageSchema,
  VerifyRequestSchema,
  VerifyResponseSchema,
  WhoamiSchema,
} from "./schemas.js";

/** Version of the API described (the `/v1` path prefix). */
export const API_VERSION = "1.0.0";

const COMPONENTS = {
  Token: TokenSchema,
  DeliveryRecord: DeliveryRecordSchema,
  CreateTokenRequest: CreateTokenRequestSchema,
  CreateTokenResponse: CreateTokenResponseSchema,
  UpdateTokenRequest: UpdateTokenRequestSchema,
  ConfirmTokenRequest: ConfirmTokenRequestSchema,
  RollTokenRequest: RollTokenRequestSchema,
  VerifyRequest: VerifyRequestSchema,
  VerifyResponse: VerifyResponseSchema,
  Whoami: WhoamiSchema,
  AuditEntry: AuditEntrySchema,
  Usage: UsageSchema,
  TokenPage: pageSchema(TokenSchema),
  AuditPage: pageSchema(AuditEntrySchema),
  Error: ApiErrorBodySchema,
} as const;

type Json = Record<string, unknown>;

function componentSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  // Requests have defaults (`type`, `overlap`): describe what a client may send ("input").
  const out = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _drop, $id: _id, ...rest } = schema;
    schemas[id] = rest;
  }
  return schemas;
}

const ref = (name: keyof typeof COMPONENTS) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof COMPONENTS) => ({ "application/json": { schema: ref(name) } });

function errors(...statuses: number[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const status of statuses) {
    const codes = API_ERROR_CODES.filter((c) => API_ERROR_STATUS[c] === status);
    out[String(status)] = { description: `Error: ${codes.join(", ")}`, content: json("Error") };
  }
  return out;
}

const AUTH_ERRORS = [400, 401, 403];
const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "Token id (`tok_…`).",
};
const etag = {
  ETag: { description: 'The token\'s version as an entity tag, e.g. `"3"`.', schema: { type: "string" } },
};
const ifMatch = {
  name: "If-Match",
  in: "header",
  required: false,
  schema: { type: "string" },
  description: "The ETag last read; the request fails with 412 if the token changed since.",
};
const pageParams = [
  {
    name: "cursor",
    in: "query",
    schema: { type: "string" },
    description: "`nextCursor` of the previous page.",
  },
  { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500, default: 100 } },
];

/** Builds the whole document. */
export function buildOpenApiDocument(): Json {
  const table = API_ERROR_CODES.map((c) => `| \`${c}\` | ${API_ERROR_STATUS[c]} |`).join("\n");
  return {
    openapi: "3.1.0",
    info: {
      title: "tokenform management API",
      version: API_VERSION,
      description:
        "Manage MCP API tokens: create (shown once), list, update with ETags, roll with an overlap, " +
        "confirm pending tokens, delete, verify, usage and audit. Authenticate with an admin token " +
        "(`Authorization: Bearer`, `Authorization: Api-Token` or `X-API-Key`) holding `tokens:read` / " +
        '`tokens:write`. Errors are `{"error": {code, message, type}}`:\n\n| code | status |\n| --- | --- |\n' +
        table,
    },
    servers: [{ url: "http://127.0.0.1:8787" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      "/healthz": {
        get: {
          operationId: "health",
          security: [],
          summary: "Liveness check.",
          responses: { "200": { description: "The service is up." } },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "openapi",
          security: [],
          summary: "This document.",
          responses: { "200": { description: "OpenAPI 3.1 document." } },
        },
      },
      "/v1/whoami": {
        get: {
          operationId: "whoami",
          summary: "The calling admin token: account, id, name and scopes.",
          responses: {
            "200": { description: "The caller.", content: json("Whoami") },
            ...errors(...AUTH_ERRORS),
          },
        },
      },
      "/v1/tokens": {
        get: {
          operationId: "listTokens",
          summary: "List the account's tokens (scope tokens:read).",
          parameters: [
            {
              name: "selector",
              in: "query",
              schema: { type: "string" },
              description: "Label selector: `k=v`, `k!=v`, `k`, `!k`, comma-separated (all must hold).",
            },
            { name: "status", in: "query", schema: { enum: ["pending", "active", "disabled", "expired"] } },
            { name: "type", in: "query", schema: { enum: ["mcp", "agent", "admin"] } },
            {
              name: "name",
              in: "query",
              schema: { type: "string" },
              description: "Only the token with this name.",
            },
            {
              name: "destination",
              in: "query",
              schema: { type: "string" },
              description: "Only the token holding this destination (a claim id).",
            },
            ...pageParams,
          ],
          responses: {
            "200": { description: "A page of tokens.", content: json("TokenPage") },
            ...errors(...AUTH_ERRORS),
          },
        },
        post: {
          operationId: "createToken",
          summary: "Create a token (scope tokens:write). The secret is returned only here (and by roll).",
          requestBody: { required: true, content: json("CreateTokenRequest") },
          responses: {
            "201": { description: "Created.", headers: etag, content: json("CreateTokenResponse") },
            ...errors(...AUTH_ERRORS, 409, 413, 415, 422),
          },
        },
      },
      "/v1/tokens/{id}": {
        parameters: [idParam],
        get: {
          operationId: "getToken",
          summary: "Read a token (scope tokens:read).",
          responses: {
            "200": { description: "The token.", headers: etag, content: json("Token") },
            ...errors(...AUTH_ERRORS, 404),
          },
        },
        patch: {
          operationId: "updateToken",
          summary: "Change a token's settings (scope tokens:write); honours If-Match.",
          parameters: [ifMatch],
          requestBody: { required: true, content: json("UpdateTokenRequest") },
          responses: {
            "200": { description: "The updated token.", headers: etag, content: json("Token") },
            ...errors(...AUTH_ERRORS, 404, 409, 412, 413, 415, 422, 428),
          },
        },
        delete: {
          operationId: "deleteToken",
          summary: "Delete a token now (scope tokens:write): its key is refused on the next request.",
          parameters: [ifMatch],
          responses: { "204": { description: "Deleted." }, ...errors(...AUTH_ERRORS, 404, 412, 428) },
        },
      },
      "/v1/tokens/{id}/confirm": {
        parameters: [idParam],
        post: {
          operationId: "confirmToken",
          summary:
            "Confirm delivery of a pending token or pending roll; may record deliveries (merged by destination).",
          requestBody: { required: false, content: json("ConfirmTokenRequest") },
          responses: {
            "200": { description: "The token.", headers: etag, content: json("Token") },
            ...errors(...AUTH_ERRORS, 404, 412, 413, 415, 422),
          },
        },
      },
      "/v1/tokens/{id}/roll": {
        parameters: [idParam],
        post: {
          operationId: "rollToken",
          summary:
            "Issue a new secret with the same settings; the old one works for `overlap` (or until confirm + overlap when pending).",
          requestBody: { required: false, content: json("RollTokenRequest") },
          responses: {
            "200": {
              description: "The token and its new secret.",
              headers: etag,
              content: json("CreateTokenResponse"),
            },
            ...errors(...AUTH_ERRORS, 404, 412, 413, 415, 422),
          },
        },
      },
      "/v1/tokens/{id}/usage": {
        parameters: [idParam],
        get: {
          operationId: "tokenUsage",
          summary: "Requests and failures per hour (48 h) and day (30 d), last use (scope tokens:read).",
          responses: {
            "200": { description: "Usage.", content: json("Usage") },
            ...errors(...AUTH_ERRORS, 404),
          },
        },
      },
      "/v1/audit": {
        get: {
          operationId: "listAudit",
          summary: "The account's audit log, newest first (scope tokens:read).",
          parameters: [{ name: "targetId", in: "query", schema: { type: "string" } }, ...pageParams],
          responses: {
            "200": { description: "A page of audit entries.", content: json("AuditPage") },
            ...errors(...AUTH_ERRORS),
          },
        },
      },
      "/v1/verify": {
        post: {
          operationId: "verify",
          summary:
            "Verify a key for a request. 200 for any well-formed request: the verdict is in the body. Callers: an " +
            "admin token with tokens:verify or tokens:read (only its account's keys), or anyone over loopback.",
          security: [{ bearer: [] }, { apiKey: [] }, {}],
          requestBody: { required: true, content: json("VerifyRequest") },
          responses: {
            "200": { description: "The verdict.", content: json("VerifyResponse") },
            ...errors(...AUTH_ERRORS, 413, 415, 422),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "`Authorization: Bearer <admin token>` (or `Api-Token`).",
        },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
      schemas: componentSchemas(),
    },
  };
}

/** The document as committed: stable two-space JSON with a trailing newline. */
export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

/** Where the committed document lives. */
export const OPENAPI_PATH = fileURLToPath(new URL("./openapi.json", import.meta.url));

// `tsx src/api/openapi.ts` (npm run generate:openapi) writes the file.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_PATH, renderOpenApiDocument());
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
