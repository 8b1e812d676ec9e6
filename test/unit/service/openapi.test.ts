/** The committed OpenAPI document must be exactly what the zod schemas generate, and cover every route. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { API_ERROR_STATUS } from "../../../src/api/errors.js";
import { buildOpenApiDocument, OPENAPI_PATH, renderOpenApiDocument } from "../../../src/api/openapi.js";
import { API_ERROR_CODES } from "../../../src/api/schemas.js";
import { buildRoutes } from "../../../src/service/http/routes.js";

describe("OpenAPI document", () => {
  it("is up to date (run `npm run generate:openapi` after changing src/api/schemas.ts)", () => {
    expect(readFileSync(OPENAPI_PATH, "utf8")).toBe(renderOpenApiDocument());
  });

  it("describes every route the service serves, and every error code with its status", () => {
    const doc = buildOpenApiDocument() as {
      paths: Record<string, Record<string, unknown>>;
      info: { description: string };
    };
    const routes = buildRoutes({
      manager: undefined as never,
      verifier: undefined as never,
      accounts: undefined as never,
      openapi: () => ({}),
      requireIfMatch: false,
      streams: undefined as never,
      pickups: undefined as never,
      leaks: undefined as never,
    });
    for (const route of routes) {
      expect(
        doc.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    // And nothing else: each documented operation is a route.
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== "parameters")
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const code of API_ERROR_CODES)
      expect(doc.info.description).toContain(`| \`${code}\` | ${API_ERROR_STATUS[code]} |`);
  });

  it("publishes the token schema as a component with its fields documented", () => {
    const doc = buildOpenApiDocument() as {
      components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
    };
    const token = doc.components.schemas.Token!;
    expect(Object.keys(token.properties)).toEqual(
      expect.arrayContaining(["id", "fingerprint", "previousSecrets", "version"]),
    );
    expect(token.properties.version!.description).toContain("ETag");
    expect(JSON.stringify(doc.components.schemas.CreateTokenResponse)).toContain(
      "#/components/schemas/Token",
    );
  });
});
