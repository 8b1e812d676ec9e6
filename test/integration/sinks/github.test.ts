/**
 * The GitHub sink against GitHub's documented REST shapes (intercepted with nock): sealed-box encryption
 * that really opens with the matching private key, public keys fetched once per target, repository /
 * environment / organisation paths, 201 and 204, errors, retries and rate limits, and no secret leaks.
 */
import { setTimeout as sleep } from "node:timers/promises";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GithubSink, type GithubSinkOptions } from "../../../src/sinks/github/sink.js";
import type { GithubDestination } from "../../../src/spec/resolved.js";
import { context, deliveryError, expectNoLeak, issueSecret, keypair, lockNetwork } from "./helpers.js";

const API = "https://api.github.com";
const TOKEN = "ghp_testTokenValue0123456789abcdefghijkl";

/** Fast settings: no write spacing to speak of, millisecond backoffs. */
function sink(options: GithubSinkOptions = {}): GithubSink {
  return new GithubSink({
    token: TOKEN,
    writeIntervalMs: 1,
    retry: { baseDelayMs: 1 },
    rateLimit: { retryAfterUnitMs: 1 },
    ...options,
  });
}

const repoSecret = (secret = "MCP_API_KEY"): GithubDestination => ({
  kind: "github",
  repository: "acme/backend",
  secret,
});

const secretTimes = { created_at: "2026-01-10T10:00:00Z", updated_at: "2026-01-10T10:00:00Z" };
/** tokenform's record of the delivery the secrets above hold (delivered just after GitHub stored them). */
const recorded = { fingerprint: "sha256:0123456789abcdef", deliveredAt: "2026-01-10T10:00:01.250Z" };

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("GitHub repository secrets", () => {
  it("seals each secret to the repository key (fetched once) and PUTs it with key_id; 201 and 204 succeed", async () => {
    const kp = await keypair();
    const bodies: Array<Record<string, string>> = [];
    const scope = nock(API, { reqheaders: { authorization: `token ${TOKEN}` } })
      .get("/repos/acme/backend/actions/secrets/public-key")
      .once()
      .reply(200, { key_id: "568250167242549743", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY", (body) => {
        bodies.push(body);
        return true;
      })
      .reply(201)
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY_2", (body) => {
        bodies.push(body);
        return true;
      })
      .reply(204);

    const s = sink();
    const first = issueSecret();
    const second = issueSecret();
    const r1 = await s.deliver(repoSecret(), first, context);
    const r2 = await s.deliver(repoSecret("mcp_api_key_2"), second, context);

    expect(scope.isDone()).toBe(true);
    expect(r1).toMatchObject({ destination: "github:repo/acme/backend/MCP_API_KEY", outcome: "created" });
    expect(r2).toMatchObject({ destination: "github:repo/acme/backend/MCP_API_KEY_2", outcome: "updated" });
    expect(Date.parse(r1.deliveredAt)).not.toBeNaN();
    expect(bodies).toHaveLength(2);
    expect(bodies[0]!.key_id).toBe("568250167242549743");
    expect(kp.open(bodies[0]!.encrypted_value!)).toBe(first.reveal());
    expect(kp.open(bodies[1]!.encrypted_value!)).toBe(second.reveal());
    // The value on the wire is the sealed box, never the plaintext.
    expect(JSON.stringify(bodies)).not.toContain(first.reveal());
  });

  it("fetches the key once for concurrent deliveries and never runs two writes at the same time", async () => {
    const kp = await keypair();
    let inFlight = 0;
    let maxInFlight = 0;
    const names = ["A_KEY", "B_KEY", "C_KEY", "D_KEY", "E_KEY"];
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .delay(20)
      .reply(200, { key_id: "k1", key: kp.publicKey });
    for (const name of names) {
      scope.put(`/repos/acme/backend/actions/secrets/${name}`).reply(async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(15);
        inFlight--;
        return [201, ""];
      });
    }
    const s = sink();
    const receipts = await Promise.all(names.map((n) => s.deliver(repoSecret(n), issueSecret(), context)));
    expect(receipts.map((r) => r.outcome)).toEqual(names.map(() => "created"));
    expect(maxInFlight).toBe(1);
    expect(scope.isDone()).toBe(true);
  });

  it("talks to GitHub Enterprise Server at the given API root", async () => {
    const kp = await keypair();
    const scope = nock("https://ghe.example.com")
      .get("/api/v3/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/api/v3/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(201);
    await sink({ baseUrl: "https://ghe.example.com/api/v3/" }).deliver(repoSecret(), issueSecret(), context);
    expect(scope.isDone()).toBe(true);
  });

  it("inspect: GET the secret (404 → gone, updated after the delivery → overwritten); remove: DELETE (404 is fine)", async () => {
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(200, { name: "MCP_API_KEY", ...secretTimes })
      .get("/repos/acme/backend/actions/secrets/GONE")
      .reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" })
      .get("/repos/acme/backend/actions/secrets/OVERWRITTEN")
      .reply(200, {
        name: "OVERWRITTEN",
        created_at: secretTimes.created_at,
        updated_at: "2026-01-11T08:30:00Z",
      })
      .delete("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(204)
      .delete("/repos/acme/backend/actions/secrets/GONE")
      .reply(404, { message: "Not Found" });
    const s = sink();
    expect(await s.inspect(repoSecret(), recorded, context)).toEqual({ holds: true });
    expect(await s.inspect(repoSecret("GONE"), recorded, context)).toEqual({
      holds: false,
      reason: "the secret no longer exists",
    });
    expect(await s.inspect(repoSecret("OVERWRITTEN"), recorded, context)).toEqual({
      holds: false,
      reason: `the secret was updated at 2026-01-11T08:30:00Z, after tokenform delivered it at ${recorded.deliveredAt}`,
    });
    await s.remove(repoSecret(), context);
    await s.remove(repoSecret("GONE"), context);
    expect(scope.isDone()).toBe(true);
  });
});

describe("GitHub environment and organisation secrets", () => {
  it("environment secrets use /repos/{owner}/{repo}/environments/{env}/secrets/…", async () => {
    const kp = await keypair();
    let body: Record<string, string> = {};
    const scope = nock(API)
      .get("/repos/acme/backend/environments/production/secrets/public-key")
      .reply(200, { key_id: "env-key", key: kp.publicKey })
      .put("/repos/acme/backend/environments/production/secrets/MCP_API_KEY", (b) => {
        body = b;
        return true;
      })
      .reply(201)
      .get("/repos/acme/backend/environments/production/secrets/MCP_API_KEY")
      .reply(200, { name: "MCP_API_KEY", ...secretTimes })
      .delete("/repos/acme/backend/environments/production/secrets/MCP_API_KEY")
      .reply(204);
    const d: GithubDestination = { ...repoSecret(), environment: "production" };
    const secret = issueSecret();
    const s = sink();
    const receipt = await s.deliver(d, secret, context);
    expect(receipt.destination).toBe("github:repo/acme/backend/env/production/MCP_API_KEY");
    expect(body.key_id).toBe("env-key");
    expect(kp.open(body.encrypted_value!)).toBe(secret.reveal());
    expect(await s.inspect(d, recorded, context)).toEqual({ holds: true });
    await s.remove(d, context);
    expect(scope.isDone()).toBe(true);
  });

  it("organisation secrets with visibility selected send the repositories' ids", async () => {
    const kp = await keypair();
    let body: Record<string, unknown> = {};
    const scope = nock(API)
      .get("/orgs/acme/actions/secrets/public-key")
      .reply(200, { key_id: "org-key", key: kp.publicKey })
      .get("/repos/acme/web")
      .reply(200, { id: 1296269, name: "web", full_name: "acme/web" })
      .get("/repos/other/api")
      .reply(200, { id: 1296270, name: "api", full_name: "other/api" })
      .put("/orgs/acme/actions/secrets/MCP_API_KEY", (b) => {
        body = b;
        return true;
      })
      .reply(201)
      .get("/orgs/acme/actions/secrets/MCP_API_KEY")
      .reply(200, {
        name: "MCP_API_KEY",
        ...secretTimes,
        visibility: "selected",
        selected_repositories_url: `${API}/orgs/acme/actions/secrets/MCP_API_KEY/repositories`,
      });
    const d: GithubDestination = {
      kind: "github",
      organization: "acme",
      visibility: "selected",
      repositories: ["web", "other/api"],
      secret: "MCP_API_KEY",
    };
    const secret = issueSecret();
    const s = sink();
    await s.deliver(d, secret, context);
    expect(body).toMatchObject({
      key_id: "org-key",
      visibility: "selected",
      selected_repository_ids: [1296269, 1296270],
    });
    expect(kp.open(body.encrypted_value as string)).toBe(secret.reveal());
    expect(await s.inspect(d, recorded, context)).toEqual({ holds: true });
    expect(scope.isDone()).toBe(true);
  });

  it("organisation secrets default to visibility private and send no repository ids", async () => {
    const kp = await keypair();
    let body: Record<string, unknown> = {};
    const scope = nock(API)
      .get("/orgs/acme/actions/secrets/public-key")
      .reply(200, { key_id: "org-key", key: kp.publicKey })
      .put("/orgs/acme/actions/secrets/SHARED", (b) => {
        body = b;
        return true;
      })
      .reply(204);
    const receipt = await sink().deliver(
      { kind: "github", organization: "acme", secret: "SHARED" },
      issueSecret(),
      context,
    );
    expect(receipt.outcome).toBe("updated");
    expect(body.visibility).toBe("private");
    expect(body).not.toHaveProperty("selected_repository_ids");
    expect(scope.isDone()).toBe(true);
  });
});

describe("GitHub failures", () => {
  it("fails only when used if GITHUB_TOKEN is missing, saying what is needed", async () => {
    const s = new GithubSink({});
    const error = await deliveryError(s.deliver(repoSecret(), issueSecret(), context));
    expect(error.message).toMatch(
      /^GITHUB_TOKEN is not set: a token with permission to write Actions secrets on acme\/backend is needed/,
    );
    expect(error.transient).toBe(false);
    const org = await deliveryError(
      s.inspect({ kind: "github", organization: "acme", secret: "X" }, recorded, context),
    );
    expect(org.message).toContain("organisation acme");
    expect(org.message).toContain("admin:org");
  });

  const cases: Array<{
    name: string;
    status: number;
    body: Record<string, unknown>;
    at: "key" | "put";
    message: RegExp;
    transient: boolean;
  }> = [
    {
      name: "401",
      status: 401,
      body: { message: "Bad credentials" },
      at: "key",
      message: /GitHub rejected GITHUB_TOKEN \(401: Bad credentials\)/,
      transient: false,
    },
    {
      name: "403",
      status: 403,
      body: { message: "Resource not accessible by personal access token" },
      at: "key",
      message:
        /refused access \(403.*may not write Actions secrets on acme\/backend.*"Secrets" repository permission/,
      transient: false,
    },
    {
      name: "404",
      status: 404,
      body: { message: "Not Found" },
      at: "key",
      message: /GitHub repository acme\/backend not found, or GITHUB_TOKEN cannot see it/,
      transient: false,
    },
    {
      name: "422",
      status: 422,
      body: { message: "Bad request - key_id is invalid" },
      at: "put",
      message:
        /GitHub rejected writing secret MCP_API_KEY to acme\/backend \(422\): Bad request - key_id is invalid/,
      transient: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → DeliveryError with a clear message and no secret`, async () => {
      const kp = await keypair();
      const scope = nock(API).get("/repos/acme/backend/actions/secrets/public-key");
      const after =
        c.at === "key"
          ? scope.reply(c.status, { ...c.body, documentation_url: "https://docs.github.com/rest" })
          : scope
              .reply(200, { key_id: "k", key: kp.publicKey })
              .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
              .reply(c.status, { ...c.body, documentation_url: "https://docs.github.com/rest" });
      const secret = issueSecret();
      const error = await deliveryError(sink().deliver(repoSecret(), secret, context));
      expect(error.message).toMatch(c.message);
      expect(error.status).toBe(c.status);
      expect(error.transient).toBe(c.transient);
      expect(error.destination).toBe("github:repo/acme/backend/MCP_API_KEY");
      expectNoLeak(error, secret.reveal(), TOKEN);
      expect(after.isDone()).toBe(true);
    });
  }

  it("a missing environment is explained", async () => {
    nock(API)
      .get("/repos/acme/backend/environments/staging/secrets/public-key")
      .reply(404, { message: "Not Found" });
    const error = await deliveryError(
      sink().deliver({ ...repoSecret(), environment: "staging" }, issueSecret(), context),
    );
    expect(error.message).toContain("GitHub environment staging of acme/backend not found");
  });

  it("a selected repository that cannot be found is named", async () => {
    const kp = await keypair();
    nock(API)
      .get("/orgs/acme/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .get("/repos/acme/ghost")
      .reply(404, { message: "Not Found" });
    const d: GithubDestination = {
      kind: "github",
      organization: "acme",
      visibility: "selected",
      repositories: ["ghost"],
      secret: "S",
    };
    const error = await deliveryError(sink().deliver(d, issueSecret(), context));
    expect(error.message).toContain(
      "GitHub repository acme/ghost (listed in repositories for organisation secret S) not found",
    );
  });

  it("500 is retried (3 retries) and then fails as transient", async () => {
    const kp = await keypair();
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .times(4)
      .reply(500, { message: "Server Error" });
    const secret = issueSecret();
    const error = await deliveryError(sink().deliver(repoSecret(), secret, context));
    expect(scope.isDone()).toBe(true);
    expect(error.status).toBe(500);
    expect(error.transient).toBe(true);
    expect(error.message).toContain(
      "GitHub answered 500 while writing secret MCP_API_KEY to acme/backend, also on retries",
    );
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("a 502 followed by success delivers", async () => {
    const kp = await keypair();
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(502, "Bad Gateway")
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(503, { message: "Service Unavailable" })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(201);
    const receipt = await sink().deliver(repoSecret(), issueSecret(), context);
    expect(receipt.outcome).toBe("created");
    expect(scope.isDone()).toBe(true);
  });

  it("a network failure is retried, then reported as transient", async () => {
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .times(4)
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" });
    const secret = issueSecret();
    const error = await deliveryError(sink().deliver(repoSecret(), secret, context));
    expect(scope.isDone()).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toContain("could not reach https://api.github.com");
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("a request that does not answer in time is retried, then reported as transient", async () => {
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .times(2)
      .delay(300)
      .reply(200, { key_id: "k", key: "unused" });
    const error = await deliveryError(
      sink({ timeoutMs: 20, retry: { retries: 1, baseDelayMs: 1 } }).deliver(
        repoSecret(),
        issueSecret(),
        context,
      ),
    );
    expect(scope.isDone()).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(
      /could not reach https:\/\/api\.github\.com while reading the Actions public key.*timeout/,
    );
  });

  it("a cancelled run stops without retrying", async () => {
    const scope = nock(API).get("/repos/acme/backend/actions/secrets/public-key").delay(300).reply(200, {});
    const controller = new AbortController();
    const pending = sink().deliver(repoSecret(), issueSecret(), { ...context, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await deliveryError(pending);
    expect(error.message).toBe("GitHub: cancelled while reading the Actions public key of acme/backend");
    expect(scope.isDone()).toBe(true);
  });

  it("a secondary rate limit (403 + retry-after) is waited out and retried", async () => {
    const kp = await keypair();
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(
        403,
        {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
          documentation_url:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        },
        { "retry-after": "3" },
      )
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(201);
    const receipt = await sink().deliver(repoSecret(), issueSecret(), context);
    expect(receipt.outcome).toBe("created");
    expect(scope.isDone()).toBe(true);
  });

  it("a 429 with retry-after is waited out and retried once", async () => {
    const kp = await keypair();
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(
        429,
        {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        },
        { "retry-after": "2" },
      )
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(204);
    const receipt = await sink().deliver(repoSecret(), issueSecret(), context);
    expect(receipt.outcome).toBe("updated");
    expect(scope.isDone()).toBe(true);
  });

  it("a secondary rate limit that persists fails as transient after the allowed retries", async () => {
    const kp = await keypair();
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .times(3)
      .reply(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "1" });
    const secret = issueSecret();
    const error = await deliveryError(sink().deliver(repoSecret(), secret, context));
    expect(scope.isDone()).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toContain("secondary rate limit exceeded (403) while writing secret MCP_API_KEY");
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("an exhausted primary rate limit that resets soon is waited out once", async () => {
    const kp = await keypair();
    const reset = String(Math.floor(Date.now() / 1000) + 2);
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(
        403,
        { message: "API rate limit exceeded for user ID 1." },
        { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      )
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(201);
    await sink().deliver(repoSecret(), issueSecret(), context);
    expect(scope.isDone()).toBe(true);
  });

  it("a primary rate limit that resets too late fails as transient without waiting", async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    const scope = nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(
        403,
        { message: "API rate limit exceeded for user ID 1." },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      );
    const error = await deliveryError(sink().deliver(repoSecret(), issueSecret(), context));
    expect(scope.isDone()).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toContain(
      "GitHub rate limit exceeded (403) while reading the Actions public key of acme/backend",
    );
  });

  it("an error body that echoes the secret is scrubbed", async () => {
    const kp = await keypair();
    const secret = issueSecret();
    nock(API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(422, { message: `Invalid value ${secret.reveal()} for token ${TOKEN}` });
    const error = await deliveryError(sink().deliver(repoSecret(), secret, context));
    expect(error.message).toContain("Invalid value [redacted] for token [redacted]");
    expectNoLeak(error, secret.reveal(), TOKEN);
  });
});
