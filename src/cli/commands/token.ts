/** `tokenform token generate`: print a fresh, valid token (e.g. a bootstrap admin key for `serve`). */
import { type Command, Option } from "commander";

export function registerToken(program: Command): void {
  const token = program.command("token").description("work with raw tokens offline");
  token
    .command("generate")
    .description("print a freshly generated token with a valid checksum (nothing is stored anywhere)")
    .addOption(new Option("--type <type>", "token type").choices(["mcp", "agent", "admin"]).default("mcp"))
    .option("--prefix <prefix>", "custom prefix instead of the type's default (e.g. acme_adm_)")
    .action(async (options: { type: "mcp" | "agent" | "admin"; prefix?: string }) => {
      const { DEFAULT_PREFIXES, PREFIX_PATTERN, generateToken } = await import("../../spec/token-format.js");
      const prefix = options.prefix ?? DEFAULT_PREFIXES[options.type];
      if (!PREFIX_PATTERN.test(prefix)) {
        const { CliError } = await import("../errors.js");
        throw new CliError(
          `invalid prefix ${JSON.stringify(prefix)}`,
          1,
          "a prefix is lowercase words joined and ended by '_', e.g. acme_adm_",
        );
      }
      process.stdout.write(`${generateToken(prefix)}\n`);
    });
}
