/**
 * The Action end to end, in process, as GitHub runs it: `run()` from reconciler/src/main.ts with the
 * runner's environment (event name and webhook payload, summary and output files, `INPUT_*`), against a
 * real token service on loopback (SQLite in a temp dir). GitHub's and GitLab's REST APIs are intercepted
 * with nock in their documented shapes; the sealed boxes PUT to GitHub are opened with a keypair made
 * here, so every issued secret is known and checked for in stdout, comments, summaries and outputs.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { run } from "../../../reconciler/src/main.js";
import { TokenformClient } from "../../../src/api/client.js";
import type { Token } from "../../../src/api/schemas.js";
import { ManualClock, type RunningService, startService } from "../../../src/service/index.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { keypair } from "../sinks/helpers.js";
import {
  type ActionRun,
  annotations,
  captureStdout,
  parseOutputs,
  type RunOptions,
  runnerEnv,
  withEnv,
} from "./harness.js";

const GITHUB = "https://api.github.com";
const GITLAB = "https://gitlab.com";
const REPO = "/repos/acme/platform-infra";
const OWNER = "acme/platform-infra";
const MARKER = `<!-- tokenform-plan:${OWNER} -->`;
const APP_TOKEN = "ghs_appInstallationTokenForSecrets01";
const WORKFLOW_TOKEN = "ghs_workflowTokenForThisRepository01";
const GITLAB_TOKEN = "glpat-gitlabTokenForVariables0123";

/** The spec under review: two tokens, delivered to a repository secret, an environment secret and GitLab. */
const SPEC = `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata:
  owner: ${OWNER}
defaults:
  expiresIn: 180d
  rotation: { every: 90d, overlap: 48h }
tokens:
  - name: backend-ci-pipeline
    description: CI for the backend repository
    scopes: [contexts:read, tools:call]
    labels: { team: backend }
    deliver:
      - github: { repository: acme/backend, secret: MCP_API_KEY }
  - name: analytics-pipeline
    description: Nightly analytics jobs
    scopes: [contexts:read]
    labels: { team: data }
    deliver:
      - github: { repository: acme/analytics, environment: production, secret: MCP_API_KEY }
      - gitlab: { project: acme/analytics, variable: MCP_API_KEY }
`;

let service: RunningService;
let clock: ManualClock;
let root: string;
let workspace: string;
let secretsSeen: string[];

/** A label as the REST API lists it on an issue. */
function labelObject(name: string) {
  return {
    id: name.length,
    node_id: `LA_${name}`,
    url: `${GITHUB}${REPO}/labels/${encodeURIComponent(name)}`,
    name,
    color: "ededed",
    default: false,
    description: null,
  };
}

/** A GitHub comment object as the REST API returns it. */
function commentObject(id: number, body: string) {
  return {
    id,
    node_id: `IC_kwDOH${id}`,
    url: `${GITHUB}${REPO}/issues/comments/${id}`,
    html_url: `https://github.com/acme/platform-infra/pull/42#issuecomment-${id}`,
    body,
    user: { login: "github-actions[bot]", id: 41898282, type: "Bot" },
    created_at: "2026-01-12T09:46:00Z",
    updated_at: "2026-01-12T09:46:00Z",
    issue_url: `${GITHUB}${REPO}/issues/42`,
    author_association: "NONE",
  };
}

/** A pull-request file object as `GET /repos/{o}/{r}/pulls/{n}/files` returns it. */
function prFile(filename: string, patch: string | undefined, status = "modified") {
  return {
    sha: "bbcd538c8e72b8c175046e27cc8f907076331401",
    filename,
    status,
    additions: patch ? patch.split("\n").filter((l) => l.startsWith("+")).length : 0,
    deletions: 0,
    changes: 1,
    blob_url: `https://github.com/acme/platform-infra/blob/0c9a3e1/${filename}`,
    raw_url: `https://github.com/acme/platform-infra/raw/0c9a3e1/${filename}`,
    contents_url: `${GITHUB}${REPO}/contents/${filename}?ref=0c9a3e1`,
    ...(patch !== undefined ? { patch } : {}),
  };
}

/** The patch GitHub shows for a new spec file: every line added. */
function addedFilePatch(text: string): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
}

async function writeWorkspace(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(workspace, path)), { recursive: true });
    await writeFile(join(workspace, path), text);
  }
}

/** Runs the Action in process the way the runner would, and collects what it left. */
async function runAction(
  options: Omit<RunOptions, "workspace" | "inputs"> & { inputs?: Record<string, string> },
): Promise<ActionRun> {
  const dir = await mkdtemp(join(root, "run-"));
  const env = runnerEnv(
    {
      workspace,
      ...options,
      inputs: { "repo-token": WORKFLOW_TOKEN, ...options.inputs },
    },
    dir,
  );
  // The runner creates both files before the step starts.
  await writeFile(env.GITHUB_STEP_SUMMARY!, "");
  await writeFile(env.GITHUB_OUTPUT!, "");
  const restoreEnv = withEnv(env);
  const cwd = process.cwd();
  process.chdir(workspace);
  const stdout = captureStdout();
  let failed: boolean;
  try {
    await run();
  } finally {
    stdout.stop();
    process.chdir(cwd);
    restoreEnv();
    failed = process.exitCode === 1;
    process.exitCode = undefined;
  }
  const summary = await readFile(env.GITHUB_STEP_SUMMARY!, "utf8");
  const outputs = parseOutputs(env.GITHUB_OUTPUT!);
  return { stdout: stdout.text(), annotations: annotations(stdout.text()), summary, outputs, failed };
}

/** Inputs that reach the token service and write secrets. */
function serviceInputs(): Record<string, string> {
  return {
    "api-url": service.url,
    "api-token": service.adminToken.reveal(),
    "github-token": APP_TOKEN,
    "gitlab-token": GITLAB_TOKEN,
  };
}

/** The owner's tokens as the service holds them. */
async function serviceTokens(): Promise<Token[]> {
  const client = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  try {
    return await client.listAllTokens({ selector: `tokenform.dev/owner=${OWNER}` });
  } finally {
    await client.close?.();
  }
}

/** Intercepts GitHub's secret endpoints for a repository (and optionally an environment), opening each box. */
async function githubSecrets(targets: Array<{ repo: string; environment?: string }>) {
  const kp = await keypair();
  const writes: Array<{ path: string; secret: string }> = [];
  const scope = nock(GITHUB, { reqheaders: { authorization: `token ${APP_TOKEN}` } });
  for (const t of targets) {
    const base = t.environment
      ? `/repos/${t.repo}/environments/${t.environment}/secrets`
      : `/repos/${t.repo}/actions/secrets`;
    scope
      .get(`${base}/public-key`)
      .reply(200, { key_id: "3380204578043523366", key: kp.publicKey })
      .put(new RegExp(`^${base.replace(/\//g, "\\/")}\\/[A-Z_]+$`))
      .reply(201, (path, body) => {
        const secret = kp.open((body as { encrypted_value: string }).encrypted_value);
        writes.push({ path, secret });
        secretsSeen.push(secret);
        return "";
      });
  }
  return { scope, writes };
}

/**
 * GitHub answering the destination-drift check's reads of secrets (`GET …/secrets/{name}`): each secret
 * exists and was last updated long before tokenform's delivery, except those listed in `deleted`.
 */
function githubSecretsExist(deleted: string[] = []) {
  return nock(GITHUB, { reqheaders: { authorization: `token ${APP_TOKEN}` } })
    .persist()
    .get(/\/secrets\/[A-Z_]+$/)
    .reply((path) =>
      deleted.some((d) => path.startsWith(d))
        ? [404, { message: "Not Found" }]
        : [
            200,
            {
              name: path.split("/").pop(),
              created_at: "2020-01-01T00:00:00Z",
              updated_at: "2020-01-01T00:00:00Z",
            },
          ],
    );
}

/** Intercepts GitLab's variables API for a project: the variable is absent, then created. */
function gitlabVariable(project: string, key: string) {
  const writes: Array<{ key: string; secret: string }> = [];
  const base = `/api/v4/projects/${encodeURIComponent(project)}/variables`;
  const scope = nock(GITLAB, { reqheaders: { "private-token": GITLAB_TOKEN } })
    .get(`${base}/${key}`)
    .query({ "filter[environment_scope]": "*" })
    .reply(404, { message: "404 Variable Not Found" })
    .post(base)
    .reply(201, (_path, body) => {
      const b = body as { key: string; value: string };
      writes.push({ key: b.key, secret: b.value });
      secretsSeen.push(b.value);
      return {
        variable_type: "env_var",
        key: b.key,
        value: b.value,
        protected: false,
        masked: true,
        environment_scope: "*",
      };
    })
    // Later reads (the destination-drift check) find the variable with the value last written.
    .get(`${base}/${key}`)
    .query({ "filter[environment_scope]": "*" })
    .optionally()
    .times(10)
    .reply(() => [
      200,
      {
        variable_type: "env_var",
        key,
        value: writes.at(-1)?.secret ?? "",
        protected: false,
        masked: true,
        environment_scope: "*",
      },
    ]);
  return { scope, writes };
}

/** The commit push.main pushed (its `after`). */
const PUSHED_SHA = "e5bd3914e2e596debea16f433f57875b5b90bcd6";

/**
 * GitHub for a job on pull request #42: its changed `files`, no plan comment yet, and the comment the job
 * posts (`posted()`).
 */
function newPlanComment(files: unknown[], commentId: number) {
  let posted = "";
  let labels: string[] = [];
  const scope = nock(GITHUB)
    .get(`${REPO}/pulls/42/files`)
    .query(true)
    .reply(200, files)
    .get(`${REPO}/issues/42/comments`)
    .query(true)
    .reply(200, [])
    .post(`${REPO}/issues/42/comments`, (body: { body: string }) => {
      posted = body.body;
      return true;
    })
    .reply(201, (_p, body) => commentObject(commentId, (body as { body: string }).body))
    .get(`${REPO}/issues/42/labels`)
    .query(true)
    .reply(200, [])
    .post(`${REPO}/issues/42/labels`, (body: { labels: string[] }) => {
      labels = body.labels;
      return true;
    })
    .reply(200, []);
  return { scope, posted: () => posted, labels: () => labels };
}

/** Runs the pull-request job (#42) on the workspace's specs and returns the plan comment it posted. */
async function reviewOnPullRequest(inputs: Record<string, string> = serviceInputs()): Promise<string> {
  const planComment = newPlanComment([], 9001);
  const reviewed = await runAction({ event: "pull_request", fixture: "pull_request.opened", inputs });
  expect(reviewed.failed).toBe(false);
  expect(planComment.posted()).not.toBe("");
  return planComment.posted();
}

/** A pull request object as `GET /repos/{o}/{r}/commits/{sha}/pulls` lists it. */
function pullRequestObject(number: number, mergedAt: string | null) {
  return {
    id: 1_000_000 + number,
    number,
    state: mergedAt ? "closed" : "open",
    title: "Add the analytics key",
    user: { login: "alice", id: 583231, type: "User" },
    merged_at: mergedAt,
    merge_commit_sha: PUSHED_SHA,
    html_url: `https://github.com/acme/platform-infra/pull/${number}`,
    base: { ref: "main", sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e" },
    head: { ref: "add-analytics-key", sha: "0c9a3e1" },
  };
}

/** GitHub's answers to the apply job looking for the merged pull request (#42) and its plan comment. */
function mergedPullRequest(commentBody: string) {
  return nock(GITHUB)
    .get(`${REPO}/commits/${PUSHED_SHA}/pulls`)
    .reply(200, [pullRequestObject(7, null), pullRequestObject(42, "2026-01-12T10:00:00Z")])
    .get(`${REPO}/issues/42/comments`)
    .query(true)
    .reply(200, [commentObject(9001, commentBody)]);
}

/** A push to the default branch after the specs were planned on pull request #42 and merged. */
async function pushAfterReview(inputs: Record<string, string> = serviceInputs()): Promise<ActionRun> {
  mergedPullRequest(await reviewOnPullRequest(inputs));
  return runAction({ event: "push", fixture: "push.main", inputs });
}

/** Asserts an issued secret appears nowhere a person or another step could read it. */
async function expectNoSecrets(result: ActionRun, extra: string[] = []): Promise<void> {
  expect(secretsSeen.length).toBeGreaterThan(0);
  // The runner consumes `::add-mask::` commands and never prints them; everything else is visible.
  const visible = result.stdout
    .split("\n")
    .filter((l) => !l.startsWith("::add-mask::"))
    .join("\n");
  const planFile = result.outputs["plan-json"] ? await readFile(result.outputs["plan-json"], "utf8") : "";
  for (const secret of secretsSeen) {
    for (const text of [visible, result.summary, JSON.stringify(result.outputs), planFile, ...extra]) {
      expect(text).not.toContain(secret);
    }
    // …and each one was masked before anything could print it.
    expect(result.stdout).toContain(`::add-mask::${secret}`);
  }
}

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  root = await mkdtemp(join(tmpdir(), "tf-action-"));
  workspace = join(root, "repo");
  await mkdir(workspace);
  clock = new ManualClock(new Date());
  service = await startService({ dbPath: join(root, "tokens.db"), port: 0, clock, sweepIntervalMs: 0 });
  secretsSeen = [];
});

afterEach(async () => {
  vi.useRealTimers();
  nock.cleanAll();
  nock.enableNetConnect();
  await service.close();
  await rm(root, { recursive: true, force: true });
});

describe("pull request", () => {
  it("plans, posts one comment with the plan, writes the summary and outputs, and edits the same comment on the next push", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const files = [prFile("tokens/platform.yaml", addedFilePatch(SPEC), "added")];
    let posted = "";
    const first = nock(GITHUB, { reqheaders: { authorization: `token ${WORKFLOW_TOKEN}` } })
      .get(`${REPO}/pulls/42/files`)
      .query({ per_page: "100" })
      .reply(200, files)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: "100" })
      .reply(200, [])
      .post(`${REPO}/issues/42/comments`, (body: { body: string }) => {
        posted = body.body;
        return true;
      })
      .reply(201, (_p, body) => commentObject(9001, (body as { body: string }).body))
      // The plan labels: the stale one is removed, the plan's added, a reviewer's own label left alone.
      .get(`${REPO}/issues/42/labels`)
      .query({ per_page: "100" })
      .reply(200, [labelObject("tokenform:no-changes"), labelObject("needs-review")])
      .delete(`${REPO}/issues/42/labels/tokenform%3Ano-changes`)
      .reply(200, [labelObject("needs-review")])
      .post(`${REPO}/issues/42/labels`, { labels: ["tokenform:changes"] })
      .reply(200, [labelObject("needs-review"), labelObject("tokenform:changes")]);

    const opened = await runAction({
      event: "pull_request",
      fixture: "pull_request.opened",
      inputs: serviceInputs(),
    });

    expect(first.isDone()).toBe(true);
    expect(opened.failed).toBe(false);
    expect(posted.startsWith(`${MARKER}\n`)).toBe(true);
    expect(posted).toContain("### tokenform plan");
    expect(posted).toContain("Plan: 2 to create.");
    expect(posted).toContain("+ backend-ci-pipeline: will be created (mcp)");
    expect(posted).toContain("+   → deliver to");
    expect(posted).toMatch(/analytics-pipeline/);
    // Which commit, when and which run: a reviewer can tell whether the comment is current.
    expect(posted.trimEnd().split("\n").pop()).toMatch(
      /^<sub>planned \d{4}-\d\d-\d\d \d\d:\d\d UTC for \[`0c9a3e1`\]\(https:\/\/github\.com\/acme\/platform-infra\/commit\/0c9a3e1b2f4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b\) · \[run\]\(https:\/\/github\.com\/acme\/platform-infra\/actions\/runs\/9876543210\)<\/sub>$/,
    );
    expect(opened.stdout).toContain("Plan labels: +tokenform:changes -tokenform:no-changes");
    expect(opened.summary).toContain("Plan: 2 to create.");
    expect(opened.summary).toContain("Scanned the added lines of 1 changed file for secrets.");
    expect(opened.outputs).toMatchObject({ "has-changes": "true", summary: "Plan: 2 to create." });
    const plan = JSON.parse(await readFile(opened.outputs["plan-json"]!, "utf8")) as {
      formatVersion: number;
      owner: string;
      changes: unknown[];
    };
    expect(plan).toMatchObject({ formatVersion: 1, owner: OWNER });
    expect(plan.changes).toHaveLength(2);
    // A plan changes nothing.
    expect(await serviceTokens()).toEqual([]);

    // The next push: the comment is on the second page of the listing; it is edited, not re-posted.
    let edited = "";
    const others = Array.from({ length: 100 }, (_, i) => commentObject(100 + i, `LGTM ${i}`));
    const second = nock(GITHUB)
      .get(`${REPO}/pulls/42/files`)
      .query({ per_page: "100" })
      .reply(200, files)
      .get(`${REPO}/issues/42/comments`)
      .query({ per_page: "100" })
      .reply(200, others, {
        link: `<${GITHUB}/repositories/700100/issues/42/comments?per_page=100&page=2>; rel="next", <${GITHUB}/repositories/700100/issues/42/comments?per_page=100&page=2>; rel="last"`,
      })
      .get("/repositories/700100/issues/42/comments")
      .query({ per_page: "100", page: "2" })
      .reply(200, [commentObject(42, `> ${MARKER}\n> quoted by a reviewer`), commentObject(9001, posted)])
      .patch(`${REPO}/issues/comments/9001`, (body: { body: string }) => {
        edited = body.body;
        return true;
      })
      .reply(200, (_p, body) => commentObject(9001, (body as { body: string }).body))
      // Labels already right: nothing is written.
      .get(`${REPO}/issues/42/labels`)
      .query({ per_page: "100" })
      .reply(200, [labelObject("tokenform:changes")]);

    const synced = await runAction({
      event: "pull_request",
      fixture: "pull_request.synchronize",
      inputs: serviceInputs(),
    });

    expect(second.isDone()).toBe(true);
    expect(synced.failed).toBe(false);
    expect(edited.startsWith(MARKER)).toBe(true);
    expect(edited).toContain("Plan: 2 to create.");
    expect(synced.stdout).toContain("Plan comment updated");
  });

  it("heads the comment with the keys a merge stops and labels the pull request tokenform:destroy", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    await githubSecrets([{ repo: "acme/backend" }, { repo: "acme/analytics", environment: "production" }]);
    gitlabVariable("acme/analytics", "MCP_API_KEY");
    expect((await pushAfterReview()).failed).toBe(false);

    await writeWorkspace({
      "tokens/platform.yaml": SPEC.slice(0, SPEC.indexOf("  - name: analytics-pipeline")),
    });
    const planComment = newPlanComment([], 9006);
    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.synchronize",
      inputs: { ...serviceInputs(), "check-destinations": "false" },
    });

    expect(result.failed).toBe(false);
    const posted = planComment.posted();
    expect(posted).toContain("> [!WARNING]\n> **Applying this plan stops a key from working.**");
    expect(posted).toMatch(
      /^> - analytics-pipeline \(GitHub acme\/analytics \(environment production\) secret MCP_API_KEY, GitLab project acme\/analytics variable MCP_API_KEY \(scope \*\)\) stops working on apply \(retired: disabled now, deleted 7d after apply, about \d{4}-\d\d-\d\d \d\d:\d\d UTC if applied now\)$/m,
    );
    expect(planComment.labels()).toEqual(["tokenform:changes", "tokenform:destroy"]);
  });

  it("annotates a broken spec on its file and line, says so in the comment and fails", async () => {
    const broken = SPEC.replace(
      "scopes: [contexts:read]\n",
      "scopes: [contexts:read]\n    expiresIn: 90 days\n",
    );
    await writeWorkspace({ "tokens/platform.yaml": broken });
    const planComment = newPlanComment(
      [prFile("tokens/platform.yaml", addedFilePatch(broken), "added")],
      9002,
    );

    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.opened",
      inputs: serviceInputs(),
    });

    expect(result.failed).toBe(true);
    const line = broken.split("\n").findIndex((l) => l.includes("expiresIn: 90 days")) + 1;
    const errors = result.annotations.filter((a) => a.level === "error" && a.properties.file);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.properties).toMatchObject({
      file: "tokens/platform.yaml",
      line: String(line),
      col: "16",
    });
    expect(errors[0]!.message).toMatch(/duration/i);
    expect(result.stdout).toMatch(new RegExp(`^::error file=tokens/platform.yaml,line=${line},`, "m"));
    expect(planComment.posted().startsWith(MARKER)).toBe(true);
    expect(planComment.posted()).toContain("The specs have 1 error; nothing was planned.");
    expect(planComment.posted()).toContain(`tokens/platform.yaml:${line}:16`);
    expect(result.outputs).toMatchObject({ "has-changes": "false", "plan-json": "" });
    expect(result.stdout).toMatch(/^::error::the specs have 1 error/m);
  });

  it("refuses a committed token (valid checksum) and another credential, showing only their prefixes", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const leaked = generateToken("mcp_sk_");
    const pat = `ghp_${"Zx9Yw8Vu7T".repeat(4)}`;
    const envPatch = [
      "@@ -1,2 +1,4 @@",
      " # local settings",
      "-MCP_API_KEY=",
      `+MCP_API_KEY=${leaked}`,
      "+LOG_LEVEL=debug",
      ` GITHUB=${pat}`,
    ].join("\n");
    const ciPatch = [
      "@@ -10,3 +10,4 @@ jobs:",
      "     steps:",
      `+      - run: curl -H "Authorization: token ${pat}" https://api.github.com`,
      "       - uses: actions/checkout@v4",
    ].join("\n");
    const planComment = newPlanComment(
      [
        prFile("tokens/platform.yaml", addedFilePatch(SPEC), "added"),
        prFile("config/.env.example", envPatch),
        prFile(".github/workflows/ci.yml", ciPatch),
        prFile("docs/logo.png", undefined, "added"),
      ],
      9003,
    );

    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.opened",
      inputs: serviceInputs(),
    });

    expect(result.failed).toBe(true);
    const leaks = result.annotations.filter((a) => a.level === "error" && a.properties.file);
    expect(leaks.map((a) => [a.properties.file, a.properties.line, a.properties.col])).toEqual([
      ["config/.env.example", "2", "13"],
      [".github/workflows/ci.yml", "11", "44"],
    ]);
    expect(leaks[0]!.message).toContain(
      `a tokenform token (its checksum is valid) starting "${leaked.slice(0, 11)}…"`,
    );
    expect(leaks[1]!.message).toContain('a GitHub token starting "ghp_…"');
    expect(planComment.posted()).toContain("This pull request commits 2 secrets");
    expect(planComment.posted()).toContain("`config/.env.example:2` a tokenform token");
    // The plan is still shown for review.
    expect(planComment.posted()).toContain("Plan: 2 to create.");
    expect(result.summary).toContain("Not scanned (binary, or too large a diff to read): `docs/logo.png`");
    for (const text of [
      result.stdout,
      planComment.posted(),
      result.summary,
      JSON.stringify(result.outputs),
    ]) {
      expect(text).not.toContain(leaked);
      expect(text).not.toContain(pat);
    }
  });

  it("summarises a plan too long for one comment; the full plan is in the job summary and the JSON file", async () => {
    const count = 400;
    const tokens = Array.from({ length: count }, (_, i) => {
      const name = `pipeline-${String(i).padStart(3, "0")}`;
      return [
        `  - name: ${name}`,
        `    description: CI pipeline number ${i} of the monorepo`,
        "    scopes: [contexts:read, tools:call]",
        "    deliver:",
        `      - github: { repository: acme/service-${i}, environment: production, secret: MCP_API_KEY }`,
        `      - gitlab: { project: acme/service-${i}, variable: MCP_API_KEY, environmentScope: production }`,
      ].join("\n");
    });
    const big = `apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata:\n  owner: ${OWNER}\ntokens:\n${tokens.join("\n")}\n`;
    await writeWorkspace({ "tokens/platform.yaml": big });
    const planComment = newPlanComment([prFile("tokens/platform.yaml", addedFilePatch(big), "added")], 9004);

    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.opened",
      inputs: serviceInputs(),
    });

    expect(result.failed).toBe(false);
    expect(planComment.posted().length).toBeLessThanOrEqual(65_536);
    expect(planComment.posted().startsWith(MARKER)).toBe(true);
    expect(planComment.posted()).toContain(`Plan: ${count} to create.`);
    expect(planComment.posted()).toContain(
      "This plan is too long for one comment: the full plan is in the [job summary](https://github.com/acme/platform-infra/actions/runs/9876543210)",
    );
    expect(planComment.posted()).not.toContain("+ pipeline-399: will be created");
    expect(result.summary.length).toBeGreaterThan(65_536);
    expect(result.summary).toContain("+ pipeline-399: will be created (mcp)");
    const plan = JSON.parse(await readFile(result.outputs["plan-json"]!, "utf8")) as { changes: unknown[] };
    expect(plan.changes).toHaveLength(count);
  });

  it("with comment: false, plans into the job summary and touches no comment", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const scope = nock(GITHUB)
      .get(`${REPO}/pulls/42/files`)
      .query(true)
      .reply(200, [prFile("tokens/platform.yaml", addedFilePatch(SPEC), "added")]);
    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.opened",
      inputs: { ...serviceInputs(), comment: "false" },
    });
    expect(scope.isDone()).toBe(true);
    expect(result.failed).toBe(false);
    expect(result.summary).toContain("Plan: 2 to create.");
  });

  it("on a fork pull request, validates and scans only, says why, and posts nothing", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const scope = nock(GITHUB)
      .get(`${REPO}/pulls/57/files`)
      .query(true)
      .reply(200, [prFile("tokens/platform.yaml", addedFilePatch(SPEC), "added")]);

    // Fork pull requests get no secrets: api-token and github-token are empty, as GitHub passes them.
    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.fork",
      inputs: { "api-url": service.url },
    });

    expect(scope.isDone()).toBe(true);
    expect(result.failed).toBe(false);
    expect(result.summary).toContain("This pull request comes from a fork.");
    expect(result.summary).toContain("✅ The specs are valid.");
    expect(result.annotations).toContainEqual(
      expect.objectContaining({ level: "notice", message: expect.stringMatching(/fork pull request/) }),
    );
    expect(result.outputs).toMatchObject({ "has-changes": "false", "plan-json": "" });
    expect(result.outputs.summary).toMatch(/^Fork pull request: specs valid/);
    expect(await serviceTokens()).toEqual([]);
  });
});

describe("push to the default branch", () => {
  it("applies: tokens created and active with delivery records, secrets sealed to GitHub and set in GitLab, never printed", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const github = await githubSecrets([
      { repo: "acme/backend" },
      { repo: "acme/analytics", environment: "production" },
    ]);
    const gitlab = gitlabVariable("acme/analytics", "MCP_API_KEY");

    const result = await pushAfterReview();

    expect(result.failed).toBe(false);
    expect(github.scope.isDone()).toBe(true);
    expect(gitlab.scope.isDone()).toBe(true);
    const tokens = await serviceTokens();
    expect(tokens.map((t) => [t.name, t.status]).sort()).toEqual([
      ["analytics-pipeline", "active"],
      ["backend-ci-pipeline", "active"],
    ]);
    const analytics = tokens.find((t) => t.name === "analytics-pipeline")!;
    expect(analytics.deliveries.map((d) => d.destination).sort()).toEqual([
      "github:repo/acme/analytics/env/production/MCP_API_KEY",
      "gitlab:project/acme/analytics/*/MCP_API_KEY",
    ]);
    // The analytics secret went to both places; each delivered value is the live token.
    const [ghAnalytics] = github.writes.filter((w) => w.path.includes("acme/analytics"));
    expect(ghAnalytics!.secret).toBe(gitlab.writes[0]!.secret);
    expect(analytics.fingerprint).toBe(
      (await import("../../../src/api/secret.js")).fingerprintOf(ghAnalytics!.secret),
    );

    expect(result.summary).toContain("### tokenform apply");
    expect(result.summary).toContain("Applied: 2 created.");
    expect(result.summary).toContain("| `backend-ci-pipeline` | create | ✅ created |");
    expect(result.summary).toContain("GitHub acme/backend secret MCP_API_KEY");
    expect(result.summary).toContain("GitLab project acme/analytics variable MCP_API_KEY");
    expect(result.outputs).toMatchObject({ "has-changes": "true", summary: "Applied: 2 created." });
    await expectNoSecrets(result);

    // Running again reads each destination (all in place) and finds nothing to do.
    const reads = githubSecretsExist();
    const again = await runAction({ event: "push", fixture: "push.main", inputs: serviceInputs() });
    reads.persist(false);
    expect(again.failed).toBe(false);
    expect(again.outputs).toMatchObject({ "has-changes": "false", summary: "No changes." });
  });

  it("fails the job when a delivery fails, revokes that token and reports the destination", async () => {
    await writeWorkspace({
      "tokens/platform.yaml": SPEC.slice(0, SPEC.indexOf("  - name: analytics-pipeline")),
    });
    const kp = await keypair();
    nock(GITHUB)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "1", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY")
      .reply(403, {
        message: "Resource not accessible by integration",
        documentation_url: "https://docs.github.com/rest",
      });

    const result = await pushAfterReview();

    expect(result.failed).toBe(true);
    expect(result.summary).toContain("❌ failed");
    expect(result.summary).toContain("github:repo/acme/backend/MCP_API_KEY");
    expect(result.stdout).toMatch(/^::error::1 of 1 change failed: create backend-ci-pipeline/m);
    expect(
      result.annotations.some(
        (a) => a.level === "error" && a.message.includes("create backend-ci-pipeline failed"),
      ),
    ).toBe(true);
    const [token] = await serviceTokens();
    expect(token === undefined || token.status !== "active").toBe(true);
    const visible = result.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::"));
    expect(visible.join("\n")).not.toContain(APP_TOKEN);
  });

  it("leaves tokens delivered to files for tokenform apply on a workstation, and applies the rest", async () => {
    const spec = `${SPEC.slice(0, SPEC.indexOf("  - name: analytics-pipeline"))}  - name: alice-cursor-dev
    description: Alice's Cursor IDE
    scopes: [contexts:read]
    deliver:
      - file: { path: ~/.config/tokenform/alice-cursor-dev.env, key: MCP_API_KEY }
`;
    await writeWorkspace({ "tokens/platform.yaml": spec });
    const github = await githubSecrets([{ repo: "acme/backend" }]);

    const result = await pushAfterReview();

    expect(result.failed).toBe(false);
    expect(github.scope.isDone()).toBe(true);
    expect((await serviceTokens()).map((t) => t.name)).toEqual(["backend-ci-pipeline"]);
    expect(result.summary).toContain("Applied: 1 created.");
    expect(result.summary).toContain(
      "`alice-cursor-dev` delivers a secret to a file. The Action left this change for `tokenform apply`",
    );
    expect(result.outputs).toMatchObject({ "has-changes": "true", summary: "Applied: 1 created." });
    await expectNoSecrets(result);
  });

  it("plans (never applies) on a push to another branch", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const result = await runAction({
      event: "push",
      fixture: "push.feature",
      ref: "refs/heads/add-analytics-key",
      inputs: serviceInputs(),
    });
    expect(result.failed).toBe(false);
    expect(result.outputs).toMatchObject({ "has-changes": "true", summary: "Plan: 2 to create." });
    expect(await serviceTokens()).toEqual([]);
  });
});

describe("schedule", () => {
  it("rotates due keys and retires removed ones, reports drift, and fail-on-drift turns it red", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    await githubSecrets([{ repo: "acme/backend" }, { repo: "acme/analytics", environment: "production" }]);
    gitlabVariable("acme/analytics", "MCP_API_KEY");
    const applied = await pushAfterReview();
    expect(applied.failed).toBe(false);
    const before = await serviceTokens();
    const backend = before.find((t) => t.name === "backend-ci-pipeline")!;

    // 91 days later (rotation every 90d): analytics-pipeline has been removed from the specs, and someone
    // widened backend-ci-pipeline's scopes outside tokenform.
    const later = new Date(Date.now() + 91 * 86_400_000);
    clock.set(later);
    vi.useFakeTimers({ toFake: ["Date"], now: later });
    await writeWorkspace({
      "tokens/platform.yaml": SPEC.slice(0, SPEC.indexOf("  - name: analytics-pipeline")),
    });
    const admin = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    await admin.updateToken(backend.id, { scopes: ["contexts:read", "tools:call", "files:read"] });
    await admin.close?.();
    const github = await githubSecrets([{ repo: "acme/backend" }]);
    secretsSeen = [];

    const result = await runAction({
      event: "schedule",
      fixture: "schedule",
      inputs: { ...serviceInputs(), "fail-on-drift": "true" },
    });

    expect(github.scope.isDone()).toBe(true);
    expect(github.writes).toHaveLength(1);
    const after = await serviceTokens();
    const rolled = after.find((t) => t.name === "backend-ci-pipeline")!;
    expect(rolled.generation).toBe(backend.generation + 1);
    expect(rolled.previousSecrets.length).toBeGreaterThan(0);
    expect(after.find((t) => t.name === "analytics-pipeline")!.status).toBe("disabled");
    expect(result.summary).toContain("### tokenform scheduled run");
    expect(result.summary).toMatch(/Drift \(1\)/);
    // Widened with the very key the Action runs as: named as such.
    expect(result.summary).toContain(
      "`backend-ci-pipeline`: scopes changed by `bootstrap-admin` (this set's own key) at ",
    );
    expect(result.summary).toMatch(/rotated/);
    expect(result.summary).toMatch(/retired/);
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      /^::error::drift found in 1 token: backend-ci-pipeline \(fail-on-drift is set\)/m,
    );
    expect(result.outputs["has-changes"]).toBe("true");
    await expectNoSecrets(result);
  });
});

describe("destination drift", () => {
  it("a scheduled run re-delivers a secret deleted at GitHub, saying why, and leaves the rest alone", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    await githubSecrets([{ repo: "acme/backend" }, { repo: "acme/analytics", environment: "production" }]);
    const gitlab = gitlabVariable("acme/analytics", "MCP_API_KEY");
    expect((await pushAfterReview()).failed).toBe(false);
    const before = await serviceTokens();

    // Someone deleted acme/backend's MCP_API_KEY; the other secrets and the variable are in place.
    const reads = githubSecretsExist(["/repos/acme/backend/"]);
    const github = await githubSecrets([{ repo: "acme/backend" }]);
    secretsSeen = [];
    const result = await runAction({ event: "schedule", fixture: "schedule", inputs: serviceInputs() });
    reads.persist(false);

    expect(result.failed).toBe(false);
    expect(github.writes.map((w) => w.path)).toEqual(["/repos/acme/backend/actions/secrets/MCP_API_KEY"]);
    const after = await serviceTokens();
    const backend = (list: Token[]) => list.find((t) => t.name === "backend-ci-pipeline")!;
    const analytics = (list: Token[]) => list.find((t) => t.name === "analytics-pipeline")!;
    expect(backend(after).generation).toBe(backend(before).generation + 1);
    expect(analytics(after).generation).toBe(analytics(before).generation);
    expect(gitlab.writes).toHaveLength(1);
    expect(result.summary).toContain("#### ⚠️ Destination drift (1)");
    expect(result.summary).toContain(
      "- `backend-ci-pipeline` → GitHub acme/backend secret MCP_API_KEY: the secret no longer exists",
    );
    await expectNoSecrets(result);
  });

  it("plan jobs read destinations too, unless check-destinations is false", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    await githubSecrets([{ repo: "acme/backend" }, { repo: "acme/analytics", environment: "production" }]);
    gitlabVariable("acme/analytics", "MCP_API_KEY");
    await pushAfterReview();

    const reads = githubSecretsExist(["/repos/acme/backend/"]);
    const planned = await runAction({
      event: "workflow_dispatch",
      fixture: "workflow_dispatch",
      inputs: serviceInputs(),
    });
    expect(planned.summary).toContain("destination drift");
    const skipped = await runAction({
      event: "workflow_dispatch",
      fixture: "workflow_dispatch",
      inputs: { ...serviceInputs(), "check-destinations": "false" },
    });
    reads.persist(false);
    expect(skipped.summary).not.toContain("destination drift");
    expect(skipped.outputs["has-changes"]).toBe("false");
  });
});

describe("apply what was reviewed", () => {
  const BACKEND_ONLY = SPEC.slice(0, SPEC.indexOf("  - name: analytics-pipeline"));

  it("stops a merge whose plan has a change the reviewed plan did not show, showing the difference", async () => {
    await writeWorkspace({ "tokens/platform.yaml": BACKEND_ONLY });
    const reviewed = await reviewOnPullRequest();
    expect(reviewed.split("\n")[1]).toMatch(/^<!-- tokenform-review:[A-Za-z0-9_-]+ -->$/);
    // By the merge, main's specs also create analytics-pipeline (another pull request landed first).
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const lookup = mergedPullRequest(reviewed);

    const result = await runAction({ event: "push", fixture: "push.main", inputs: serviceInputs() });

    expect(lookup.isDone()).toBe(true);
    expect(result.failed).toBe(true);
    expect(await serviceTokens()).toEqual([]);
    expect(result.summary).toContain(
      "❌ Nothing was applied: the plan has 1 change the plan reviewed on pull request #42 did not show.",
    );
    expect(result.summary).toContain("#### Not in the reviewed plan (1)");
    expect(result.summary).toContain("+ analytics-pipeline: will be created (mcp)");
    expect(result.summary).toContain("`force: true`");
    expect(result.stdout).toMatch(
      /^::error::nothing was applied: the plan has 1 change .*\(create analytics-pipeline\)/m,
    );
    expect(result.outputs.summary).toBe("Not applied: the plan differs from the reviewed one.");

    // force: true applies it anyway, saying so.
    await githubSecrets([{ repo: "acme/backend" }, { repo: "acme/analytics", environment: "production" }]);
    gitlabVariable("acme/analytics", "MCP_API_KEY");
    mergedPullRequest(reviewed);
    const forced = await runAction({
      event: "push",
      fixture: "push.main",
      inputs: { ...serviceInputs(), force: "true" },
    });
    expect(forced.failed).toBe(false);
    expect(forced.summary).toContain("Applied with `force: true`");
    expect(forced.stdout).toMatch(/^::warning::applying with force: the plan has 1 change/m);
    expect((await serviceTokens()).map((t) => t.name).sort()).toEqual([
      "analytics-pipeline",
      "backend-ci-pipeline",
    ]);
  });

  it("applies the reviewed changes with rotations time made due since, listed separately", async () => {
    await writeWorkspace({ "tokens/platform.yaml": BACKEND_ONLY });
    await githubSecrets([{ repo: "acme/backend" }]);
    expect((await pushAfterReview()).failed).toBe(false);
    const [before] = await serviceTokens();

    // A pull request narrows the scopes; it is reviewed now and merged 91 days later (rotation every 90d).
    await writeWorkspace({
      "tokens/platform.yaml": BACKEND_ONLY.replace(
        "scopes: [contexts:read, tools:call]",
        "scopes: [contexts:read]",
      ),
    });
    let reads = githubSecretsExist();
    const reviewed = await reviewOnPullRequest();
    reads.persist(false);
    expect(reviewed).toContain("will be updated in place");
    const later = new Date(Date.now() + 91 * 86_400_000);
    clock.set(later);
    vi.useFakeTimers({ toFake: ["Date"], now: later });
    reads = githubSecretsExist();
    const github = await githubSecrets([{ repo: "acme/backend" }]);
    mergedPullRequest(reviewed);

    const result = await runAction({ event: "push", fixture: "push.main", inputs: serviceInputs() });
    reads.persist(false);

    expect(result.failed).toBe(false);
    expect(github.writes).toHaveLength(1);
    const [after] = await serviceTokens();
    expect(after!.scopes).toEqual(["contexts:read"]);
    expect(after!.generation).toBe(before!.generation + 1);
    expect(result.summary).toContain("Applying the plan reviewed on #42");
    expect(result.summary).toContain("#### Due since the review (1)");
    expect(result.summary).toContain("- `backend-ci-pipeline` rotate (rotation due)");
    expect(result.summary).not.toContain("Not in the reviewed plan");
  });

  it("stops when the pushed commit was not merged from a pull request with a plan comment", async () => {
    await writeWorkspace({ "tokens/platform.yaml": BACKEND_ONLY });
    nock(GITHUB).get(`${REPO}/commits/${PUSHED_SHA}/pulls`).reply(200, []);
    const direct = await runAction({ event: "push", fixture: "push.main", inputs: serviceInputs() });
    expect(direct.failed).toBe(true);
    expect(direct.summary).toContain(
      "❌ Nothing was applied: there is no reviewed plan to compare with: commit e5bd391 is not the merge of a pull request (was it pushed directly?).",
    );

    // A person's comment that copies the marker is not the Action's: still nothing reviewed.
    const forged = `${MARKER}\n<!-- tokenform-review:e30 -->\nlooks reviewed to me`;
    nock(GITHUB)
      .get(`${REPO}/commits/${PUSHED_SHA}/pulls`)
      .reply(200, [pullRequestObject(42, "2026-01-12T10:00:00Z")])
      .get(`${REPO}/issues/42/comments`)
      .query(true)
      .reply(200, [{ ...commentObject(77, forged), user: { login: "mallory", id: 1, type: "User" } }]);
    const unreviewed = await runAction({ event: "push", fixture: "push.main", inputs: serviceInputs() });
    expect(unreviewed.failed).toBe(true);
    expect(unreviewed.summary).toContain(
      "pull request #42 has no tokenform plan comment for acme/platform-infra",
    );
    expect(await serviceTokens()).toEqual([]);

    // A dispatched apply has no pull request either: it takes force: true, deliberately.
    const dispatched = await runAction({
      event: "workflow_dispatch",
      fixture: "workflow_dispatch",
      inputs: { ...serviceInputs(), mode: "apply" },
    });
    expect(dispatched.failed).toBe(true);
    expect(dispatched.summary).toContain("this run was not started by a merge (event workflow_dispatch)");
    await githubSecrets([{ repo: "acme/backend" }]);
    const forced = await runAction({
      event: "workflow_dispatch",
      fixture: "workflow_dispatch",
      inputs: { ...serviceInputs(), mode: "apply", force: "true" },
    });
    expect(forced.failed).toBe(false);
    expect((await serviceTokens()).map((t) => t.name)).toEqual(["backend-ci-pipeline"]);
  });
});

describe("inputs and setup", () => {
  it("masks the credential inputs before anything else is printed", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const result = await runAction({
      event: "workflow_dispatch",
      fixture: "workflow_dispatch",
      inputs: serviceInputs(),
    });
    const lines = result.stdout.split("\n");
    const firstOther = lines.findIndex((l) => l !== "" && !l.startsWith("::add-mask::"));
    const masks = lines.slice(0, firstOther);
    for (const secret of [service.adminToken.reveal(), APP_TOKEN, GITLAB_TOKEN, WORKFLOW_TOKEN]) {
      expect(masks).toContain(`::add-mask::${secret}`);
    }
    expect(result.failed).toBe(false);
    expect(result.outputs.summary).toBe("Plan: 2 to create.");
  });

  it("fails clearly when apply has no token service, and on pull_request_target", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const noService = await runAction({ event: "push", fixture: "push.main" });
    expect(noService.failed).toBe(true);
    expect(noService.stdout).toMatch(
      /^::error::mode apply needs the token service: set the api-url and api-token inputs/m,
    );
    const target = await runAction({ event: "pull_request_target", fixture: "pull_request_target.opened" });
    expect(target.failed).toBe(true);
    expect(target.stdout).toMatch(/^::error::pull_request_target is not supported/m);
  });

  it("validates and scans only when the token service is not configured, warning about a half-set pair", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const planComment = newPlanComment([prFile("tokens/platform.yaml", addedFilePatch(SPEC), "added")], 9005);
    const result = await runAction({
      event: "pull_request",
      fixture: "pull_request.opened",
      inputs: { "api-url": service.url },
    });
    expect(result.failed).toBe(false);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: "warning",
        message: expect.stringMatching(/^api-url is set but api-token is empty/),
      }),
    );
    expect(planComment.posted()).toContain("No token service is configured");
    expect(planComment.posted()).toContain("✅ The specs are valid.");
    expect(result.outputs).toMatchObject({ "has-changes": "false", "plan-json": "" });
  });

  it("reports a rejected api-token without printing it", async () => {
    await writeWorkspace({ "tokens/platform.yaml": SPEC });
    const wrong = generateToken("mcp_adm_");
    const result = await runAction({
      event: "workflow_dispatch",
      fixture: "workflow_dispatch",
      inputs: { "api-url": service.url, "api-token": wrong },
    });
    expect(result.failed).toBe(true);
    expect(result.stdout).toMatch(
      /^::error::the token service refused GET \/v1\/\S+: .* Check that api-token is an admin token/m,
    );
    const visible = result.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::"));
    expect(visible.join("\n")).not.toContain(wrong);
  });
});
