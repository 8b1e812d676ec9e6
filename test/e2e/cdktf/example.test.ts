/**
 * examples/cdktf end to end: the real cdktf CLI and the real Terraform binary, the provider installed into
 * a filesystem mirror, the real token service on loopback, and a loopback stand-in for GitHub and GitLab
 * (the sinks run inside the provider process, where nock cannot reach). `cdktf plan` shows the tokens to
 * add, `cdktf deploy --auto-approve` creates and delivers them, a second plan shows no changes, and a
 * changed scope is an in-place update. No issued secret appears in anything cdktf or Terraform printed
 * or wrote (cdktf.out, the state). Needs terraform on PATH: fails, never skips, without it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { OWNER_LABEL } from "../../../src/api/schemas.js";
import { type RunningService, startService } from "../../../src/service/index.js";
import { type FakeForges, FORGE_TOKEN, startFakeForges } from "./fake-forges.js";
import { CdktfProject, type Run, requireTerraform, STACK } from "./project.js";

/** One step of the flow: the cdktf CLI with Terraform behind it, on two shared cores. */
const STEP_TIMEOUT_MS = 300_000;

let service: RunningService;
let forges: FakeForges;
let project: CdktfProject;
let dataDir: string;

beforeAll(async () => {
  requireTerraform();
  dataDir = mkdtempSync(join(tmpdir(), "tokenform-cdktf-service-"));
  service = await startService({ dbPath: join(dataDir, "tokenform.db"), port: 0 });
  forges = await startFakeForges();
  project = new CdktfProject({
    TOKENFORM_API_URL: service.url,
    TOKENFORM_API_TOKEN: service.adminToken.reveal(),
    GITHUB_TOKEN: FORGE_TOKEN,
    GITHUB_API_URL: forges.githubUrl,
    GITLAB_TOKEN: FORGE_TOKEN,
    GITLAB_URL: forges.gitlabUrl,
  });
  project.installProvider();
}, STEP_TIMEOUT_MS);

afterAll(async () => {
  await forges?.close();
  await service?.close();
  project?.remove();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Fails with the command's whole output when it did not succeed. */
function succeeded(run: Run): string {
  expect(run.code, `cdktf exited ${run.code}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

/** The example owner's tokens in the service, by name. */
async function serviceTokens(): Promise<Map<string, { scopes: string[]; status: string }>> {
  const client = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  const tokens = await client.listAllTokens({ selector: `${OWNER_LABEL}=acme/platform` });
  return new Map(tokens.map((t) => [t.name, { scopes: [...t.scopes].sort(), status: t.status }]));
}

describe("examples/cdktf with the cdktf CLI", () => {
  it(
    "cdktf plan shows the example's tokens to add",
    async () => {
      const out = succeeded(await project.cdktf(["plan", "--skip-provider-lock"]));
      expect(out).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
      expect(out).toMatch(
        /tokenform_token\.tokens_backend-ci-pipeline_\w+ \(tokens\/backend-ci-pipeline\) will be created/,
      );
      expect(out).toMatch(
        /tokenform_token\.tokens_deploy-agent_\w+ \(tokens\/deploy-agent\) will be created/,
      );
      const synthesized = JSON.parse(project.read(`cdktf.out/stacks/${STACK}/cdk.tf.json`)) as {
        provider: { tokenform: Array<{ owner: string }> };
      };
      expect(synthesized.provider.tokenform).toEqual([{ owner: "acme/platform" }]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "cdktf deploy --auto-approve creates the tokens and delivers them to GitHub and GitLab",
    async () => {
      succeeded(await project.cdktf(["deploy", "--auto-approve", "--skip-provider-lock"]));
      const tokens = await serviceTokens();
      expect([...tokens.keys()].sort()).toEqual(["backend-ci-pipeline", "deploy-agent"]);
      expect(tokens.get("backend-ci-pipeline")).toEqual({
        scopes: ["contexts:read", "tools:call"],
        status: "active",
      });
      expect(forges.writes.map((w) => w.destination).sort()).toEqual([
        "github:acme/backend/env/production/MCP_API_KEY",
        "gitlab:acme/deploy/*/MCP_AGENT_KEY",
      ]);
      expect(forges.unexpected).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a second cdktf plan shows no changes",
    async () => {
      const out = succeeded(await project.cdktf(["plan", "--skip-provider-lock"]));
      expect(out).toMatch(/No changes\. Your infrastructure matches the configuration\./);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "a changed scope shows an in-place update",
    async () => {
      project.editMain((text) =>
        text.replace('scopes: ["contexts:read", "tools:call"]', 'scopes: ["contexts:read"]'),
      );
      const plan = succeeded(await project.cdktf(["plan", "--skip-provider-lock"]));
      expect(plan).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
      expect(plan).toMatch(/tokens\/backend-ci-pipeline\) will be updated in-place/);
      expect(plan).toMatch(/~ scopes\s+= \[\s+- "tools:call",/);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "deploying the changed scope updates the token in place, with no new secret",
    async () => {
      const writes = forges.writes.length;
      succeeded(await project.cdktf(["deploy", "--auto-approve", "--skip-provider-lock"]));
      expect((await serviceTokens()).get("backend-ci-pipeline")?.scopes).toEqual(["contexts:read"]);
      expect(forges.writes).toHaveLength(writes);
      const again = succeeded(await project.cdktf(["plan", "--skip-provider-lock"]));
      expect(again).toMatch(/No changes\./);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "renaming a token with renamedFrom moves it and renames it in place: same secret, same file variable",
    async () => {
      // A file destination without a key: its variable is derived from the name when first delivered.
      // Outside the project: the secret scan below reads every file in it.
      const outDir = mkdtempSync(join(tmpdir(), "tokenform-cdktf-out-"));
      onTestFinished(() => rmSync(outDir, { recursive: true, force: true }));
      const envFile = join(outDir, "agent.env");
      project.editMain((text) =>
        text.replace(
          "protected: true, masked: true },\n              },",
          `protected: true, masked: true },\n              },\n              { file: { path: ${JSON.stringify(envFile)} } },`,
        ),
      );
      succeeded(await project.cdktf(["deploy", "--auto-approve", "--skip-provider-lock"]));
      const delivered = readFileSync(envFile, "utf8");
      expect(delivered).toMatch(/^DEPLOY_AGENT=mcp_ag_/m);
      const before = await agentToken("deploy-agent");
      const writes = forges.writes.length;

      project.editMain((text) =>
        text.replace(
          'name: "deploy-agent",',
          'name: "release-agent",\n            renamedFrom: "deploy-agent",',
        ),
      );
      const plan = succeeded(await project.cdktf(["plan", "--skip-provider-lock"]));
      expect(plan).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
      expect(plan).toMatch(/\(moved from tokenform_token\.tokens_deploy-agent_\w+\)/);
      expect(plan).toMatch(/~ name\s+= "deploy-agent" -> "release-agent"/);
      expect(plan).not.toMatch(/fingerprint|RELEASE_AGENT/);
      succeeded(await project.cdktf(["deploy", "--auto-approve", "--skip-provider-lock"]));
      const after = await agentToken("release-agent");
      expect(after).toMatchObject({
        id: before.id,
        fingerprint: before.fingerprint,
        generation: before.generation,
      });
      expect(readFileSync(envFile, "utf8")).toBe(delivered);
      expect(forges.writes).toHaveLength(writes);

      // Once moved, renamedFrom can go: nothing changes, and the variable stays DEPLOY_AGENT.
      project.editMain((text) => text.replace('\n            renamedFrom: "deploy-agent",', ""));
      const quiet = succeeded(await project.cdktf(["plan", "--skip-provider-lock"]));
      expect(quiet).toMatch(/No changes\./);
    },
    STEP_TIMEOUT_MS * 2,
  );

  it("no issued secret appears in any output, in cdktf.out or in the state", () => {
    const secrets = [...new Set(forges.writes.map((w) => w.value))];
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    for (const secret of secrets) expect(secret).toMatch(/^mcp_(sk|ag)_/);
    const files = walk(project.dir);
    expect(files.some((f) => f.endsWith(`terraform.${STACK}.tfstate`))).toBe(true);
    expect(files.some((f) => f.endsWith("cdk.tf.json"))).toBe(true);
    const haystacks = [
      ...project.transcript.map((text, i) => ({ where: `command output #${i}`, text })),
      ...files.map((file) => ({ where: file, text: readFileSync(file).toString("latin1") })),
    ];
    for (const secret of secrets) {
      const leaks = haystacks.filter((h) => h.text.includes(secret)).map((h) => h.where);
      expect(leaks, "places an issued secret leaked to").toEqual([]);
    }
  });
});

/** The example's token called `name`, straight from the service. */
async function agentToken(name: string) {
  const client = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  const [token] = await client.listAllTokens({ name });
  if (!token) throw new Error(`no token named ${name}`);
  return token;
}

/** Every file under `dir` except the linked node_modules, the provider mirror and the bundle. */
function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === ".mirror" || name === ".bundle") continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}
