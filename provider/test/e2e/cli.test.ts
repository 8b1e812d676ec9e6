/**
 * `tokenform provider schema` and `tokenform provider install --dir` through the real CLI entry point:
 * the schema printed is the provider's own, and install lays the executable out as Terraform's filesystem
 * mirror expects and prints a CLI configuration that points at it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
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
