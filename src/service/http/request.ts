/**
 * Reading a request's inputs as its route declares them (src/api/routes.ts): the JSON body (bounded, one
 * `Content-Type` rule, validated by the route's zod schema: 422 with every issue, never echoing more than
 * a short masked prefix of the input), the declared query parameters, and `If-Match`.
 */
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { QueryParam } from "../../api/routes.js";
import { maskSecrets } from "../../api/secret.js";
import { ServiceError } from "../errors.js";
import { isJsonContentType, readBody } from "./body.js";
import { SCHEMA_SHORTCUTS } from "./verify-body.js";

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

/**
 * Parses a body against a schema: 422 with every issue when it does not fit. A body its schema's shortcut
 * admits (the common verify body: verify-body.ts) is taken as it is, without running the schema.
 */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  if (SCHEMA_SHORTCUTS.get(schema)?.(value) === true) return value as z.output<S>;
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

/** Reads and parses the JSON body; undefined when the body is empty. */
export async function readJson(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number | undefined,
): Promise<unknown> {
  return jsonOf(req, await readBody(req, limit, timeoutMs));
}

/**
 * A body read (`readBody`, `bodyAtHand`) as JSON: undefined when empty, 415 when not declared JSON, 400
 * when it does not parse.
 */
export function jsonOf(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  if (!isJsonContentType(req.headers["content-type"])) {
    throw new ServiceError(
      "unsupported_media_type",
      "send the body as JSON with Content-Type: application/json",
    );
  }
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ServiceError("invalid_body", "the request body is not valid JSON");
  }
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

/**
 * The declared query parameters of a request, as sent (others are ignored). Enum parameters are checked
 * (400 naming the allowed values); the others reach the handler as strings and its callee parses them
 * (cursors, page limits).
 */
export function readQuery(
  search: string,
  declared: Readonly<Record<string, QueryParam>>,
): Record<string, string | undefined> {
  const sent = new URLSearchParams(search);
  const out: Record<string, string | undefined> = {};
  for (const [name, { schema }] of Object.entries(declared)) {
    const value = sent.get(name);
    if (value === null) continue;
    if (schema instanceof z.ZodEnum && !schema.safeParse(value).success) {
      throw new ServiceError("bad_request", `${name} must be one of ${schema.options.join(", ")}`);
    }
    out[name] = value;
  }
  return out;
}
