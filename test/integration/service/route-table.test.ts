/**
 * The route table (src/api/routes.ts) against the running service: every route, called as its table entry
 * says with a valid request, answers the declared success status with a body its declared schema accepts
 * (and an ETag where declared); the OpenAPI document it serves lists each route with that status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTE_LIST, type OperationId } from "../../../src/api/routes.js";
import { type GithubAlertKeyServer, startGithubAlertKeys } from "../../support/github-alert-keys.js";
import { type ServiceHarness, serviceHarness } from "./harness.js";

let h: ServiceHarness;
let mcpSecret: string;
let githubKeys: GithubAlertKeyServer;

/** A valid request body per route that takes one. */
const BODIES: Partial<Record<OperationId, () => unknown>> = {
  createToken: () => ({ name: "table-new", labels: { team: "x" } }),
  updateToken: () => ({ description: "changed" }),
  confirmToken: () => ({}),
  rollToken: () => ({ overlap: "1h" }),
  verify: () => ({ token: mcpSecret, scopes: ["tools:call"] }),
  reportGithubLeaks: () => [{ token: "mcp_sk_notOneOfOurs", type: "tokenform_mcp_key", source: "content" }],
  updateAccount: () => ({ rateLimit: { perHour: 5000 } }),
};

/**
 * Routes that need a pickup session at a stage: the session's `{code}`, or a body naming it. Each call
 * gets a holder of its own, with one key waiting.
 */
const PICKUP_STAGES: Partial<Record<OperationId, "none" | "waiting" | "approved" | "claimed">> = {
  openPickup: "none",
  getPickup: "waiting",
  approvePickup: "waiting",
  claimPickup: "approved",
  confirmPickup: "claimed",
};

async function pickupAt(operationId: OperationId, stage: "none" | "waiting" | "approved" | "claimed") {
  const holder = `holder-${operationId.toLowerCase()}`;
  const made = await h.admin.createPickupToken({
    name: `pickup-${operationId}`,
    holder,
    pickup: { client: "cursor", server: "acme", url: "https://mcp.example.com/mcp" },
  });
  if (stage === "none") return { code: "", body: { holder } };
  const session = (await h.http("POST", "/v1/pickups", { body: { holder } })).body;
  if (stage !== "waiting")
    await h.http("POST", `/v1/pickups/${session.userCode}/approve`, { token: h.adminToken });
  if (stage === "claimed")
    await h.http("POST", "/v1/pickups/claim", { body: { deviceCode: session.deviceCode } });
  const body =
    stage === "claimed"
      ? { deviceCode: session.deviceCode, tokens: [made.id] }
      : { deviceCode: session.deviceCode };
  return { code: session.userCode as string, body: stage === "waiting" ? undefined : body };
}

/** A valid query per route that declares some. */
const QUERIES: Partial<Record<OperationId, string>> = {
  listTokens: "?status=active&type=mcp&limit=2",
  listAudit: "?limit=2",
};

beforeAll(async () => {
  githubKeys = await startGithubAlertKeys();
  h = await serviceHarness({ leaks: { keysUrl: githubKeys.url } });
  mcpSecret = (await h.admin.createToken({ name: "table-mcp", scopes: ["tools:call"] })).secret.reveal();
});

afterAll(async () => {
  await h[Symbol.asyncDispose]();
  await githubKeys?.close();
});

describe.each(API_ROUTE_LIST)("route table: $method $path", (route) => {
  it("answers as declared, with a body its response schema accepts", async () => {
    // Each call on a token gets its own, so a delete or roll leaves the other routes theirs.
    const own = await h.admin.createToken({ name: `table-${route.operationId}`, pending: true });
    const stage = PICKUP_STAGES[route.operationId];
    const pickup = stage ? await pickupAt(route.operationId, stage) : undefined;
    const path =
      route.path.replace("{id}", own.token.id).replace("{code}", pickup?.code ?? "") +
      (QUERIES[route.operationId] ?? "");
    const body = pickup ? pickup.body : BODIES[route.operationId]?.();
    const res = await h.http(route.method, path, {
      token: route.access === "public" || route.access === "signed" ? undefined : h.adminToken,
      body,
      // A signed route is called as its signer calls it (GitHub: the body signed with a published key).
      ...(route.access === "signed" ? { headers: githubKeys.sign(JSON.stringify(body)) } : {}),
    });
    expect(res.status, res.text).toBe(route.response.status);
    if (route.response.schema) {
      const parsed = route.response.schema.safeParse(res.body);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
    if (route.response.etag) expect(res.headers.etag).toMatch(/^"\d+"$/);
    if (route.response.status === 204) expect(res.text).toBe("");
  });

  it("is in the OpenAPI document the service serves, with its status and operationId", async () => {
    const doc = (await h.http("GET", "/openapi.json")).body;
    const operation = doc.paths[route.path][route.method.toLowerCase()];
    expect(operation.operationId).toBe(route.operationId);
    expect(Object.keys(operation.responses)).toContain(String(route.response.status));
  });
});

describe("route table: declared inputs", () => {
  it("refuses a query value outside a declared enum with 400, naming the allowed values", async () => {
    const res = await h.http("GET", "/v1/tokens?status=gone", { token: h.adminToken });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("status must be one of pending, active, disabled, expired");
  });

  it("reads an empty body as {} where the body is optional, and as missing where it is required", async () => {
    const own = await h.admin.createToken({ name: "table-empty", pending: true });
    const confirmed = await h.http("POST", `/v1/tokens/${own.token.id}/confirm`, { token: h.adminToken });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe("active");
    const created = await h.http("POST", "/v1/tokens", { token: h.adminToken });
    expect(created.status).toBe(422);
    expect(created.body.error.code).toBe("unprocessable");
  });
});
