/**
 * Apply delivering to GitHub and GitLab (intercepted with nock in their documented REST shapes) from a
 * real token service: the sealed box opens with the matching private key to the issued secret, key_id is
 * sent, GitLab scoping is right, and a failed remote delivery revokes the new token.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyPlan } from "../../../src/apply/index.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import { renderJson, renderText } from "../../../src/plan/index.js";
import type { GithubDestination, GitlabDestination } from "../../../src/spec/resolved.js";
import { resolved, tokenSet } from "../../support/builders.js";
import { GITHUB_API, GITLAB_URL, startHarness } from "../../support/harness.js";
import { keypair } from "../sinks/helpers.js";

const github: GithubDestination = { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" };
const gitlab: GitlabDestination = {
  kind: "gitlab",
  project: "acme/backend",
  variable: "MCP_API_KEY",
  environmentScope: "production",
  protected: true,
  masked: true,
  hidden: false,
  raw: true,
};
const VARS = "/api/v4/projects/acme%2Fbackend/variables";

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("apply to GitHub and GitLab", () => {
  it("seals the secret to the repository key and sets the GitLab variable with its scope", async () => {
    await using h = await startHarness();
    const kp = await keypair();
    let sealed = "";
    let keyId = "";
    let gitlabBody: Record<string, unknown> = {};
    const gh = nock(GITHUB_API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "568250167242549743", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY", (body) => {
        sealed = body.encrypted_value;
        keyId = body.key_id;
        return true;
      })
      .reply(201);
    const gl = nock(GITLAB_URL)
      .get(`${VARS}/MCP_API_KEY`)
      .query({ "filter[environment_scope]": "production" })
      .reply(404, { message: "404 Variable Not Found" })
      .post(VARS, (body) => {
        gitlabBody = body;
        return true;
      })
      .reply(201, {
        variable_type: "env_var",
        key: "MCP_API_KEY",
        value: "[not echoed]",
        protected: true,
        masked: true,
        hidden: false,
        raw: true,
        environment_scope: "production",
        description: "managed by tokenform",
      });

    const plan = await planTokenSet(
      h.api,
      tokenSet([resolved("backend-ci-pipeline", { deliver: [github, gitlab] })]),
    );
    const result = await applyPlan(plan, { api: h.api, sinks: h.sinks });
    expect(result.ok).toBe(true);
    expect(gh.isDone() && gl.isDone()).toBe(true);

    const secret = kp.open(sealed);
    expect(keyId).toBe("568250167242549743");
    expect(sealed).not.toContain(secret);
    expect(gitlabBody).toMatchObject({
      key: "MCP_API_KEY",
      value: secret,
      environment_scope: "production",
      protected: true,
      masked: true,
      raw: true,
    });
    expect((await h.api.verify({ token: secret })).code).toBe("VALID");
    const stored = (await h.api.listAllTokens()).find((t) => t.name === "backend-ci-pipeline");
    expect(stored?.deliveries.map((d) => d.destination).sort()).toEqual([
      "github:repo/acme/backend/MCP_API_KEY",
      "gitlab:project/acme/backend/production/MCP_API_KEY",
    ]);
    for (const text of [renderText(plan), renderJson(plan), JSON.stringify(result)])
      expect(text).not.toContain(secret);
  });

  it("revokes the new token when GitHub refuses the write", async () => {
    await using h = await startHarness();
    const kp = await keypair();
    let sealed = "";
    nock(GITHUB_API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "1", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY", (body) => {
        sealed = body.encrypted_value;
        return true;
      })
      .reply(403, {
        message: "Resource not accessible by integration",
        documentation_url: "https://docs.github.com",
      });
    const plan = await planTokenSet(h.api, tokenSet([resolved("ci", { deliver: [github] })]));
    const result = await applyPlan(plan, { api: h.api, sinks: h.sinks });
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.[0]?.destination).toBe("github:repo/acme/backend/MCP_API_KEY");
    expect(result.results[0]?.message).toMatch(/revoked/);
    const secret = kp.open(sealed);
    expect((await h.api.verify({ token: secret })).valid).toBe(false);
    expect(JSON.stringify(result)).not.toContain(secret);
    expect((await h.api.listAllTokens()).some((t) => t.name === "ci")).toBe(false);
  });
  it("revokes the new token when GitLab refuses the token, after GitHub already has it", async () => {
    await using h = await startHarness();
    const kp = await keypair();
    let sealed = "";
    nock(GITHUB_API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "7", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY", (body) => {
        sealed = body.encrypted_value;
        return true;
      })
      .reply(204);
    nock(GITLAB_URL)
      .get(`${VARS}/MCP_API_KEY`)
      .query({ "filter[environment_scope]": "production" })
      .reply(401, { message: "401 Unauthorized" });
    const plan = await planTokenSet(h.api, tokenSet([resolved("ci", { deliver: [github, gitlab] })]));
    const result = await applyPlan(plan, { api: h.api, sinks: h.sinks });
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.map((f) => f.destination)).toEqual([
      "gitlab:project/acme/backend/production/MCP_API_KEY",
    ]);
    expect(result.results[0]?.failures?.[0]?.message).toMatch(/GITLAB_TOKEN|401|unauthori/i);
    // GitHub holds a secret that no longer authenticates: nothing live exists without every delivery.
    expect((await h.api.verify({ token: kp.open(sealed) })).valid).toBe(false);
    expect((await h.api.listAllTokens()).some((t) => t.name === "ci")).toBe(false);
  });
});
