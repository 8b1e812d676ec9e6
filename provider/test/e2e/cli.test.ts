/**
 * `tokenform provider schema` and `tokenform provider install --dir` through the real CLI entry point:
 * the schema printed is the provider's own, and install lays the executable out as Terraform's filesystem
 * mirror expects and prints a CLI configuration that points at it. The compiled CLI (what `npx tokenform`
 * runs in a checkout) builds the missing executable from the provider's sources, and says what to do when
 * there are none.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compiledPackage } from "../../../test/support/compiled-cli.js";
import { terraformPlatform } from "../../src/install.js";
import { providersSchemaJson } from "../../src/schema.js";
import { providerVersion } from "../../src/version.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tokenform-cli-install-"));

function tokenform(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/index.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tokenform provider", () => {
  it("schema prints the schema the provider serves, in `terraform providers schema -json` format", () => {
    const r = tokenform(["provider", "schema"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(providersSchemaJson(providerVersion()));
  });

  it("install --dir lays out a filesystem mirror and prints the CLI configuration for it", () => {
    const mirror = join(dir, "mirror");
    const r = tokenform(["provider", "install", "--dir", mirror]);
    expect(r.status, r.stderr).toBe(0);
    const version = providerVersion();
    const target = join(
      mirror,
      "registry.terraform.io/tokenform/tokenform",
      version,
      terraformPlatform(),
      `terraform-provider-tokenform_v${version}`,
    );
    expect(existsSync(target)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readFileSync(target, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(JSON.parse(readFileSync(join(target, "..", "package.json"), "utf8"))).toEqual({
      type: "commonjs",
    });
    expect(r.stdout).toContain(`path    = ${JSON.stringify(mirror)}`);
    expect(r.stdout).toContain('include = ["registry.terraform.io/tokenform/tokenform"]');
    expect(r.stdout).toContain('exclude = ["registry.terraform.io/tokenform/tokenform"]');
    expect(r.stdout).toContain("terraform init -upgrade");
  });
});

describe("tokenform provider from the compiled CLI", () => {
  it("builds the missing executable from a source checkout, then installs it", async () => {
    const pkg = await compiledPackage({ providerSources: true });
    try {
      const bundle = join(pkg.root, "provider/dist/terraform-provider-tokenform");
      expect(existsSync(bundle)).toBe(false);
      // schema first: the build's own output must not reach stdout, which holds only the JSON.
      const schema = pkg.run(["provider", "schema"]);
      expect(schema.status, schema.stderr).toBe(0);
      expect(schema.stderr).toContain(
        "Building the provider executable (provider/dist/terraform-provider-tokenform)",
      );
      expect(JSON.parse(schema.stdout)).toEqual(providersSchemaJson(providerVersion()));
      expect(existsSync(bundle)).toBe(true);

      const mirror = join(pkg.root, "mirror");
      const install = pkg.run(["provider", "install", "--dir", mirror]);
      expect(install.status, install.stderr).toBe(0);
      expect(install.stderr).toBe("");
      expect(install.stdout).toContain(`path    = ${JSON.stringify(mirror)}`);
    } finally {
      pkg.remove();
    }
  }, 300_000);

  it("says what to do when there is neither an executable nor sources to build it from", async () => {
    const pkg = await compiledPackage();
    try {
      const r = pkg.run(["provider", "install", "--dir", join(pkg.root, "mirror")]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        "Error: the provider executable (provider/dist/terraform-provider-tokenform) is missing from this installation, and there are no provider sources to build it from\n" +
          "Hint: reinstall tokenform (the published package includes the executable), or run this from a tokenform source checkout\n",
      );
    } finally {
      pkg.remove();
    }
  }, 120_000);
});
