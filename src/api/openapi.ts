/**
 * The OpenAPI 3.1 document of the management API, generated from the route table (`routes.ts`: paths,
 * parameters, bodies, responses) and the same zod schemas the server validates with and the client types
 * against (`z.toJSONSchema` for the components). `npm run
 * generate:openapi` writes it to `src/api/openapi.json` (committed); the service serves it at
 * `/openapi.json`; a test fails when the committed file drifts from what this module builds.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { OWNER_PATTERN } from "../spec/schema.js";
import { API_ERROR_STATUS } from "./errors.js";
import {
  API_ROUTE_LIST,
  AuditPageSchema,
  errorStatuses,
  PATH_PARAMETERS,
  type RouteAccess,
  type RouteDefinition,
  TokenPageSchema,
} from "./routes.js";
import {
  AccountSchema,
  API_ERROR_CODES,
  ApiErrorBodySchema,
  AuditEntrySchema,
  ClaimPickupRequestSchema,
  ClaimPickupResponseSchema,
  ConfirmTokenRequestSchema,
  CreateTokenRequestSchema,
  CreateTokenResponseSchema,
  DeliveredPickupRequestSchema,
  DeliveryRecordSchema,
  LeakAlertSchema,
  LeakAnswerSchema,
  OpenPickupRequestSchema,
  OpenPickupResponseSchema,
  OWNER_HEADER,
  PickupSchema,
  RollTokenRequestSchema,
  TokenSchema,
  UpdateAccountRequestSchema,
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
  LeakAlert: LeakAlertSchema,
  LeakAnswer: LeakAnswerSchema,
  Account: AccountSchema,
  UpdateAccountRequest: UpdateAccountRequestSchema,
  AuditEntry: AuditEntrySchema,
  Usage: UsageSchema,
  TokenPage: TokenPageSchema,
  AuditPage: AuditPageSchema,
  OpenPickupRequest: OpenPickupRequestSchema,
  OpenPickupResponse: OpenPickupResponseSchema,
  Pickup: PickupSchema,
  ClaimPickupRequest: ClaimPickupRequestSchema,
  ClaimPickupResponse: ClaimPickupResponseSchema,
  DeliveredPickupRequest: DeliveredPickupRequestSchema,
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

/** The component name of each schema a route refers to. */
const COMPONENT_NAMES = new Map<z.ZodType, string>(
  Object.entries(COMPONENTS).map(([name, schema]) => [schema as z.ZodType, name]),
);

function ref(schema: z.ZodType): Json {
  const name = COMPONENT_NAMES.get(schema);
  if (name === undefined) throw new Error("a route refers to a schema that is not an OpenAPI component");
  return { $ref: `#/components/schemas/${name}` };
}

const json = (schema: z.ZodType) => ({ "application/json": { schema: ref(schema) } });

/** A standalone schema (a parameter's) as JSON Schema, as a client may send it. */
function inlineSchema(schema: z.ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Json;
  return rest;
}

function errors(statuses: number[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const status of statuses) {
    const codes = API_ERROR_CODES.filter((c) => API_ERROR_STATUS[c] === status);
    out[String(status)] = { description: `Error: ${codes.join(", ")}`, content: json(ApiErrorBodySchema) };
  }
  return out;
}

const ETAG = {
  ETag: { description: 'The token\'s version as an entity tag, e.g. `"3"`.', schema: { type: "string" } },
};
const IF_MATCH = {
  name: "If-Match",
  in: "header",
  required: false,
  schema: { type: "string" },
  description: "The ETag last read; the request fails with 412 if the token changed since.",
};

const OWNER = {
  name: OWNER_HEADER,
  in: "header",
  required: false,
  schema: { type: "string", pattern: OWNER_PATTERN },
  description:
    "The TokenSet owner this write is made for, sent by tokenform's apply, Action and Terraform provider. Only such a write may change a token's `tokenform.dev/*` labels (the owner it has or is given); its audit entry records it as `changes.appliedFor`. A declaration, not a credential.",
};

/** Who may call: public routes need nothing; `/v1/verify` also takes loopback callers without a key. */
const SECURITY: Partial<Record<RouteAccess, Json[]>> = {
  public: [],
  // Authenticated by GitHub's signature over the body (its headers are in the route's summary).
  signed: [],
  verify: [{ bearer: [] }, { apiKey: [] }, {}],
};

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const description = PATH_PARAMETERS[name!];
    if (description === undefined) throw new Error(`path parameter {${name}} of ${path} is not documented`);
    return { name, in: "path", required: true, schema: { type: "string" }, description };
  });
}

/** One route as an OpenAPI operation. */
function operation(route: RouteDefinition & { operationId: string }): Json {
  const parameters: Json[] = Object.entries(route.query ?? {}).map(([name, param]) => ({
    name,
    in: "query",
    schema: inlineSchema(param.schema),
    ...(param.description === undefined ? {} : { description: param.description }),
  }));
  if (route.ifMatch) parameters.push(IF_MATCH);
  if (route.access === "write") parameters.push(OWNER);
  const { status, description, schema, etag, stream } = route.response;
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(SECURITY[route.access] === undefined ? {} : { security: SECURITY[route.access] }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: route.body.required, content: json(route.body.schema) } }),
    responses: {
      [String(status)]: {
        description,
        ...(etag ? { headers: ETAG } : {}),
        ...(schema === undefined ? {} : { content: json(schema) }),
        ...(stream ? { content: { "text/event-stream": { schema: { type: "string" } } } } : {}),
      },
      ...errors(errorStatuses(route)),
    },
  };
}

/** The `paths` object: every route of the table, path parameters declared once per path. */
function paths(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const route of API_ROUTE_LIST) {
    const params = pathParameters(route.path);
    out[route.path] ??= params.length === 0 ? {} : { parameters: params };
    out[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return out;
}

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
    paths: paths(),
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
