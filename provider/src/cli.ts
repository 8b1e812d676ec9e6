/**
 * What the provider executable does when a person (not Terraform) runs it:
 * - `terraform-provider-tokenform schema` prints the schema as `terraform providers schema -json` would;
 * - `terraform-provider-tokenform install [--dir DIR]` copies itself into a filesystem mirror and prints
 *   the Terraform CLI configuration that uses it.
 * `tokenform provider schema|install` runs these, so the bundle alone is enough to install the provider.
 */
import { cliConfigFor, defaultMirrorDir, installProvider } from "./install.js";
import { providersSchemaJson } from "./schema.js";
import { providerVersion } from "./version.js";

/** Runs a person-facing mode; returns the exit code, or undefined when `argv` names none. */
export function runCliMode(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; self: string },
): number | undefined {
  const [mode, ...rest] = argv;
  if (mode === "schema") {
    io.stdout.write(`${JSON.stringify(providersSchemaJson(providerVersion()), null, 2)}\n`);
    return 0;
  }
  if (mode === "install") {
    let dir: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i]!;
      if (arg === "--dir" && rest[i + 1] !== undefined) dir = rest[++i];
      else if (arg.startsWith("--dir=")) dir = arg.slice("--dir=".length);
      else {
        io.stderr.write(`unknown argument ${JSON.stringify(arg)}; usage: install [--dir DIR]\n`);
        return 2;
      }
    }
    const result = installProvider({ bundle: io.self, ...(dir ? { dir } : {}) });
    io.stdout.write(installReport(result.path, result.mirror, result.version, dir === undefined));
    return 0;
  }
  return undefined;
}

/** What `install` prints: where it went and how to point Terraform at it. */
export function installReport(path: string, mirror: string, version: string, implied: boolean): string {
  const lines = [
    `Installed registry.terraform.io/tokenform/tokenform ${version}`,
    `  ${path}`,
    "",
    implied && mirror === defaultMirrorDir()
      ? "This is Terraform's implied local mirror: `terraform init` finds the provider there when your CLI configuration has no provider_installation block. To be explicit (or with TF_CLI_CONFIG_FILE), use:"
      : "Point Terraform at this mirror with a CLI configuration file (export TF_CLI_CONFIG_FILE=<file>, or ~/.terraformrc) containing:",
    "",
    cliConfigFor(mirror).trimEnd(),
    "",
    "Use the fully qualified source in required_providers (OpenTofu resolves a bare tokenform/tokenform to its own registry):",
    '  tokenform = { source = "registry.terraform.io/tokenform/tokenform" }',
    "Each rebuild changes the provider's checksum: run `terraform init -upgrade` after reinstalling.",
    "",
  ];
  return lines.join("\n");
}
