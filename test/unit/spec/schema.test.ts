/** The published JSON Schema matches the zod source, and describes what the validator accepts. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  JSON_SCHEMA_PATH,
  TokenSetSchema,
  tokenSetJsonSchema,
  tokenSetJsonSchemaText,
} from "../../../src/spec/index.js";

describe("schema/tokenset.schema.json", () => {
  it("is what `npm run generate:schema` writes from the zod schema (run it after changing schema.ts)", () => {
    expect(readFileSync(JSON_SCHEMA_PATH, "utf8")).toBe(tokenSetJsonSchemaText());
  });

  it("describes the document editors complete: required keys, closed objects, durations and token types", () => {
    const schema = tokenSetJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<
        string,
        { items?: { properties: Record<string, unknown>; additionalProperties: boolean } }
      >;
    };
    expect(schema.required).toEqual(["apiVersion", "kind", "metadata", "tokens"]);
    expect(schema.additionalProperties).toBe(false);
    const token = schema.properties.tokens!.items!;
    expect(token.additionalProperties).toBe(false);
    expect(Object.keys(token.properties)).toEqual(
      expect.arrayContaining(["name", "type", "scopes", "deliver", "rotation"]),
    );
    expect(JSON.stringify(token.properties.type)).toContain('"mcp"');
  });

  it("every example names the schema for editors and parses under the zod schema", () => {
    for (const example of ["examples/tokens.yaml", "quickstart/quickstart.yaml"]) {
      const text = readFileSync(example, "utf8");
      expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/tokenset.schema.json");
      expect(TokenSetSchema.safeParse(parse(text)).success).toBe(true);
    }
  });
});
