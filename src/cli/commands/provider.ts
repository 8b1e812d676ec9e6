/**
 * `tokenform provider install [--dir DIR]` and `tokenform provider schema`: the Terraform provider's
 * packaging commands. Both run the provider executable itself (`provider/dist/terraform-provider-tokenform`,
 * which knows how to install itself and print its schema), building it first from a source checkout when
 * it is missing — so the CLI never loads the provider's code and the schema has one source.
 */
import type { Command } from "commander";

/** The bundle, relative to the package root (the same from `src/cli/commands` and `dist/cli/commands`). */
const BUNDLE = "provider/dist/terraform-provider-tokenform";

/**
 * Builds the provider executable from a source checkout: runs `provider/build.ts` (what `npm run
 * build:provider` runs) with the checkout's tsx in a child process — the compiled CLI cannot import
 * TypeScript itself. The build's own output goes to stderr, so `provider schema` keeps stdout clean.
 */
async function buildFromSources(root: URL): Promise<void> {
  const { existsSync } = await import("node:fs");
  const { spawnSync } = await import("node:child_process");
  const { createRequire } = await import("node:module");
  const { fileURLToPath } = await import("node:url");
  const { CliError } = await import("../errors.js");
  const rootDir = fileURLToPath(root);
  const buildScript = fileURLToPath(new URL("provider/build.ts", root));
  if (!existsSync(buildScript)) {
    throw new CliError(
      `the provider executable (${BUNDLE}) is missing from this installation, and there are no provider sources to build it from`,
      1,
      "reinstall tokenform (the published package includes the executable), or run this from a tokenform source checkout",
    );
  }
  let tsxCli: string;
  try {
    tsxCli = createRequire(new URL("package.json", root)).resolve("tsx/cli");
  } catch {
    throw new CliError(
      `the provider executable (${BUNDLE}) is not built, and building it needs the development dependencies (tsx, esbuild)`,
      1,
      `run \`npm install\` in ${rootDir}, then try again`,
    );
  }
  process.stderr.write(`Building the provider executable (${BUNDLE})…\n`);
  const result = spawnSync(process.execPath, [tsxCli, buildScript], {
    cwd: rootDir,
    stdio: ["ignore", 2, 2],
  });
  if (result.error || result.status !== 0 || !existsSync(fileURLToPath(new URL(BUNDLE, root)))) {
    throw new CliError(
      `building the provider executable failed (${result.error?.message ?? `exit code ${result.status ?? result.signal}`})`,
      1,
      `run \`npm run build:provider\` in ${rootDir} to see why`,
    );
  }
}

/** Runs the provider executable with `args` (stdio inherited); builds it first when missing or asked to. */
async function runProviderExecutable(args: string[], rebuild: boolean): Promise<number> {
  const { existsSync } = await import("node:fs");
  const { spawnSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const root = new URL("../../../", import.meta.url);
  const bundle = fileURLToPath(new URL(BUNDLE, root));
  if (rebuild || !existsSync(bundle)) await buildFromSources(root);
  const result = spawnSync(process.execPath, [bundle, ...args], { stdio: "inherit" });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

export function registerProvider(program: Command): void {
  const provider = program
    .command("provider")
    .description("the Terraform provider: install it, print its schema");
  provider
    .command("install")
    .description(
      "install the provider into a Terraform filesystem mirror and print the CLI configuration for it",
    )
    .option("--dir <dir>", "mirror directory (default: ~/.terraform.d/plugins, Terraform's implied mirror)")
    .option("--rebuild", "rebuild the provider executable first (source checkouts)")
    .action(async (options: { dir?: string; rebuild?: boolean }) => {
      process.exitCode = await runProviderExecutable(
        ["install", ...(options.dir ? ["--dir", options.dir] : [])],
        options.rebuild === true,
      );
    });
  provider
    .command("schema")
    .description("print the provider schema in the format of `terraform providers schema -json`")
    .action(async () => {
      process.exitCode = await runProviderExecutable(["schema"], false);
    });
}
