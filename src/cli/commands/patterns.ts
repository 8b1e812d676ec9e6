/**
 * `tokenform patterns github`: the GitHub secret scanning custom pattern for this installation's key
 * prefixes (the defaults, or `--prefix` for each custom one), so push protection stops a key before it is
 * committed; with a test string GitHub's pattern editor accepts.
 */
import { type Command, Option } from "commander";

export function registerPatterns(program: Command): void {
  const patterns = program
    .command("patterns")
    .description("secret scanning patterns for this installation's keys");
  patterns
    .command("github")
    .description("print the GitHub secret scanning custom pattern (push protection) for the key prefixes")
    .option(
      "--prefix <prefix...>",
      "custom key prefixes instead of the defaults (mcp_sk_, mcp_ag_, mcp_adm_)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (options: { prefix?: string[]; format: "text" | "json" }) => {
      const { DEFAULT_PREFIXES, PREFIX_PATTERN, generateToken, secretScanningPattern } = await import(
        "../../spec/token-format.js"
      );
      const prefixes = options.prefix ?? Object.values(DEFAULT_PREFIXES);
      const bad = prefixes.find((p) => !PREFIX_PATTERN.test(p));
      if (bad !== undefined) {
        const { CliError } = await import("../errors.js");
        throw new CliError(
          `invalid prefix ${JSON.stringify(bad)}`,
          2,
          "a prefix is lowercase words joined and ended by '_', e.g. acme_sk_",
        );
      }
      const pattern = secretScanningPattern(prefixes);
      // A made-up key of the first prefix: well-formed, valid checksum, issued by nobody.
      const example = generateToken(prefixes[0]!);
      if (options.format === "json") {
        process.stdout.write(
          `${JSON.stringify({ name: "tokenform API key", ...pattern, example }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(
        [
          "GitHub: Settings → Code security → Secret scanning → Custom patterns → New pattern",
          "",
          "Pattern name:   tokenform API key",
          `Secret format:  ${pattern.format}`,
          `Before secret:  ${pattern.before}`,
          `After secret:   ${pattern.after}`,
          `Test string:    ${example}   (made up; no service issued it)`,
          "",
          "Turn on push protection for the pattern so a key is stopped before it is pushed.",
          "",
        ].join("\n"),
      );
    });
}
