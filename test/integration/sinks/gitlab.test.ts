/**
 * The GitLab sink against GitLab's documented variables API (intercepted with nock): create when absent,
 * update when present (always within the environment scope), groups, hidden variables, masking, errors,
 * retries, and no secret in any error.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf, SecretValue } from "../../../src/api/secret.js";
import { GitlabSink, type GitlabSinkOptions } from "../../../src/sinks/gitlab/sink.js";
import { createSinks } from "../../../src/sinks/index.js";
import type { SinkLogger } from "../../../src/sinks/logger.js";
import type { GitlabDestination } from "../../../src/spec/resolved.js";
import { context, deliveryError, expectNoLeak, issueSecret, lockNetwork } from "./helpers.js";

const GITLAB = "https://gitlab.com";
const TOKEN = "glpat-testTokenValue0123456789";
const VARS = "/api/v4/projects/acme%2Fbackend/variables";

function sink(options: GitlabSinkOptions = {}): GitlabSink {
  return new GitlabSink({ token: TOKEN, retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...options });
}

const projectVar = (over: Partial<GitlabDestination> = {}): GitlabDestination => ({
  kind: "gitlab",
  project: "acme/backend",
  variable: "MCP_API_KEY",
  environmentScope: "production",
  protected: true,
  masked: true,
  hidden: false,
  raw: true,
  ...over,
});

/** tokenform's record of delivering `old-value-123456` (the value `variable()` holds). */
const recorded = { fingerprint: fingerprintOf("old-value-123456"), deliveredAt: "2026-01-10T10:00:00Z" };

/** A variable object as GitLab returns it. */
function variable(over: Record<string, unknown> = {}) {
  return {
    variable_type: "env_var",
    key: "MCP_API_KEY",
    value: "old-value-123456",
    protected: true,
    masked: true,
    hidden: false,
    raw: true,
    environment_scope: "production",
    description: "managed by tokenform (backend-ci)",
    ...over,
  };
}

const scope = { "filter[environment_scope]": "production" };
const notFound = { message: "404 Variable Not Found" };

function gitlab() {
  return nock(GITLAB, { reqheaders: { "private-token": TOKEN } });
}

function recordingLogger(): SinkLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (_fields, message) => warnings.push(message) };
}

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("GitLab project variables", () => {
  it("creates the variable when GitLab has none in that scope (POST with every field)", async () => {
    let body: Record<string, unknown> = {};
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .post(VARS, (b) => {
        body = b;
        return true;
      })
      .reply(201, (_uri, b) => variable({ ...(b as object) }));
    const secret = issueSecret();
    const receipt = await sink().deliver(projectVar(), secret, context);
    expect(receipt).toMatchObject({
      destination: "gitlab:project/acme/backend/production/MCP_API_KEY",
      outcome: "created",
    });
    expect(body).toEqual({
      key: "MCP_API_KEY",
      value: secret.reveal(),
      variable_type: "env_var",
      protected: true,
      masked: true,
      raw: true,
      environment_scope: "production",
      description: "managed by tokenform (backend-ci)",
    });
    expect(api.isDone()).toBe(true);
  });

  it("updates the variable in its scope when it exists (PUT with filter[environment_scope])", async () => {
    let body: Record<string, unknown> = {};
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable())
      .put(`${VARS}/MCP_API_KEY`, (b) => {
        body = b;
        return true;
      })
      .query(scope)
      .reply(200, variable());
    const secret = issueSecret();
    const receipt = await sink().deliver(projectVar({ protected: false }), secret, context);
    expect(receipt.outcome).toBe("updated");
    expect(body).toEqual({
      value: secret.reveal(),
      variable_type: "env_var",
      protected: false,
      masked: true,
      raw: true,
      description: "managed by tokenform (backend-ci)",
    });
    expect(api.isDone()).toBe(true);
  });

  it("keeps scopes apart: a variable of the same key in another scope is neither read nor written", async () => {
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query({ "filter[environment_scope]": "review/*" })
      .reply(404, notFound)
      .post(VARS, (b) => b.environment_scope === "review/*")
      .reply(201, variable({ environment_scope: "review/*" }));
    await sink().deliver(projectVar({ environmentScope: "review/*" }), issueSecret(), context);
    expect(api.isDone()).toBe(true);
  });

  it("falls back to an update when the create races with another writer (400 has already been taken)", async () => {
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .post(VARS)
      .reply(400, { message: { key: ["(MCP_API_KEY) has already been taken"] } })
      .put(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable());
    const receipt = await sink().deliver(projectVar(), issueSecret(), context);
    expect(receipt.outcome).toBe("updated");
    expect(api.isDone()).toBe(true);
  });

  it("accepts numeric project ids and self-managed instances (GITLAB_URL through createSinks)", async () => {
    const api = nock("https://gitlab.example.com", { reqheaders: { "private-token": TOKEN } })
      .get("/api/v4/projects/42/variables/MCP_API_KEY")
      .query(scope)
      .reply(200, variable())
      .put("/api/v4/projects/42/variables/MCP_API_KEY")
      .query(scope)
      .reply(200, variable());
    const sinks = createSinks({
      env: { GITLAB_TOKEN: TOKEN, GITLAB_URL: "https://gitlab.example.com/" },
      gitlab: { retry: { baseDelayMs: 1 } },
    });
    await sinks.gitlab.deliver(projectVar({ project: "42" }), issueSecret(), context);
    expect(api.isDone()).toBe(true);
  });

  it("inspect reads the scoped variable (gone, or another value, is drift); remove deletes it (already gone is fine)", async () => {
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable())
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable({ value: "someone-elses-value" }))
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable({ value: null, hidden: true }))
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .delete(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(204)
      .delete(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound);
    const s = sink();
    expect(await s.inspect(projectVar(), recorded, context)).toEqual({ holds: true });
    expect(await s.inspect(projectVar(), recorded, context)).toEqual({
      holds: false,
      reason: "the variable holds another value than tokenform delivered",
    });
    // A hidden variable's value is never returned: existing is all that can be checked.
    expect(await s.inspect(projectVar(), recorded, context)).toEqual({ holds: true });
    expect(await s.inspect(projectVar(), recorded, context)).toEqual({
      holds: false,
      reason: "the variable no longer exists",
    });
    await s.remove(projectVar(), context);
    await s.remove(projectVar(), context);
    expect(api.isDone()).toBe(true);
  });
});

describe("GitLab group variables", () => {
  it("uses /groups/:id/variables with the URL-encoded group path", async () => {
    let body: Record<string, unknown> = {};
    const GROUP = "/api/v4/groups/acme%2Fplatform/variables";
    const api = gitlab()
      .get(`${GROUP}/MCP_API_KEY`)
      .query({ "filter[environment_scope]": "*" })
      .reply(404, notFound)
      .post(GROUP, (b) => {
        body = b;
        return true;
      })
      .reply(201, variable({ environment_scope: "*" }))
      .get(`${GROUP}/MCP_API_KEY`)
      .query({ "filter[environment_scope]": "*" })
      .reply(200, variable({ environment_scope: "*" }))
      .put(`${GROUP}/MCP_API_KEY`)
      .query({ "filter[environment_scope]": "*" })
      .reply(200, variable({ environment_scope: "*" }));
    const d: GitlabDestination = {
      kind: "gitlab",
      group: "acme/platform",
      variable: "MCP_API_KEY",
      environmentScope: "*",
      protected: false,
      masked: true,
      hidden: false,
      raw: true,
    };
    const s = sink();
    expect((await s.deliver(d, issueSecret(), context)).outcome).toBe("created");
    expect(body.environment_scope).toBe("*");
    expect((await s.deliver(d, issueSecret(), context)).outcome).toBe("updated");
    expect(api.isDone()).toBe(true);
  });
});

describe("GitLab hidden variables (create-only)", () => {
  it("creates a hidden variable with masked_and_hidden and no masked field", async () => {
    let body: Record<string, unknown> = {};
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .post(VARS, (b) => {
        body = b;
        return true;
      })
      .reply(201, variable({ hidden: true, value: null }));
    await sink().deliver(projectVar({ hidden: true }), issueSecret(), context);
    expect(body.masked_and_hidden).toBe(true);
    expect(body).not.toHaveProperty("masked");
    expect(api.isDone()).toBe(true);
  });

  it("updates only the value of an existing hidden variable (masked is not sent)", async () => {
    let body: Record<string, unknown> = {};
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable({ hidden: true, value: null }))
      .put(`${VARS}/MCP_API_KEY`, (b) => {
        body = b;
        return true;
      })
      .query(scope)
      .reply(200, variable({ hidden: true, value: null }));
    const secret = issueSecret();
    await sink().deliver(projectVar({ hidden: true }), secret, context);
    expect(body.value).toBe(secret.reveal());
    expect(body).not.toHaveProperty("masked");
    expect(body).not.toHaveProperty("masked_and_hidden");
    expect(api.isDone()).toBe(true);
  });

  it("cannot hide an existing visible variable: updates the value and warns", async () => {
    const logger = recordingLogger();
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(200, variable({ hidden: false }))
      .put(`${VARS}/MCP_API_KEY`, (b) => b.masked === true && !("masked_and_hidden" in b))
      .query(scope)
      .reply(200, variable());
    await sink({ logger }).deliver(projectVar({ hidden: true }), issueSecret(), context);
    expect(logger.warnings.join("\n")).toMatch(/can only hide a variable when it is created/);
    expect(api.isDone()).toBe(true);
  });
});

describe("GitLab failures", () => {
  it("refuses a value GitLab could not mask before calling GitLab, without showing it", async () => {
    const secret = new SecretValue("not maskable!");
    const error = await deliveryError(sink().deliver(projectVar(), secret, context));
    expect(error.message).toBe(
      "GitLab cannot mask the secret for variable MCP_API_KEY (scope production) in GitLab project acme/backend: " +
        "it contains characters GitLab cannot mask (allowed: A-Z a-z 0-9 + / = - _ @ : . ~)",
    );
    expectNoLeak(error, secret.reveal());
  });

  it("fails only when used if GITLAB_TOKEN is missing", async () => {
    const sinks = createSinks({ env: {} });
    const error = await deliveryError(sinks.gitlab.deliver(projectVar(), issueSecret(), context));
    expect(error.message).toMatch(
      /^GITLAB_TOKEN is not set: a token with the api scope and at least the Maintainer role on project acme\/backend is needed/,
    );
  });

  const cases = [
    {
      status: 401,
      body: { message: "401 Unauthorized" },
      message: /GitLab rejected GITLAB_TOKEN \(401: 401 Unauthorized\) while reading variable MCP_API_KEY/,
    },
    {
      status: 403,
      body: { message: "403 Forbidden" },
      message:
        /GitLab refused \(403: 403 Forbidden\) reading variable MCP_API_KEY \(scope production\) in GitLab project acme\/backend: GITLAB_TOKEN needs the api scope and at least the Maintainer role/,
    },
    {
      status: 404,
      body: { message: "404 Project Not Found" },
      message: /^GitLab project acme\/backend not found or GITLAB_TOKEN cannot see it/,
    },
  ];
  for (const c of cases) {
    it(`${c.status} → DeliveryError with a clear message and no secret`, async () => {
      const api = gitlab().get(`${VARS}/MCP_API_KEY`).query(scope).reply(c.status, c.body);
      const secret = issueSecret();
      const error = await deliveryError(sink().deliver(projectVar(), secret, context));
      expect(error.message).toMatch(c.message);
      expect(error.status).toBe(c.status);
      expect(error.transient).toBe(false);
      expect(error.destination).toBe("gitlab:project/acme/backend/production/MCP_API_KEY");
      expectNoLeak(error, secret.reveal(), TOKEN);
      expect(api.isDone()).toBe(true);
    });
  }

  it("names the group for a group that cannot be seen", async () => {
    gitlab()
      .get("/api/v4/groups/acme%2Fmissing/variables/MCP_API_KEY")
      .query(scope)
      .reply(404, { message: "404 Group Not Found" });
    const d = { ...projectVar(), project: undefined, group: "acme/missing" };
    const error = await deliveryError(sink().inspect(d, recorded, context));
    expect(error.message).toMatch(/^GitLab group acme\/missing not found or GITLAB_TOKEN cannot see it/);
  });

  it("a 400 that echoes the value is scrubbed", async () => {
    const secret = issueSecret();
    gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .post(VARS)
      .reply(400, { message: { value: [`${secret.reveal()} is invalid`] } });
    const error = await deliveryError(sink().deliver(projectVar(), secret, context));
    expect(error.message).toContain("(400): value [redacted] is invalid");
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("500 is retried three times, then fails as transient", async () => {
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .times(4)
      .reply(500, { message: "500 Internal Server Error" });
    const secret = issueSecret();
    const error = await deliveryError(sink().deliver(projectVar(), secret, context));
    expect(api.isDone()).toBe(true);
    expect(error.status).toBe(500);
    expect(error.transient).toBe(true);
    expect(error.message).toContain(
      "GitLab answered 500 while reading variable MCP_API_KEY (scope production)",
    );
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("a 502 and a 429 with Retry-After are retried and the delivery succeeds", async () => {
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(502, "<html>Bad Gateway</html>")
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .post(VARS)
      .reply(429, { message: "Retry later" }, { "retry-after": "0" })
      .post(VARS)
      .reply(201, variable());
    const receipt = await sink().deliver(projectVar(), issueSecret(), context);
    expect(receipt.outcome).toBe("created");
    expect(api.isDone()).toBe(true);
  });

  it("a network failure is retried, then reported as transient without the secret", async () => {
    const api = gitlab()
      .get(`${VARS}/MCP_API_KEY`)
      .query(scope)
      .reply(404, notFound)
      .post(VARS)
      .times(4)
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" });
    const secret = issueSecret();
    const error = await deliveryError(sink().deliver(projectVar(), secret, context));
    expect(api.isDone()).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toContain("could not reach https://gitlab.com");
    expect(error.message).toContain("while creating variable MCP_API_KEY");
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("a request that does not answer in time is retried, then reported as a timeout", async () => {
    const api = gitlab().get(`${VARS}/MCP_API_KEY`).query(scope).times(2).delay(200).reply(200, variable());
    const error = await deliveryError(
      sink({ timeoutMs: 20, retry: { retries: 1, baseDelayMs: 1 } }).inspect(projectVar(), recorded, context),
    );
    expect(api.isDone()).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toContain("no answer within");
  });
});
