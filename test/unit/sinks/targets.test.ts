/** Destination → REST target mapping for GitHub and GitLab, and safe error text. */
import { describe, expect, it } from "vitest";
import { githubTarget, keyCacheKey } from "../../../src/sinks/github/target.js";
import { gitlabApiRoot } from "../../../src/sinks/gitlab/api.js";
import { gitlabTarget } from "../../../src/sinks/gitlab/target.js";
import { messageOf, scrub } from "../../../src/sinks/redact.js";

describe("githubTarget", () => {
  it("maps repository, environment and organisation destinations (names upper-cased)", () => {
    expect(githubTarget({ kind: "github", repository: "acme/backend", secret: "mcp_key" })).toEqual({
      scope: "repository",
      owner: "acme",
      repo: "backend",
      secret: "MCP_KEY",
    });
    const env = githubTarget({
      kind: "github",
      repository: "acme/backend",
      environment: "prod",
      secret: "K",
    });
    expect(keyCacheKey(env)).toBe("env:acme/backend/prod");
    expect(
      githubTarget({
        kind: "github",
        organization: "acme",
        visibility: "selected",
        repositories: ["web", "o/x"],
        secret: "K",
      }),
    ).toEqual({
      scope: "organization",
      org: "acme",
      secret: "K",
      visibility: "selected",
      repositories: ["acme/web", "o/x"],
    });
    expect(githubTarget({ kind: "github", organization: "acme", secret: "K" })).toMatchObject({
      visibility: "private",
    });
  });
});

describe("gitlabTarget / gitlabApiRoot", () => {
  it("URL-encodes paths and keeps ids", () => {
    const d = {
      kind: "gitlab" as const,
      variable: "K",
      environmentScope: "*",
      protected: false,
      masked: true,
      hidden: false,
      raw: true,
    };
    expect(gitlabTarget({ ...d, project: "acme/sub/backend" }).basePath).toBe(
      "/projects/acme%2Fsub%2Fbackend",
    );
    expect(gitlabTarget({ ...d, group: "7" }).basePath).toBe("/groups/7");
    expect(gitlabApiRoot("https://gitlab.example.com/")).toBe("https://gitlab.example.com/api/v4");
    expect(gitlabApiRoot("https://gitlab.example.com/api/v4")).toBe("https://gitlab.example.com/api/v4");
  });
});

describe("scrub / messageOf", () => {
  it("removes secrets and bounds the length", () => {
    expect(scrub("token abc123xyz leaked abc123xyz", ["abc123xyz", undefined])).toBe(
      "token [redacted] leaked [redacted]",
    );
    expect(scrub("x".repeat(400), []).length).toBeLessThanOrEqual(301);
  });

  it("reads GitHub and GitLab error bodies", () => {
    expect(messageOf({ message: "Validation Failed", errors: [{ message: "bad key" }] })).toBe(
      "Validation Failed; bad key",
    );
    expect(messageOf({ message: { key: ["(K) has already been taken"] } })).toBe(
      "key (K) has already been taken",
    );
    expect(messageOf({ error: "invalid_token", error_description: "expired" })).toBe(
      "invalid_token; expired",
    );
    expect(messageOf(undefined)).toBe("");
  });
});
