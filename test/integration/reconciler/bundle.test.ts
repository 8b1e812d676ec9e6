/**
 * The committed bundle: rebuilt into a temporary directory it must equal `reconciler/dist/index.js` byte
 * for byte (otherwise it is stale: run `npm run build:action`), and, run as GitHub runs it — `node
 * reconciler/dist/index.js` in a child process with the runner's environment — it plans a pull request
 * against a real token service and posts the comment to a loopback stand-in for GitHub's API.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_PATH, buildAction, REPO_ROOT } from "../../../reconciler/src/build.js";
import { type RunningService, startService } from "../../../src/service/index.js";
import { type GithubStub, startGithubStub } from "./github-stub.js";
import { annotations, parseOutputs, runnerEnv } from "./harness.js";

const WORKFLOW_TOKEN = "ghs_workflowTokenForThisRepository01";
const SPEC = `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata:
  owner: acme/platform-infra
tokens:
  - name: backend-ci-pipeline
    scopes: [contexts:read]
    deliver:
      - github: { repository: acme/backend, secret: MCP_API_KEY }
  - name: frontend-ci-pipeline
    scopes: [contexts:read]
    deliver:
      - github: { repository: acme/frontend, secret: MCP_API_KEY }
`;

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tf-bundle-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("reconciler/dist/index.js", () => {
  it("is up to date with its sources (rebuilt, the bytes are identical)", async () => {
    const fresh = join(root, "rebuilt", "index.js");
    await buildAction(fresh);
    const [committed, rebuilt] = await Promise.all([readFile(BUNDLE_PATH), readFile(fresh)]);
    expect(
      committed.equals(rebuilt),
      "reconciler/dist/index.js is stale: run `npm run build:action` and commit the result",
    ).toBe(true);
    expect(rebuilt.toString("utf8")).not.toMatch(/better-sqlite3|better_sqlite3/);
  });

  describe("run by node as the runner does", () => {
    let service: RunningService;
    let github: GithubStub;
    beforeAll(async () => {
      service = await startService({ dbPath: join(root, "tokens.db"), port: 0, sweepIntervalMs: 0 });
      github = await startGithubStub(WORKFLOW_TOKEN);
    });
    afterAll(async () => {
      await github.close();
      await service.close();
    });

    it("plans a pull request and posts the comment", async () => {
      const workspace = join(root, "repo");
      await mkdir(join(workspace, "tokens"), { recursive: true });
      await writeFile(join(workspace, "tokens", "platform.yaml"), SPEC);
      github.files = [
        { filename: "tokens/platform.yaml", status: "added", patch: `@@ -0,0 +1,3 @@\n+a\n+b\n+c` },
      ];
      const dir = await mkdtemp(join(root, "run-"));
      const env = runnerEnv(
        {
          event: "pull_request",
          fixture: "pull_request.opened",
          workspace,
          apiUrl: github.url,
          inputs: {
            "api-url": service.url,
            "api-token": service.adminToken.reveal(),
            "repo-token": WORKFLOW_TOKEN,
          },
        },
        dir,
      );
      await writeFile(env.GITHUB_STEP_SUMMARY!, "");
      await writeFile(env.GITHUB_OUTPUT!, "");
      const child = spawn(process.execPath, [join(REPO_ROOT, "reconciler/dist/index.js")], {
        cwd: workspace,
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString("utf8");
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString("utf8");
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));

      expect(stderr).toBe("");
      expect(code, stdout).toBe(0);
      expect(annotations(stdout).filter((a) => a.level === "error")).toEqual([]);
      expect(github.comments).toHaveLength(1);
      expect(github.comments[0]!.body.startsWith("<!-- tokenform-plan:acme/platform-infra -->")).toBe(true);
      expect(github.comments[0]!.body).toContain("Plan: 2 to create.");
      expect(github.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual([
        "GET /repos/acme/platform-infra/pulls/42/files",
        "GET /repos/acme/platform-infra/issues/42/comments",
        "POST /repos/acme/platform-infra/issues/42/comments",
        "GET /repos/acme/platform-infra/issues/42/labels",
        "POST /repos/acme/platform-infra/issues/42/labels",
      ]);
      expect(github.labels).toEqual(["tokenform:changes"]);
      expect(parseOutputs(env.GITHUB_OUTPUT!)).toMatchObject({
        "has-changes": "true",
        summary: "Plan: 2 to create.",
      });
      expect(await readFile(env.GITHUB_STEP_SUMMARY!, "utf8")).toContain("Plan: 2 to create.");
      const visible = stdout.split("\n").filter((l) => !l.startsWith("::add-mask::"));
      expect(visible.join("\n")).not.toContain(service.adminToken.reveal());
    });
  });
});
