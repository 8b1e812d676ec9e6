/**
 * `tokenform validate [paths…]`: checks TokenSet specs and prints every problem at once, with file, line
 * and column, as text with code frames, JSON, or GitHub annotations. Exit 0 when valid (warnings allowed),
 * 1 when not. The spec library does the work; this module only parses options and prints.
 */
import { existsSync } from "node:fs";
import { type Command, Option } from "commander";
import { maskSecrets } from "../../api/secret.js";
import { CliError } from "../errors.js";

/** Where specs live when no path is given. */
export const DEFAULT_SPEC_DIR = "tokens";

/** Options of `tokenform validate`. */
export interface ValidateCommandOptions {
  format: "text" | "json" | "github";
  /** `false` with `--no-color`. */
  color?: boolean;
}

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check TokenSet specs: every problem with file, line and column; exit 1 when invalid")
    .argument("[paths...]", `spec files or directories (default: ${DEFAULT_SPEC_DIR}/)`)
    .addOption(
      new Option("--format <format>", "output format (github: workflow annotations)")
        .choices(["text", "json", "github"])
        .default("text"),
    )
    .option("--no-color", "no ANSI colours")
    .action(async (paths: string[], options: ValidateCommandOptions) => {
      process.exitCode = await runValidate(paths, options);
    });
}

/** Runs the command and returns the exit code; output goes to `stdout`. */
export async function runValidate(
  paths: string[],
  options: ValidateCommandOptions,
  output: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): Promise<number> {
  // Diagnostics quote what they were given (a path, a value): nothing shaped like a key leaves unmasked.
  const stdout = { isTTY: output.isTTY, write: (text: string) => output.write(maskSecrets(text)) };
  const targets = paths.length > 0 ? paths : defaultPaths();
  const { loadTokenSet, renderDiagnostics, renderSummary, specReport } = await import("../../spec/index.js");
  const result = await loadTokenSet(targets);
  const valid = !result.diagnostics.some((d) => d.severity === "error");
  switch (options.format) {
    case "json":
      stdout.write(`${JSON.stringify(specReport(result), null, 2)}\n`);
      break;
    case "github":
      stdout.write(renderDiagnostics(result.diagnostics, { format: "github" }));
      stdout.write(renderSummary(result));
      break;
    default: {
      const color = options.color !== false && Boolean(stdout.isTTY) && !process.env.NO_COLOR;
      const text = renderDiagnostics(result.diagnostics, { format: "text", color, sources: result.sources });
      if (text) stdout.write(`${text}\n`);
      stdout.write(renderSummary(result, { color }));
    }
  }
  return valid ? 0 : 1;
}

function defaultPaths(): string[] {
  if (existsSync(DEFAULT_SPEC_DIR)) return [DEFAULT_SPEC_DIR];
  throw new CliError(
    `no spec paths given and there is no ${DEFAULT_SPEC_DIR}/ directory here`,
    1,
    "pass spec files or directories, e.g. `tokenform validate examples/tokens.yaml`",
  );
}
