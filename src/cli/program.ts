/**
 * The command tree. Each command lives in `commands/<name>.ts`, declares its options and lazily imports
 * the library function it calls, so `tokenform --help` loads nothing heavy.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { withSecretScope } from "../api/secret-registry.js";
import { commands } from "./commands/index.js";
import { reportError } from "./errors.js";

/** The package version, read once from package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command("tokenform")
    .description(
      "MCP API tokens as code: declare, plan, apply and deliver the tokens your MCP servers accept.",
    )
    .version(packageVersion(), "-v, --version")
    .showHelpAfterError("(run `tokenform --help` for usage)")
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/**
 * Commands that serve until stopped. Their process is their run: they open no secret scope, because on
 * Node 20 an AsyncLocalStorage scope puts a hook on every promise of the process (measured: the awaited
 * verify path about a quarter slower), and their process registry is bounded all the same.
 */
const SERVERS = new Set(["serve", "gateway"]);

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. One command is one run:
 * the secrets it handles are masked by value in its output and forgotten with it (src/api/secret-registry.ts).
 */
export function main(argv: string[]): Promise<number> {
  const command = argv.find((arg) => !arg.startsWith("-"));
  return command !== undefined && SERVERS.has(command)
    ? runCommand(argv)
    : withSecretScope(() => runCommand(argv));
}

async function runCommand(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}
