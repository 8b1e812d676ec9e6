/**
 * The provider under the real Terraform binary against the real token service (in-process, SQLite, on a
 * loopback port): init from a filesystem mirror, plan, apply, no-op plan, in-place update, rename,
 * disable, rotation (a roll: same token, new generation), import, drift, a failed delivery that leaves
 * no phantom, the data source, Ctrl-C during apply, and destroy honouring on_remove. After every scenario
 * every issued secret is searched for in the state, the saved plans' JSON and everything Terraform
 * printed: none may appear.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { OWNER_LABEL, type Token } from "../../../src/api/schemas.js";
import { fingerprintOf } from "../../../src/api/secret.js";
import { startService } from "../../../src/service/index.js";
import { providerBundle } from "../support/bundle.js";
import { providerHeader, requireTerraform, TerraformWorkspace } from "../support/terraform.js";

const OWNER = "e2e/platform";

let service: Awaited<ReturnType<typeof startService>>;
let api: TokenformClient;
let ws: TerraformWorkspace;
let out: string;
let serviceDir: string | undefined;
/** Every secret issued during the run, from the file sinks and from tokens created through the API. */
const secrets = new Set<string>();

const header = providerHeader(OWNER);

/** A file destination in raw format: the file holds exactly the secret. */
function fileBlock(name: string): string {
  return `file {\n    path   = "${join(out, `${name}.key`)}"\n    format = "raw"\n  }`;
}

/** Reads (and remembers) the secret a file sink delivered. */
function deliveredSecret(name: string): string {
  const path = join(out, `${name}.key`);
  const secret = readFileSync(path, "utf8").trim();
  expect(statSync(path).mode & 0o777).toBe(0o600);
  secrets.add(secret);
  return secret;
}

async function tokenNamed(name: string): Promise<Token | undefined> {
  return (await api.listAllTokens()).find((t) => t.name === name);
}

beforeAll(async () => {
  requireTerraform();
  serviceDir = mkdtempSync(join(tmpdir(), "tokenform-e2e-service-"));
  service = await startService({ dbPath: join(serviceDir, "tokens.db"), port: 0 });
  api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  ws = new TerraformWorkspace(await providerBundle(), {
    TOKENFORM_API_URL: service.url,
    TOKENFORM_API_TOKEN: service.adminToken.reveal(),
  });
  out = ws.subdir("out");
  ws.install();
  ws.write(header);
  await ws.ok(["init", "-no-color"]);
}, 180_000);

afterAll(async () => {
  await service?.close();
  ws?.remove();
  if (serviceDir) rmSync(serviceDir, { recursive: true, force: true });
});

afterEach(async () => {
  const haystacks = { state: ws.stateText(), output: ws.transcript.join("\n") };
  for (const secret of secrets) {
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text.includes(secret), `a secret (${secret.slice(0, 11)}…) appeared in ${where}`).toBe(false);
    }
  }
  // Every live token delivered to our files has its secret captured (so the scan above covered it).
  for (const t of await api.listAllTokens({ selector: `${OWNER_LABEL}=${OWNER}` })) {
    if (
      t.deliveries.some((d) => d.destination.startsWith(`file:${out}`)) &&
      t.generation === Math.max(...t.deliveries.map((d) => d.generation))
    ) {
      expect(
        [...secrets].some((s) => fingerprintOf(s) === t.fingerprint),
        `secret of ${t.name} captured`,
      ).toBe(true);
    }
  }
});

/** plan -out, show -json (kept for the scan), apply that plan. Returns the plan's text output. */
async function planAndApply(hcl: string): Promise<string> {
  ws.write(header + hcl);
  const plan = await ws.ok(["plan", "-no-color", "-out=tfplan"]);
  await ws.ok(["show", "-json", "-no-color", "tfplan"]);
  await ws.ok(["apply", "-no-color", "tfplan"]);
  return plan.stdout;
}

async function planExitCode(hcl?: string): Promise<{ code: number | null; stdout: string }> {
  if (hcl !== undefined) ws.write(header + hcl);
  const r = await ws.run(["plan", "-no-color", "-detailed-exitcode"]);
  if (r.code === 1) throw new Error(`plan failed\n${r.stdout}\n${r.stderr}`);
  return r;
}

const ci = (attrs: string) => `
resource "tokenform_token" "ci" {
${attrs}
  ${fileBlock("ci")}
}
`;

describe("tokenform_token under terraform", () => {
  it("creates a token, delivers its secret, and keeps only the fingerprint in state", async () => {
    const plan = await planAndApply(
      ci(
        '  name = "e2e-ci"\n  expires_in = "90d"\n  description = "CI"\n  scopes = ["contexts:read"]\n  labels = { team = "backend" }\n  rate_limit {\n    per_minute = 100\n  }',
      ),
    );
    expect(plan).toContain("1 to add, 0 to change, 0 to destroy");
    const secret = deliveredSecret("ci");
    const state = ws.stateResources()["tokenform_token.ci"]!;
    const token = await api.getToken(String(state.id));
    expect(token).toMatchObject({ name: "e2e-ci", status: "active", generation: 1, description: "CI" });
    expect(token.labels[OWNER_LABEL]).toBe(OWNER);
    expect(state.fingerprint).toBe(fingerprintOf(secret));
    expect(token.fingerprint).toBe(fingerprintOf(secret));
    expect(state.delivered).toEqual([`file:${join(out, "ci.key")}`]);
    expect(state.rate_limit).toEqual({ per_minute: 100, per_hour: null });
    // expires_in counts from the start of the current secret generation.
    expect(
      Math.abs(Date.parse(String(state.expires_at)) - (Date.parse(token.rotatedAt) + 90 * 86_400_000)),
    ).toBeLessThan(60_000);
  });

  it("plans no changes right after apply", async () => {
    expect((await planExitCode()).code).toBe(0);
  });

  it("updates settings in place and renames without a new secret", async () => {
    const before = ws.stateResources()["tokenform_token.ci"]!;
    const plan = await planAndApply(
      ci(
        '  name = "e2e-ci-renamed"\n  expires_in = "90d"\n  description = "CI for backend"\n  scopes = ["contexts:read", "tools:call"]\n  labels = { team = "backend" }\n  rate_limit {\n    per_minute = 100\n  }',
      ),
    );
    expect(plan).toContain("update in-place");
    expect(plan).toContain("0 to add, 1 to change, 0 to destroy");
    const after = ws.stateResources()["tokenform_token.ci"]!;
    expect(after.id).toBe(before.id);
    expect(after.generation).toBe(1);
    const token = await api.getToken(String(after.id));
    expect(token).toMatchObject({ name: "e2e-ci-renamed", description: "CI for backend" });
    expect([...token.scopes].sort()).toEqual(["contexts:read", "tools:call"]);
    expect((await planExitCode()).code).toBe(0);
  });

  it("disables and re-enables in place", async () => {
    const base =
      '  name = "e2e-ci-renamed"\n  expires_in = "90d"\n  description = "CI for backend"\n  scopes = ["contexts:read", "tools:call"]\n  labels = { team = "backend" }\n  rate_limit {\n    per_minute = 100\n  }';
    await planAndApply(ci(`${base}\n  enabled = false`));
    const id = String(ws.stateResources()["tokenform_token.ci"]!.id);
    expect(await api.getToken(id)).toMatchObject({ enabled: false, status: "disabled" });
    await planAndApply(ci(base));
    expect(await api.getToken(id)).toMatchObject({ enabled: true, status: "active" });
  });

  it("narrows the tools a token may call in place, and lifts the restriction when the attribute goes", async () => {
    const base =
      '  name = "e2e-ci-renamed"\n  expires_in = "90d"\n  description = "CI for backend"\n  scopes = ["contexts:read", "tools:call"]\n  labels = { team = "backend" }\n  rate_limit {\n    per_minute = 100\n  }';
    const id = String(ws.stateResources()["tokenform_token.ci"]!.id);
    const plan = await planAndApply(ci(`${base}\n  tools = ["search_*", "get_status"]`));
    expect(plan).toContain("0 to add, 1 to change, 0 to destroy");
    expect((await api.getToken(id)).tools).toEqual(["get_status", "search_*"]);
    expect((await planExitCode()).code).toBe(0);
    await planAndApply(ci(base));
    expect((await api.getToken(id)).tools).toBeNull();
  });

  it("rolls a due rotation: same token, next generation, new secret delivered", async () => {
    const base =
      '  name = "e2e-ci-renamed"\n  expires_in = "90d"\n  description = "CI for backend"\n  scopes = ["contexts:read", "tools:call"]\n  labels = { team = "backend" }\n  rate_limit {\n    per_minute = 100\n  }';
    const previous = deliveredSecret("ci");
    const id = String(ws.stateResources()["tokenform_token.ci"]!.id);
    // Rotation every 2 s: the token is older than that, so the rotation is due now.
    const plan = await planAndApply(ci(`${base}\n  rotation {\n    every   = "2s"\n    overlap = "1s"\n  }`));
    expect(plan).toContain("update in-place");
    expect(plan).not.toContain("must be replaced");
    expect(plan).toMatch(/generation\s+= 1 -> \(known after apply\)/);
    const state = ws.stateResources()["tokenform_token.ci"]!;
    expect(state.id).toBe(id);
    expect(state.generation).toBe(2);
    const current = deliveredSecret("ci");
    expect(current).not.toBe(previous);
    expect(state.fingerprint).toBe(fingerprintOf(current));
    // The roll restarted the relative expiry.
    expect(Date.parse(String(state.expires_at))).toBeGreaterThan(
      Date.parse(String(state.rotated_at)) + 89 * 86_400_000,
    );

    // A changed rotate_trigger rolls too (rotation removed so nothing else is due).
    const trigger = await planAndApply(ci(`${base}\n  rotate_trigger = "2026-01-01"`));
    expect(trigger).toContain("update in-place");
    expect(ws.stateResources()["tokenform_token.ci"]!.generation).toBe(3);
    expect(deliveredSecret("ci")).not.toBe(current);
    expect((await planExitCode()).code).toBe(0);
  });

  it("imports an existing token by id", async () => {
    const issued = await api.createToken({
      name: "e2e-imported",
      type: "mcp",
      scopes: ["contexts:read"],
      labels: { [OWNER_LABEL]: OWNER },
    });
    secrets.add(issued.secret.reveal());
    const base = (await ws.stateText()) ? readFileSync(join(ws.dir, "main.tf"), "utf8") : header;
    const importedHcl = `
resource "tokenform_token" "imported" {
  name   = "e2e-imported"
  scopes = ["contexts:read"]
}
`;
    ws.write(base + importedHcl);
    const r = await ws.ok(["import", "-no-color", "tokenform_token.imported", issued.token.id]);
    expect(r.stdout).toContain("Import successful");
    expect(ws.stateResources()["tokenform_token.imported"]).toMatchObject({
      id: issued.token.id,
      name: "e2e-imported",
      generation: 1,
    });
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    expect((await planExitCode()).code).toBe(0);
  });

  it("shows a token disabled through the API as drift, and apply puts it back", async () => {
    const id = String(ws.stateResources()["tokenform_token.ci"]!.id);
    const token = await api.getToken(id);
    await api.updateToken(id, { enabled: false }, { ifMatch: token.version });
    const plan = await planExitCode();
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/enabled\s+= false -> true/);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    expect((await api.getToken(id)).enabled).toBe(true);
  });

  it("refuses a delivery into a git work tree: error, token revoked, nothing recorded", async () => {
    const repo = ws.subdir("repo");
    spawnSync("git", ["init", "-q", repo]);
    const current = readFileSync(join(ws.dir, "main.tf"), "utf8");
    ws.write(`${current}
resource "tokenform_token" "broken" {
  name = "e2e-broken"
  file {
    path   = "${join(repo, "secret.key")}"
    format = "raw"
  }
}
`);
    const r = await ws.run(["apply", "-no-color", "-auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/delivery failed/i);
    expect(r.stderr).toMatch(/revoked/);
    expect(ws.stateResources()["tokenform_token.broken"]).toBeUndefined();
    expect(await tokenNamed("e2e-broken")).toBeUndefined();
    expect(existsSync(join(repo, "secret.key"))).toBe(false);
    ws.write(current);
  });

  it("lists tokens with their usage through the data source", async () => {
    const current = readFileSync(join(ws.dir, "main.tf"), "utf8");
    ws.write(`${current}
data "tokenform_tokens" "mine" {
  labels = { team = "backend" }
}

output "names" {
  value = [for t in data.tokenform_tokens.mine.tokens : t.name]
}

output "requests" {
  value = [for t in data.tokenform_tokens.mine.tokens : t.request_count]
}
`);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const outputs = JSON.parse((await ws.ok(["output", "-json", "-no-color"])).stdout) as Record<
      string,
      { value: unknown }
    >;
    expect(outputs.names!.value).toEqual(["e2e-ci-renamed"]);
    expect(outputs.requests!.value).toEqual([0]);
    ws.write(current);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
  });

  it("replaces a token whose type changes, freeing the name from the retired one", async () => {
    const current = readFileSync(join(ws.dir, "main.tf"), "utf8");
    const typed = (type: string) =>
      `${current}\nresource "tokenform_token" "typed" {\n  name = "e2e-typed"\n  type = "${type}"\n  ${fileBlock("typed")}\n}\n`;
    ws.write(typed("mcp"));
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const first = ws.stateResources()["tokenform_token.typed"]!;
    expect(deliveredSecret("typed").startsWith("mcp_sk_")).toBe(true);
    ws.write(typed("agent"));
    const plan = await ws.ok(["plan", "-no-color"]);
    expect(plan.stdout).toContain("must be replaced");
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const second = ws.stateResources()["tokenform_token.typed"]!;
    expect(second.id).not.toBe(first.id);
    expect(second.type).toBe("agent");
    expect(deliveredSecret("typed").startsWith("mcp_ag_")).toBe(true);
    const old = await api.getToken(String(first.id));
    expect(old.enabled).toBe(false);
    expect(old.name.startsWith("e2e-typed.retired-")).toBe(true);
  });

  it("stops a delivery interrupted with Ctrl-C and leaves no token behind", async () => {
    // A GitLab API that never answers: the delivery hangs until Terraform is interrupted.
    let sawRequest: () => void = () => {};
    const requested = new Promise<void>((resolve) => {
      sawRequest = resolve;
    });
    const held: Array<() => void> = [];
    const gitlab: Server = createServer((_req, res) => {
      sawRequest();
      held.push(() => res.destroy());
    });
    await new Promise<void>((resolve) => gitlab.listen(0, "127.0.0.1", resolve));
    const port = (gitlab.address() as { port: number }).port;
    const slow = new TerraformWorkspace(ws.bundle, {
      ...ws.env,
      GITLAB_TOKEN: "glpat-test-not-a-real-token",
      GITLAB_URL: `http://127.0.0.1:${port}`,
    });
    try {
      slow.install();
      slow.write(`${header}
resource "tokenform_token" "interrupted" {
  name = "e2e-interrupted"
  gitlab_variable {
    project  = "acme/backend"
    variable = "MCP_API_KEY"
  }
}
`);
      await slow.ok(["init", "-no-color"]);
      const r = await slow.run(["apply", "-no-color", "-auto-approve"], (child) => {
        void requested.then(() => child.kill("SIGINT"));
      });
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/Interrupt received/);
      expect(r.stderr).toMatch(/was not created: delivery failed/);
      expect(r.stderr).toMatch(/revoked/);
      expect(slow.stateResources()["tokenform_token.interrupted"]).toBeUndefined();
      expect(await tokenNamed("e2e-interrupted")).toBeUndefined();
      ws.transcript.push(...slow.transcript);
    } finally {
      for (const release of held) release();
      await new Promise<void>((resolve) => gitlab.close(() => resolve()));
      slow.remove();
    }
  });

  it("destroys each token the way its on_remove says", async () => {
    const current = readFileSync(join(ws.dir, "main.tf"), "utf8")
      .replace('rotate_trigger = "2026-01-01"', 'rotate_trigger = "2026-01-01"\n  on_remove = "delete"')
      .replace('name   = "e2e-imported"', 'name   = "e2e-imported"\n  on_remove = "orphan"');
    ws.write(`${current}
resource "tokenform_token" "retired" {
  name = "e2e-retired"
  ${fileBlock("retired")}
}
`);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    deliveredSecret("retired");
    const ids = Object.fromEntries(Object.entries(ws.stateResources()).map(([k, v]) => [k, String(v.id)]));
    // The destroy plan says what each on_remove will do, and the destroy says it again after the fact.
    const plan = await ws.ok(["plan", "-destroy", "-no-color"]);
    const flat = (text: string) => text.replace(/\n│ ?/g, " ").replace(/\s+/g, " ");
    expect(flat(plan.stdout)).toContain(
      "Token e2e-retired will be retired: disabled now, deleted after 7d by you; nothing deletes it automatically",
    );
    expect(flat(plan.stdout)).toMatch(/e2e-retired \(file \S*retired\.key.*?\) stops working on apply/);
    expect(flat(plan.stdout)).toContain(`DELETE /v1/tokens/${ids["tokenform_token.retired"]}`);
    expect(flat(plan.stdout)).toMatch(/Token e2e-\S+ will be deleted \(on_remove = "delete"\)/);
    expect(flat(plan.stdout)).toContain(
      "Token e2e-imported will be released: left in the service, no longer managed",
    );
    const destroyed = await ws.ok(["destroy", "-no-color", "-auto-approve"]);
    const after = flat(destroyed.stdout + destroyed.stderr);
    expect(after).toContain(
      "Token e2e-retired retired: disabled now, deleted after 7d by you; nothing deletes it automatically",
    );
    expect(after).toMatch(/Delete it yourself after \d{4}-\d\d-\d\dT\S+Z with DELETE \/v1\/tokens\//);
    expect(after).toMatch(/Token e2e-\S+ deleted \(on_remove = "delete"\)/);
    expect(after).toContain("Token e2e-imported released: left in the service, no longer managed");
    expect(ws.stateResources()).toEqual({});
    await expect(api.getToken(ids["tokenform_token.ci"]!)).rejects.toMatchObject({ code: "not_found" });
    const orphan = await api.getToken(ids["tokenform_token.imported"]!);
    expect(orphan.enabled).toBe(true);
    expect(orphan.labels[OWNER_LABEL]).toBeUndefined();
    const retired = await api.getToken(ids["tokenform_token.retired"]!);
    expect(retired.enabled).toBe(false);
    expect(retired.labels["tokenform.dev/retired-at"]).toBeDefined();
  });
});
