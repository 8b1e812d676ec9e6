/**
 * The published JSON Schema of a TokenSet document (`schema/tokenset.schema.json`), generated from the
 * zod schema so editors (`# yaml-language-server: $schema=…`) complete and check exactly what tokenform
 * accepts. Rules a JSON Schema cannot state (CIDRs, label keys, "exactly one of") are checked by
 * tokenform only. `npm run generate:schema` rewrites the file; a test fails when it drifts.
 */
import { z } from "zod";
import { TokenSetSchema } from "./schema.js";

/** Where the schema is published inside the package. */
export const JSON_SCHEMA_PATH = "schema/tokenset.schema.json";

/** The JSON Schema (draft 2020-12) of a TokenSet document as written (inputs, not resolved values). */
export function tokenSetJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TokenSetSchema, { io: "input", target: "draft-2020-12" });
  return {
    $schema: schema.$schema,
    $id: "https://tokenform.dev/schema/tokenset.schema.json",
    title: "tokenform TokenSet",
    ...schema,
  };
}

/** The file content: pretty JSON with a final newline (what the drift test compares). */
export function tokenSetJsonSchemaText(): string {
  return `${JSON.stringify(tokenSetJsonSchema(), null, 2)}\n`;
}
