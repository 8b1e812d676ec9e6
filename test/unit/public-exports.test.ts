/** Smoke test of the engine exports of the package root and the service/middleware/mcp entry points. */
import { describe, expect, expectTypeOf, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import * as tokenform from "../../src/index.js";
import {
  type ApplyResult,
  applyPlan,
  type Plan,
  planTokenSet,
  SecretValue,
  TokenformClient,
} from "../../src/index.js";
import * as mcp from "../../src/mcp/index.js";
import * as middleware from "../../src/middleware/index.js";
import * as service from "../../src/service/index.js";

describe("public exports", () => {
  it("the root exports the client, plan, apply and sinks", () => {
    for (const name of [
      "TokenformClient",
      "applyPlan",
      "planTokenSet",
      "computePlan",
      "createSinks",
      "renderMarkdown",
    ]) {
      expect(typeof (tokenform as Record<string, unknown>)[name], name).toBe("function");
    }
    expectTypeOf(applyPlan).returns.resolves.toEqualTypeOf<ApplyResult>();
    expectTypeOf(planTokenSet).returns.resolves.toEqualTypeOf<Plan>();
    // @ts-expect-error a client needs at least a base URL
    expect(() => new TokenformClient({})).toThrow(
      /^the token service URL is missing: give the token service's base URL, e\.g\. http:\/\/127\.0\.0\.1:8787$/,
    );
    expect(String(new SecretValue("mcp_sk_abcdEFGH0123456789abcdefghijklmnopqrstu"))).toBe(
      "mcp_sk_abcd…[redacted]",
    );
  });

  it("the service and middleware have their own entry points, declared in package.json", () => {
    expect(typeof service.startService).toBe("function");
    expect(typeof middleware.tokenformAuth).toBe("function");
    expect(pkg.exports).toHaveProperty("./service");
    expect(pkg.exports).toHaveProperty("./middleware");
    expect(typeof mcp.tokenformMcp).toBe("function");
    expect(typeof mcp.classifyMessage).toBe("function");
    expect(pkg.exports).toHaveProperty("./mcp");
    // The SDK is optional: only servers built with it use tokenform/mcp's helper.
    expect(pkg.peerDependenciesMeta["@modelcontextprotocol/sdk"]).toEqual({ optional: true });
    expect(Object.keys(pkg.dependencies)).not.toContain("@modelcontextprotocol/sdk");
    expect(pkg.files).toContain("provider/dist/terraform-provider-tokenform");
  });
});
