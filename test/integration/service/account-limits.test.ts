/**
 * The per-account hourly limit as an operator controls it, against a real service: the server default
 * (1,000 per hour, NOFire's number) refuses every key of a busy account; an admin key with tokens:* raises
 * it through the API or the CLI, or makes it unlimited, and the change is audited; a lesser key may not;
 * a bad value is a clear 422 or a one-line CLI error; a server default of "unlimited" applies to accounts
 * that set nothing.
 */
import { afterAll, describe, expect, it } from "vitest";
import { cliChildren, runCliAsync } from "../../support/cli.js";
import { serviceHarness } from "./harness.js";

afterAll(() => {
  for (const child of cliChildren) if (child.exitCode === null) child.kill("SIGKILL");
});

/** The server's defaults, as `tokenform serve` has them. */
const SERVE_DEFAULTS = { rateLimits: { keyPerMinute: 100, accountPerHour: 1000 } };

describe("account rate limits", () => {
  it("refuses an account's keys after 1,000 verifies an hour until an admin raises the limit or lifts it", async () => {
    await using h = await serviceHarness(SERVE_DEFAULTS);
    // Two keys of the same account, each allowed far more per minute than the account per hour.
    const keys = await Promise.all(
      ["mcp-a", "mcp-b"].map((name) =>
        h.admin.createToken({ name, scopes: ["tools:call"], rateLimit: { perMinute: 100_000 } }),
      ),
    );
    const verify = (i: number) => h.service.verifier.verify({ token: keys[i % 2]!.secret.reveal() });
    for (let i = 0; i < 1000; i++) expect((await verify(i)).valid).toBe(true);
    const refused = await verify(0);
    expect(refused).toMatchObject({ valid: false, code: "RATE_LIMITED", ratelimit: { limit: 1000 } });
    expect((await verify(1)).code).toBe("RATE_LIMITED");
    expect(await h.admin.getAccount()).toEqual({
      name: "default",
      rateLimit: { perHour: null, effective: 1000 },
    });

    expect(await h.admin.updateAccount({ rateLimit: { perHour: 1500 } })).toEqual({
      name: "default",
      rateLimit: { perHour: 1500, effective: 1500 },
    });
    expect(await verify(0)).toMatchObject({ valid: true, ratelimit: { limit: 1500, remaining: 499 } });
    // The account's own limit binds: 1,500 in the hour, whichever key.
    for (let i = 0; i < 499; i++) expect((await verify(i)).valid).toBe(true);
    expect((await verify(1)).code).toBe("RATE_LIMITED");

    await h.admin.updateAccount({ rateLimit: { perHour: "unlimited" } });
    for (let i = 0; i < 600; i++) expect((await verify(i)).valid).toBe(true);
    expect(await h.admin.getAccount()).toMatchObject({
      rateLimit: { perHour: "unlimited", effective: "unlimited" },
    });

    // Back to the server's default: refused again (the hour's 2,100 requests are counted).
    await h.admin.updateAccount({ rateLimit: { perHour: null } });
    expect((await verify(0)).code).toBe("RATE_LIMITED");

    const audit = await h.admin.audit();
    const changes = audit.items.filter((entry) => entry.action === "account.update");
    expect(changes.map((entry) => entry.changes["rateLimit.perHour"])).toEqual([
      { from: "unlimited", to: null },
      { from: 1500, to: "unlimited" },
      { from: null, to: 1500 },
    ]);
    expect(changes[0]).toMatchObject({ targetId: null, targetName: "default", actor: "bootstrap-admin" });
  });

  it("lets only an admin key of the account holding every token scope change it, and says what is wrong", async () => {
    await using h = await serviceHarness(SERVE_DEFAULTS);
    const writer = await h.admin.createToken({
      name: "ci",
      type: "admin",
      scopes: ["tokens:write", "tokens:read"],
    });
    const refused = await h.http("PATCH", "/v1/account", {
      token: writer.secret,
      body: { rateLimit: { perHour: "unlimited" } },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: "authority_exceeded",
      message:
        "this key may not change the account's rate limit, which needs a full admin key (tokens:*, no restriction of its own): its scopes tokens:* are not all held by this key (tokens:write, tokens:read)",
      details: { part: "scopes" },
    });
    expect((await h.http("GET", "/v1/account", { token: writer.secret })).status).toBe(200);

    const other = await h.service.createAccount("acme");
    await h.client(other.adminToken).updateAccount({ rateLimit: { perHour: 5 } });
    expect(await h.admin.getAccount()).toMatchObject({ name: "default", rateLimit: { perHour: null } });

    for (const perHour of [0, -1, 1.5, "none", "Unlimited"]) {
      const bad = await h.http("PATCH", "/v1/account", {
        token: h.adminToken,
        body: { rateLimit: { perHour } },
      });
      expect(bad.status, String(perHour)).toBe(422);
      expect(JSON.stringify(bad.body)).toContain(
        'rateLimit.perHour: expected a positive whole number of requests per hour, or \\"unlimited\\"',
      );
    }
  });

  it("takes the server's default for accounts that set none: unlimited when the operator says so", async () => {
    await using h = await serviceHarness({ rateLimits: { keyPerMinute: null, accountPerHour: null } });
    const key = await h.admin.createToken({ name: "busy", scopes: ["tools:call"] });
    for (let i = 0; i < 1200; i++) {
      const verdict = await h.service.verifier.verify({ token: key.secret.reveal() });
      expect(verdict.valid).toBe(true);
      // Nothing limits it, so nothing is reported.
      expect(verdict.ratelimit).toBeUndefined();
    }
    expect(await h.admin.getAccount()).toMatchObject({
      rateLimit: { perHour: null, effective: "unlimited" },
    });
  });

  it("is set from the CLI: tokenform account set-rate-limit and show", async () => {
    await using h = await serviceHarness(SERVE_DEFAULTS);
    const env = { TOKENFORM_API_URL: h.url, TOKENFORM_API_TOKEN: h.adminToken.reveal() };
    const set = await runCliAsync(["account", "set-rate-limit", "5000"], { cwd: h.dir, env });
    expect(set.stderr).toBe("");
    expect(set.stdout).toBe("account default: rate limit 5,000 requests/hour for all its keys together\n");
    const lifted = await runCliAsync(["account", "set-rate-limit", "unlimited"], { cwd: h.dir, env });
    expect(lifted.stdout).toBe("account default: rate limit unlimited for all its keys together\n");
    await runCliAsync(["account", "set-rate-limit", "default"], { cwd: h.dir, env });
    const shown = await runCliAsync(["account", "show"], { cwd: h.dir, env });
    expect(shown.stdout).toBe(
      "account default: rate limit 1,000 requests/hour for all its keys together (the server's default)\n",
    );
    const bad = await runCliAsync(["account", "set-rate-limit", "lots"], { cwd: h.dir, env });
    // A usage error, as commander reports every bad argument: one line saying what to write, exit 2.
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      'Not a limit: write a whole number of requests per hour, "unlimited" or "default"',
    );
    expect(bad.stderr).not.toContain("    at ");
  });
});
