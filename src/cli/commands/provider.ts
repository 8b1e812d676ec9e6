/**
 * `tokenform provider install [--dir DIR]` and `tokenform provider schema`: the Terraform provider's
 * packaging commands. Both run the provider executable itself (`provider/dist/terraform-provider-tokenform`,
 * which knows how to install itself and print its schema), building it first from a source checkout when
 * it is missing — so the CLI never loads the provider's code and the schema has one source.
 */
import type { Command } from "commander";

/** The bundle, relative to the package root (the same from `src/cli/commands` and `dist/cli/commands`). */
const BUNDLE = "provider/dist/terraform-provider-tokenform";

/** Runs the provider executable with `args` (stdio inherited); builds it first when missing or asked to. */
async function runProviderExecutable(args: string[], rebuild: boolean): Promise<number> {
  const { existsSync } = await import("node:fs");
  const { spawnSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const { CliError } = await import("../errors.js");
  const root = new URL("../../../", import.meta.url);
  const bundle = fileURLToPath(new URL(BUNDLE, root));
  if (rebuild || !existsSync(bundle)) {
    // provider/build.ts exists in source checkouts (run with tsx); the specifier is computed so the CLI's
    // own compilation does not pull the provider's sources in.
    const buildScript = new URL("provider/build.ts", root).href;
    let build: { buildProvider(): Promise<string> };
    try {
      build = (await import(buildScript)) as typeof build;
    } catch {
      throw new CliError(
        `the provider executable is not built (${BUNDLE})`,
        1,
        "run `npm run build:provider` in a tokenform source checkout, then try again",
      );
    }
    process.stderr.write("Building the provider executable…\n");
    await build.buildProvider();
  }
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
