/** Smoke test of the package root's spec exports, with type-level checks. */
import { describe, expect, expectTypeOf, it } from "vitest";
import * as tokenform from "../../../src/index.js";
import {
  type Diagnostic,
  type DiagnosticCode,
  loadTokenSet,
  type ResolvedTokenSet,
  type SpecResult,
  type TokenSetInput,
  validateTokenSetObject,
} from "../../../src/index.js";

describe("tokenform (package root)", () => {
  it("exports the spec library", () => {
    const exported = new Map(Object.entries(tokenform));
    for (const name of [
      "loadTokenSet",
      "loadTokenSetFromSources",
      "validateTokenSetObject",
      "resolveTokenSet",
      "renderDiagnostics",
      "githubAnnotation",
      "tokenSetJsonSchema",
      "TokenSetSchema",
      "destinationId",
    ] as const) {
      expect(typeof exported.get(name), name).toBe(name === "TokenSetSchema" ? "object" : "function");
    }
    expect(tokenform.DIAGNOSTIC_CODES).toContain("raw_secret");
  });

  it("has the types front ends rely on", async () => {
    expectTypeOf(loadTokenSet).returns.resolves.toEqualTypeOf<SpecResult>();
    expectTypeOf<SpecResult["set"]>().toEqualTypeOf<ResolvedTokenSet | undefined>();
    expectTypeOf<Diagnostic["code"]>().toEqualTypeOf<DiagnosticCode>();
    const input: TokenSetInput = {
      apiVersion: "tokenform.dev/v1",
      kind: "TokenSet",
      metadata: { owner: "acme/platform-infra" },
      tokens: [
        { name: "typed", type: "agent", deliver: [{ github: { repository: "acme/x", secret: "K" } }] },
      ],
    };
    // @ts-expect-error a token type outside mcp | agent | admin does not type-check
    const wrongType: TokenSetInput = { ...input, tokens: [{ name: "x", type: "root" }] };
    // @ts-expect-error the code union is closed
    const wrongCode: DiagnosticCode = "some_other_code";
    expect([wrongType.tokens.length, wrongCode]).toEqual([1, "some_other_code"]);
    expect(validateTokenSetObject(input, { origin: "test" }).set?.tokens[0]?.type).toBe("agent");
  });
});
