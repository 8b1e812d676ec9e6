/**
 * provider/schema.json — committed for the CDKTF bindings — must be exactly what the provider serves.
 * Regenerate it with `tokenform provider schema > provider/schema.json` (then `npx biome format --write`).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { impliedType } from "../../src/runtime/schema.js";
import {
  providerSchema,
  providersSchemaJson,
  tokenResourceSchema,
  tokensDataSourceSchema,
} from "../../src/schema.js";
import { providerVersion } from "../../src/version.js";

describe("provider/schema.json", () => {
  it("matches the schema the provider serves", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../schema.json", import.meta.url), "utf8"),
    ) as unknown;
    expect(committed).toEqual(providersSchemaJson(providerVersion()));
  });

  it("is in the format of `terraform providers schema -json`", () => {
    const doc = providersSchemaJson("1.2.3");
    expect(doc.format_version).toBe("1.0");
    const entry = doc.provider_schemas["registry.terraform.io/tokenform/tokenform"]!;
    expect(Object.keys(entry)).toEqual(["provider", "resource_schemas", "data_source_schemas"]);
    expect(entry.resource_schemas.tokenform_token!.block.block_types!.github_secret!.nesting_mode).toBe(
      "list",
    );
    expect(entry.resource_schemas.tokenform_token!.block.attributes!.fingerprint).toEqual({
      type: "string",
      description: expect.any(String),
      description_kind: "plain",
      computed: true,
    });
    expect(doc.provider_versions).toEqual({ "registry.terraform.io/tokenform/tokenform": "1.2.3" });
  });

  it("declares every attribute exactly one way (required, optional, computed or optional+computed)", () => {
    for (const schema of [providerSchema, tokenResourceSchema, tokensDataSourceSchema]) {
      for (const a of schema.block.attributes) {
        const flags = [a.required, a.optional, a.computed].filter(Boolean).length;
        expect(a.required ? flags === 1 : flags >= 1, a.name).toBe(true);
      }
      expect(impliedType(schema.block)[0]).toBe("object");
    }
  });
});
