/**
 * The common `POST /v1/verify` body checked without its zod schema: a plain object with `token` and any of
 * `ip`, `scopes`, `write` and `tools`, each of the type and within the limits `VerifyRequestSchema`
 * (src/api/schemas.ts) sets. Only ever a shortcut to "the schema admits it, unchanged": anything else —
 * a signature, an unknown key, a wrong type, a limit passed — goes to the schema, so refusals and their
 * messages are the schema's.
 */
import type { z } from "zod";
import { type VerifyRequest, VerifyRequestSchema } from "../../api/schemas.js";
import { MAX_SCOPES, MAX_TOOL_PATTERNS } from "../../spec/limits.js";

const MAX_TOKEN = 512;
const MAX_ITEM = 256;

function stringList(value: unknown, max: number): boolean {
  if (!Array.isArray(value) || value.length > max) return false;
  for (const item of value) if (typeof item !== "string" || item.length > MAX_ITEM) return false;
  return true;
}

/** True when `VerifyRequestSchema` would admit `value` as it is (its output is then `value` itself). */
export function plainVerifyRequest(value: unknown): value is VerifyRequest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const body = value as Record<string, unknown>;
  let token = false;
  for (const key in body) {
    if (!Object.hasOwn(body, key)) return false;
    const field = body[key];
    if (key === "token") {
      if (typeof field !== "string" || field.length > MAX_TOKEN) return false;
      token = true;
    } else if (key === "scopes") {
      if (field !== undefined && !stringList(field, MAX_SCOPES)) return false;
    } else if (key === "tools") {
      if (field !== undefined && !stringList(field, MAX_TOOL_PATTERNS)) return false;
    } else if (key === "ip") {
      if (field !== undefined && typeof field !== "string") return false;
    } else if (key === "write") {
      if (field !== undefined && typeof field !== "boolean") return false;
    } else return false;
  }
  return token;
}

/** The schemas that have a shortcut, and it. */
export const SCHEMA_SHORTCUTS: ReadonlyMap<z.ZodType, (value: unknown) => boolean> = new Map<
  z.ZodType,
  (value: unknown) => boolean
>([[VerifyRequestSchema, plainVerifyRequest]]);
