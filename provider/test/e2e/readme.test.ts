/**
 * The README's Terraform example, exactly as written, under the real terraform against the real token
 * service: init from the mirror, apply (the file destination under a temporary HOME), a no-change plan,
 * the data source output, destroy — and the secret nowhere but in the delivered file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { fingerprintOf } from "../../../src/api/secret.js";
import { startService } from "../../../src/service/index.js";
import { providerBundle } from "../support/bundle.js";
import { requireTerraform, TerraformWorkspace } from "../support/terraform.js";

/** The first ```hcl block of the README's "## Terraform" section. */
function readmeExample(): string {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("\n## Terraform\n"));
  const match = /```hcl\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README.md has no HCL example in its Terraform section");
  return match[1]!;
}

let service: Awaited<ReturnType<typeof startService>>;
let ws: TerraformWorkspace;
let home: string;
let serviceDir: string;

beforeAll(async () => {
  requireTerraform();
  serviceDir = mkdtempSync(join(tmpdir(), "tokenform-readme-service-"));
  home = mkdtempSync(join(tmpdir(), "tokenform-readme-home-"));
  service = await startService({ dbPath: join(serviceDir, "tokens.db"), port: 0 });
  ws = new TerraformWorkspace(await providerBundle(), {
    HOME: home,
    TOKENFORM_API_URL: service.url,
    TOKENFORM_API_TOKEN: service.adminToken.reveal(),
  });
  ws.install();
}, 180_000);

afterAll(async () => {
  await service?.close();
  ws?.remove();
  rmSync(home, { recursive: true, force: true });
  rmSync(serviceDir, { recursive: true, force: true });
});

describe("README Terraform example", () => {
  it("applies, plans clean, reads the data source and destroys", async () => {
    ws.write(readmeExample());
    await ws.ok(["init", "-no-color"]);
    await ws.ok(["apply", "-no-color", "-auto-approve"]);
    const delivered = readFileSync(join(home, ".config/tokenform/backend.env"), "utf8");
    const secret = /^BACKEND_CI_PIPELINE=(\S+)$/m.exec(delivered)?.[1];
    expect(secret).toMatch(/^mcp_sk_/);
    const state = ws.stateResources()["tokenform_token.backend_ci"]!;
    expect(state.fingerprint).toBe(fingerprintOf(secret!));
    const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    expect((await api.getToken(String(state.id))).labels["tokenform.dev/owner"]).toBe("acme/platform-infra");

    const again = await ws.run(["plan", "-no-color", "-detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);
    const outputs = JSON.parse((await ws.ok(["output", "-json", "-no-color"])).stdout) as Record<
      string,
      { value: unknown }
    >;
    expect(outputs.backend_tokens!.value).toEqual([{ name: "backend-ci-pipeline", requests: 0 }]);
    await ws.ok(["destroy", "-no-color", "-auto-approve"]);
    expect((await api.getToken(String(state.id))).enabled).toBe(false);

    for (const text of [ws.stateText(), ...ws.transcript]) expect(text.includes(secret!)).toBe(false);
  });
});
