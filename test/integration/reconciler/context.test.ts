/**
 * The Action's reading of its surroundings: inputs from `INPUT_*` (with action.yml's defaults and every
 * credential masked at once), the event from GitHub's webhook payloads (fixtures shaped like the
 * documented ones), the job each event leads to, and the specs input's files, directories and patterns.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readRunContext } from "../../../reconciler/src/event.js";
import { InputError, readInputs } from "../../../reconciler/src/inputs.js";
import { chooseJob } from "../../../reconciler/src/mode.js";
import { loadSpecs, ownerOf, repoPath } from "../../../reconciler/src/specs.js";
import { eventPath, withEnv } from "./harness.js";

let restore: () => void = () => {};
afterEach(() => restore());

describe("readInputs", () => {
  it("applies action.yml's defaults when the runner passed nothing", () => {
    restore = withEnv({});
    expect(readInputs({})).toEqual({
      specs: ["tokens/"],
      mode: "auto",
      comment: true,
      failOnDrift: false,
      checkDestinations: true,
      force: false,
    });
  });

  it("reads every input (hyphens stay hyphens) and masks each credential immediately", () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    restore = withEnv({
      INPUT_SPECS: "tokens/a.yaml\ntokens/b/, tokens/c.yml",
      "INPUT_API-URL": "https://tokens.example.com",
      "INPUT_API-TOKEN": "mcp_adm_input_secret_value",
      "INPUT_GITHUB-TOKEN": "ghs_appInstallationToken",
      "INPUT_GITLAB-TOKEN": "glpat-gitlabTokenValue",
      "INPUT_GITLAB-URL": "https://gitlab.example.com",
      "INPUT_REPO-TOKEN": "ghs_workflowToken",
      INPUT_MODE: "plan",
      INPUT_COMMENT: "false",
      "INPUT_FAIL-ON-DRIFT": "true",
      "INPUT_CHECK-DESTINATIONS": "false",
      INPUT_FORCE: "true",
    });
    try {
      expect(readInputs({})).toEqual({
        specs: ["tokens/a.yaml", "tokens/b/", "tokens/c.yml"],
        apiUrl: "https://tokens.example.com",
        apiToken: "mcp_adm_input_secret_value",
        githubToken: "ghs_appInstallationToken",
        gitlabToken: "glpat-gitlabTokenValue",
        gitlabUrl: "https://gitlab.example.com",
        repoToken: "ghs_workflowToken",
        mode: "plan",
        comment: false,
        failOnDrift: true,
        checkDestinations: false,
        force: true,
      });
    } finally {
      spy.mockRestore();
    }
    const masks = writes.filter((w) => w.startsWith("::add-mask::")).map((w) => w.trim());
    expect(masks).toEqual([
      "::add-mask::mcp_adm_input_secret_value",
      "::add-mask::ghs_appInstallationToken",
      "::add-mask::glpat-gitlabTokenValue",
      "::add-mask::ghs_workflowToken",
    ]);
  });

  it("falls back to GITHUB_TOKEN for repo-token", () => {
    restore = withEnv({});
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(readInputs({ GITHUB_TOKEN: "ghs_fromEnv" }).repoToken).toBe("ghs_fromEnv");
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("rejects a bad mode, a bad boolean and a non-URL, all in one message", () => {
    restore = withEnv({ INPUT_MODE: "yolo", INPUT_COMMENT: "yes", "INPUT_API-URL": "tokens.example.com" });
    expect(() => readInputs({})).toThrow(InputError);
    expect(() => readInputs({})).toThrow(
      /api-url "tokens\.example\.com" is not a URL: write http:\/\/tokens\.example\.com; mode must be one of auto, plan, apply, rotate; comment must be true or false/,
    );
  });

  it("reads api-url by the rule every front end uses: a trailing /v1 is dropped", () => {
    restore = withEnv({ "INPUT_API-URL": " https://tokens.example.com/v1/ " });
    expect(readInputs({}).apiUrl).toBe("https://tokens.example.com");
  });
});

describe("readRunContext", () => {
  const base = {
    GITHUB_REPOSITORY: "acme/platform-infra",
    GITHUB_RUN_ID: "7001",
    GITHUB_API_URL: "http://127.0.0.1:1",
  };

  it("reads a same-repository pull request", async () => {
    const ctx = await readRunContext({
      ...base,
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: eventPath("pull_request.opened"),
    });
    expect(ctx).toEqual({
      repository: { owner: "acme", repo: "platform-infra" },
      apiUrl: "http://127.0.0.1:1",
      serverUrl: "https://github.com",
      runUrl: "https://github.com/acme/platform-infra/actions/runs/7001",
      trigger: {
        event: "pull_request",
        action: "opened",
        number: 42,
        fork: false,
        headRepository: "acme/platform-infra",
        headSha: "0c9a3e1b2f4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b",
      },
    });
  });

  it("tells a fork pull request apart", async () => {
    const ctx = await readRunContext({
      ...base,
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: eventPath("pull_request.fork"),
    });
    expect(ctx.trigger).toMatchObject({
      event: "pull_request",
      number: 57,
      fork: true,
      headRepository: "mallory/platform-infra",
    });
  });

  it("knows a push to the default branch from a push elsewhere", async () => {
    const main = await readRunContext({
      ...base,
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: eventPath("push.main"),
    });
    const feature = await readRunContext({
      ...base,
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: eventPath("push.feature"),
    });
    const sha = "e5bd3914e2e596debea16f433f57875b5b90bcd6";
    expect(main.trigger).toEqual({ event: "push", ref: "refs/heads/main", defaultBranch: true, sha });
    expect(feature.trigger).toEqual({
      event: "push",
      ref: "refs/heads/add-analytics-key",
      defaultBranch: false,
      sha,
    });
  });

  it("passes other events through by name, and fails clearly on a payload missing what it needs", async () => {
    const schedule = await readRunContext({
      ...base,
      GITHUB_EVENT_NAME: "schedule",
      GITHUB_EVENT_PATH: eventPath("schedule"),
    });
    expect(schedule.trigger).toEqual({ event: "schedule" });
    await expect(
      readRunContext({
        ...base,
        GITHUB_EVENT_NAME: "pull_request",
        GITHUB_EVENT_PATH: eventPath("schedule"),
      }),
    ).rejects.toThrow(/the pull_request event payload is missing fields the Action needs: pull_request/);
    await expect(readRunContext({ GITHUB_REPOSITORY: "acme/x" })).rejects.toThrow(
      /GITHUB_EVENT_NAME is not set/,
    );
  });
});

describe("chooseJob", () => {
  const pr = { event: "pull_request" as const, action: "opened", number: 1, fork: false, headSha: "x" };
  it("follows the event in auto mode", () => {
    expect(chooseJob("auto", pr)).toBe("plan");
    expect(chooseJob("auto", { event: "push", ref: "refs/heads/main", defaultBranch: true })).toBe("apply");
    expect(chooseJob("auto", { event: "push", ref: "refs/heads/x", defaultBranch: false })).toBe("plan");
    expect(chooseJob("auto", { event: "schedule" })).toBe("rotate");
    expect(chooseJob("auto", { event: "workflow_dispatch" })).toBe("plan");
    expect(chooseJob("rotate", { event: "workflow_dispatch" })).toBe("rotate");
  });

  it("refuses pull_request_target, and apply or rotate on a pull request", () => {
    expect(() => chooseJob("auto", { ...pr, event: "pull_request_target" })).toThrow(
      /pull_request_target is not supported/,
    );
    expect(() => chooseJob("apply", pr)).toThrow(/unmerged, unreviewed specs/);
  });
});

describe("specs input", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-action-specs-"));
    await mkdir(join(dir, "tokens", "team"), { recursive: true });
    await mkdir(join(dir, "tokens", "node_modules"), { recursive: true });
    const doc = (name: string) =>
      `apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata:\n  owner: acme/platform-infra\ntokens:\n  - name: ${name}\n    scopes: [contexts:read]\n    deliver:\n      - github: { repository: acme/backend, secret: ${name.toUpperCase().replace(/-/g, "_")} }\n`;
    await writeFile(join(dir, "tokens", "a.yaml"), doc("alpha"));
    await writeFile(join(dir, "tokens", "team", "b.yaml"), doc("beta"));
    await writeFile(join(dir, "tokens", "team", "notes.md"), "# not a spec\n");
    await writeFile(join(dir, "tokens", "node_modules", "c.yaml"), doc("gamma"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("expands glob patterns below their fixed directories, skipping node_modules", async () => {
    expect((await loadSpecs(["tokens/**/*.yaml"], dir)).files).toEqual([
      "tokens/a.yaml",
      "tokens/team/b.yaml",
    ]);
    expect((await loadSpecs(["./tokens/*.yaml"], dir)).files).toEqual(["tokens/a.yaml"]);
  });

  it("loads patterns, files and directories into one set; a pattern matching nothing is an error", async () => {
    const ok = await loadSpecs(["tokens/*.yaml", "tokens/team"], dir);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.set?.tokens.map((t) => t.name)).toEqual(["alpha", "beta"]);
    const bad = await loadSpecs(["tokens/*.yml", "tokens/a.yaml"], dir);
    expect(bad.set).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({
      code: "no_spec_files",
      message: "the pattern tokens/*.yml matches no files",
    });
    expect(await ownerOf(bad, dir)).toBe("acme/platform-infra");
  });

  it("makes paths relative to the repository root for annotations", () => {
    expect(repoPath("tokens/a.yaml", "/w/repo/sub", "/w/repo")).toBe("sub/tokens/a.yaml");
    expect(repoPath("/elsewhere/x.yaml", "/w/repo", "/w/repo")).toBe("/elsewhere/x.yaml");
  });
});
