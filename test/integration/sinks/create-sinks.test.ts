/**
 * `createSinks`: credentials and URLs come from the environment, a missing credential fails only when
 * its sink is used, and what the sinks log names destinations and fingerprints but never a secret.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSinks, DeliveryError } from "../../../src/sinks/index.js";
import type { SinkLogger } from "../../../src/sinks/logger.js";
import { context, issueSecret, keypair, lockNetwork } from "./helpers.js";

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function capturingLogger(): SinkLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (fields: Record<string, unknown>, message: string) =>
    lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: push, info: push, warn: push };
}

describe("createSinks", () => {
  it("builds every sink without credentials; each fails on use with what it needs", async () => {
    const sinks = createSinks({ env: {} });
    expect(Object.keys(sinks).sort()).toEqual([
      "awsSecretsManager",
      "file",
      "github",
      "gitlab",
      "googleSecretManager",
      "kubernetes",
      "vault",
    ]);
    const error = await sinks.github
      .inspect(
        { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" },
        { fingerprint: "sha256:0123456789abcdef", deliveredAt: "2026-01-10T10:00:00Z" },
        context,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).message).toMatch(/^GITHUB_TOKEN is not set/);
  });

  it("reads GITHUB_TOKEN and GITHUB_API_URL (GHES) from the given environment", async () => {
    const kp = await keypair();
    const api = nock("https://ghe.example.com", { reqheaders: { authorization: "token ghs_fromEnv" } })
      .get("/api/v3/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/api/v3/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(201);
    const sinks = createSinks({
      env: { GITHUB_TOKEN: "ghs_fromEnv", GITHUB_API_URL: "https://ghe.example.com/api/v3" },
      github: { writeIntervalMs: 1 },
    });
    await sinks.github.deliver(
      { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" },
      issueSecret(),
      context,
    );
    expect(api.isDone()).toBe(true);
  });

  it("logs deliveries by destination and fingerprint, never by value", async () => {
    const kp = await keypair();
    nock("https://api.github.com")
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "k", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(201);
    nock("https://gitlab.com")
      .get("/api/v4/projects/acme%2Fbackend/variables/MCP_API_KEY")
      .query(true)
      .reply(200, { key: "MCP_API_KEY", hidden: false, environment_scope: "*" })
      .put("/api/v4/projects/acme%2Fbackend/variables/MCP_API_KEY")
      .query(true)
      .reply(200, { key: "MCP_API_KEY" });
    const logger = capturingLogger();
    const sinks = createSinks({
      env: { GITHUB_TOKEN: "ghp_logtest", GITLAB_TOKEN: "glpat-logtest" },
      logger,
      github: { writeIntervalMs: 1 },
    });
    const secret = issueSecret();
    const dir = await mkdtemp(join(tmpdir(), "tokenform-log-"));
    try {
      await sinks.github.deliver(
        { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" },
        secret,
        context,
      );
      await sinks.gitlab.deliver(
        {
          kind: "gitlab",
          project: "acme/backend",
          variable: "MCP_API_KEY",
          environmentScope: "*",
          protected: false,
          masked: true,
          hidden: true,
          raw: true,
        },
        secret,
        context,
      );
      await sinks.file.deliver(
        { kind: "file", path: join(dir, "a.env"), format: "env", key: "K" },
        secret,
        context,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const text = logger.lines.join("\n");
    expect(logger.lines.length).toBeGreaterThanOrEqual(4);
    expect(text).toContain(secret.fingerprint);
    expect(text).not.toContain(secret.reveal());
    expect(text).not.toContain("ghp_logtest");
    expect(text).not.toContain("glpat-logtest");
  });
});
