/**
 * `tokenform provider install`: puts the provider executable into a Terraform filesystem mirror in the
 * unpacked layout (`registry.terraform.io/tokenform/tokenform/<version>/<os>_<arch>/
 * terraform-provider-tokenform_v<version>`, mode 0755) and returns the CLI configuration that points
 * Terraform at it, so `terraform init` works with no registry.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PROVIDER_ADDRESS } from "./schema.js";
import { providerVersion } from "./version.js";

/** Terraform's implied local mirror on Unix: used without any CLI configuration. */
export function defaultMirrorDir(): string {
  return join(homedir(), ".terraform.d", "plugins");
}

/** Terraform's platform name for this machine, e.g. `linux_amd64`. */
export function terraformPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): string {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
  return `${os}_${cpu}`;
}

export interface InstallOptions {
  /** The mirror directory (default: Terraform's implied mirror, ~/.terraform.d/plugins). */
  dir?: string;
  /** The provider executable to install (a built bundle). */
  bundle: string;
  /** Version to install as (default: the package version). */
  version?: string;
}

export interface InstallResult {
  /** Where the executable now is. */
  path: string;
  /** The mirror directory (absolute). */
  mirror: string;
  version: string;
  /** A Terraform CLI configuration (for TF_CLI_CONFIG_FILE or ~/.terraformrc) that uses the mirror. */
  cliConfig: string;
}

/** The CLI configuration that installs tokenform from `mirror` and every other provider as usual. */
export function cliConfigFor(mirror: string): string {
  return [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${JSON.stringify(PROVIDER_ADDRESS)}]`,
    "  }",
    "  direct {",
    `    exclude = [${JSON.stringify(PROVIDER_ADDRESS)}]`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Copies the executable into the mirror layout (atomically: a running Terraform never sees half a file). */
export function installProvider(options: InstallOptions): InstallResult {
  if (!existsSync(options.bundle)) throw new Error(`no provider executable at ${options.bundle}`);
  const version = options.version ?? providerVersion();
  const mirror = resolve(options.dir ?? defaultMirrorDir());
  const target = join(
    mirror,
    ...PROVIDER_ADDRESS.split("/"),
    version,
    terraformPlatform(),
    `terraform-provider-tokenform_v${version}`,
  );
  mkdirSync(dirname(target), { recursive: true });
  // Node reads `_v0.1.0` as a file extension, which it refuses in an ES-module package ("type": "module");
  // this package.json makes the executable CommonJS wherever the mirror (or .terraform) lives.
  writeFileSync(join(dirname(target), "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
  const temp = `${target}.tmp-${process.pid}`;
  copyFileSync(options.bundle, temp);
  chmodSync(temp, 0o755);
  renameSync(temp, target);
  return { path: target, mirror, version, cliConfig: cliConfigFor(mirror) };
}
