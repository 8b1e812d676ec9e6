/**
 * Who holds what, under the real Terraform binary against the real token service: a rename keeps the
 * token, its secret and its file variable; a name or a destination another owner holds is a plan error
 * naming the holder (nothing created, nothing written); `adopt = true` takes a token over, shown in the
 * plan; `terraform import` of another owner's token is refused naming the owner, and adoption through
 * import needs the `adopt:` id and `adopt = true` — with the legacy command and with an import block.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { OWNER_LABEL } from "../../../src/api/schemas.js";
import { fingerprintOf } from "../../../src/api/secret.js";
import { startService } from "../../../src/service/index.js";
import { claimId } from "../../../src/spec/resolved.js";
import { providerBundle } from "../support/bundle.js";
import { providerHeader, requireTerraform, TerraformWorkspace } from "../support/terraform.js";

const OWNER = "e2e/terraform";
const OTHER = "acme/cli-team";

let service: Awaited<ReturnType<typeof startService>>;
let api: TokenformClient;
let ws: TerraformWorkspace;
let out: string;
let dir: string | undefined;
const secrets = new Set<string>();

const header = providerHeader(OWNER);

beforeAll(async () => {
  requireTerraform();
  dir = mkdtempSync(join(tmpdir(), "tokenform-e2e-owners-"));
  service = await startService({ dbPath: join(dir, "tokens.db"), port: 0 });
  api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  ws = new TerraformWorkspace(await providerBundle(), {
    TOKENFORM_API_URL: service.url,
    TOKENFORM_API_TOKEN: service.adminToken.reveal(),
    // Deliveries to GitHub would go here; no test below gets that far (the plan refuses first).
    GITHUB_TOKEN: "ghp_test_not_a_real_token",
    GITHUB_API_URL: "http://127.0.0.1:9",
  });
  out = ws.subdir("out");
  ws.install();
  ws.write(header);
  await ws.ok(["init", "-no-color"]);
}, 180_000);

afterAll(async () => {
  await service?.close();
  ws?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  const haystacks = { state: ws.stateText(), output: ws.transcript.join("\n") };
  for (const secret of secrets) {
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text.includes(secret), `a secret appeared in ${where}`).toBe(false);
    }
  }
});

/** A token another configuration (the CLI of team OTHER) manages, created through the API. */
async function othersToken(name: string, destinations: string[] = [], owner: string | null = OTHER) {
  const issued = await api.createToken({
    name,
    type: "mcp",
    scopes: ["contexts:read"],
    labels: owner === null ? {} : { [OWNER_LABEL]: owner },
    destinations,
  });
  secrets.add(issued.secret.reveal());
  return issued;
}

/** The env file's variables. */
function envFile(path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) vars[line.slice(0, at)] = line.slice(at + 1);
  }
  for (const v of Object.values(vars)) secrets.add(v);
  return vars;
}

/** Runs a plan of `hcl`; stdout and stderr with Terraform's line wrapping undone. */
async function plan(hcl: string) {
  ws.write(header + hcl);
  const r = await ws.run(["plan", "-no-color", "-detailed-exitcode"]);
  return { code: r.code, stdout: unwrap(r.stdout), stderr: unwrap(r.stderr) };
}

function unwrap(text: string): string {
  return text.replace(/[ \t]*\n[ \t]*/g, " ");
}

describe("tokenform_token: renames, names and destinations other owners hold", () => {
  it("renames a token in place: same token, same secret, same file variable", async () => {
    const path = join(out, "editor.env");
    const resource = (name: string) => `
resource "tokenform_token" "laptop" {
  name = "${name}"
  file {
    path = "${path}"
  }
}
`;
    ws.write(header + resource("laptop-dev"));
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const before = envFile(path);
    expect(Object.keys(before)).toEqual(["LAPTOP_DEV"]);
    const created = ws.stateResources()["tokenform_token.laptop"]!;
    expect(created.file).toEqual([{ path, format: null, key: "LAPTOP_DEV" }]);

    const renamed = await plan(resource("laptop-editor"));
    expect(renamed.code).toBe(2);
    expect(renamed.stdout).toContain("update in-place");
    expect(renamed.stdout).toMatch(/~ name\s+= "laptop-dev" -> "laptop-editor"/);
    // Nothing about the secret or the variable changes.
    expect(renamed.stdout).not.toMatch(/fingerprint|generation|LAPTOP_EDITOR/);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);

    const after = ws.stateResources()["tokenform_token.laptop"]!;
    expect(after.id).toBe(created.id);
    expect(after.fingerprint).toBe(created.fingerprint);
    expect(after.generation).toBe(1);
    expect(envFile(path)).toEqual(before);
    expect(fingerprintOf(before.LAPTOP_DEV!)).toBe(after.fingerprint);
    const token = await api.getToken(String(after.id));
    expect(token.name).toBe("laptop-editor");
    expect(token.destinations).toEqual([
      claimId({ kind: "file", path, format: "env", key: "LAPTOP_DEV" }, hostname()),
    ]);
    expect((await plan(resource("laptop-editor"))).code).toBe(0);
    ws.write(header);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
  });

  it("refuses a name another owner (or no configuration) holds, naming the holder, and creates nothing", async () => {
    const held = await othersToken("shared-ci");
    const unmanaged = await othersToken("hand-made", [], null);
    const r = await plan(`
resource "tokenform_token" "ci" {
  name = "shared-ci"
}

resource "tokenform_token" "manual" {
  name = "hand-made"
}
`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/A token named shared-ci already exists \(owner acme\/cli-team\)/);
    expect(r.stderr).toMatch(/held by token shared-ci \(owner acme\/cli-team\)/);
    expect(r.stderr).toMatch(/held by token hand-made \(not managed by tokenform\)/);
    expect(r.stderr).toMatch(/adopt = true/);
    expect((await api.getToken(held.token.id)).labels[OWNER_LABEL]).toBe(OTHER);
    expect((await api.getToken(unmanaged.token.id)).labels[OWNER_LABEL]).toBeUndefined();
    expect(ws.stateResources()).toEqual({});
  });

  it("adopts a token by name with adopt = true: same id, this owner, secret delivered where it was missing", async () => {
    const held = await othersToken("adopt-me");
    const path = join(out, "adopt.key");
    const hcl = `
resource "tokenform_token" "adopted" {
  name   = "adopt-me"
  adopt  = true
  scopes = ["contexts:read"]
  file {
    path   = "${path}"
    format = "raw"
  }
}
`;
    const r = await plan(hcl);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Token adopt-me will be adopted \(owner acme\/cli-team\)/);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const state = ws.stateResources()["tokenform_token.adopted"]!;
    expect(state.id).toBe(held.token.id);
    expect(state.owner).toBe(OWNER);
    const token = await api.getToken(held.token.id);
    expect(token.labels[OWNER_LABEL]).toBe(OWNER);
    const secret = readFileSync(path, "utf8").trim();
    secrets.add(secret);
    expect(fingerprintOf(secret)).toBe(token.fingerprint);
    expect((await plan(hcl)).code).toBe(0);
    ws.write(header);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
  });

  it("refuses a destination another owner's token holds, before writing anything", async () => {
    const path = join(out, "held.env");
    const file = { kind: "file" as const, path, format: "env" as const, key: "MCP_KEY" };
    const github = {
      kind: "github" as const,
      repository: "acme/backend",
      secret: "MCP_API_KEY",
    };
    const holder = await othersToken("cli-managed", [
      claimId(file, hostname()),
      claimId(github as Parameters<typeof claimId>[0], hostname()),
    ]);
    const r = await plan(`
resource "tokenform_token" "mine" {
  name = "tf-managed"
  github_secret {
    repository = "acme/backend"
    secret     = "MCP_API_KEY"
  }
  file {
    path = "${path}"
    key  = "MCP_KEY"
  }
}
`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /GitHub acme\/backend secret MCP_API_KEY is held by token cli-managed \(owner acme\/cli-team\)/,
    );
    expect(r.stderr).toMatch(
      /File .*held\.env \(MCP_KEY\) is held by token cli-managed \(owner acme\/cli-team\)/,
    );
    expect(r.stderr).toContain('in resource "tokenform_token" "mine"');
    expect(existsSync(path)).toBe(false);
    expect((await api.getToken(holder.token.id)).destinations).toHaveLength(2);
    expect((await api.listAllTokens()).some((t) => t.name === "tf-managed")).toBe(false);
  });

  it("refuses terraform import of another owner's token; imports it for adoption with adopt: and adopt = true", async () => {
    const held = await othersToken("import-me");
    const hcl = (adopt: boolean) => `
resource "tokenform_token" "imported" {
  name   = "import-me"
  scopes = ["contexts:read"]${adopt ? "\n  adopt  = true" : ""}
}
`;
    ws.write(header + hcl(false));
    const refused = await ws.run(["import", "-no-color", "tokenform_token.imported", held.token.id]);
    expect(refused.code).toBe(1);
    expect(unwrap(refused.stderr)).toMatch(/Token import-me belongs to owner acme\/cli-team/);
    expect(refused.stderr).toContain(`adopt:${held.token.id}`);
    expect(ws.stateResources()["tokenform_token.imported"]).toBeUndefined();
    expect((await api.getToken(held.token.id)).labels[OWNER_LABEL]).toBe(OTHER);

    const imported = await ws.ok([
      "import",
      "-no-color",
      "tokenform_token.imported",
      `adopt:${held.token.id}`,
    ]);
    expect(imported.stdout).toContain("Import successful");
    expect(ws.stateResources()["tokenform_token.imported"]).toMatchObject({
      id: held.token.id,
      owner: OTHER,
    });
    // Imported, not yet taken: without adopt = true every plan refuses, naming the owner.
    const unconfirmed = await plan(hcl(false));
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toMatch(/Token import-me belongs to owner acme\/cli-team/);
    expect((await api.getToken(held.token.id)).labels[OWNER_LABEL]).toBe(OTHER);

    const adopting = await plan(hcl(true));
    expect(adopting.code).toBe(2);
    expect(adopting.stdout).toMatch(/~ owner\s+= "acme\/cli-team" -> "e2e\/terraform"/);
    expect(adopting.stdout).toMatch(/will be adopted from owner acme\/cli-team/);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const token = await api.getToken(held.token.id);
    expect(token.labels[OWNER_LABEL]).toBe(OWNER);
    expect(token.fingerprint).toBe(held.token.fingerprint);
    expect((await plan(hcl(true))).code).toBe(0);
    ws.write(header);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
  });

  it("adopts through an import block only with the adopt: id and adopt = true", async () => {
    const held = await othersToken("block-import");
    const hcl = (id: string) => `
import {
  to = tokenform_token.blocked
  id = "${id}"
}

resource "tokenform_token" "blocked" {
  name   = "block-import"
  scopes = ["contexts:read"]
  adopt  = true
}
`;
    const plain = await plan(hcl(held.token.id));
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/belongs to owner acme\/cli-team/);
    const adopting = await plan(hcl(`adopt:${held.token.id}`));
    expect(adopting.code).toBe(2);
    expect(adopting.stdout).toContain(`(imported from "adopt:${held.token.id}")`);
    expect(adopting.stdout).toMatch(/~ owner\s+= "acme\/cli-team" -> "e2e\/terraform"/);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    expect((await api.getToken(held.token.id)).labels[OWNER_LABEL]).toBe(OWNER);
    writeFileSync(join(ws.dir, "main.tf"), header);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
  });
});
