/** `tokenform login`, `logout`, `whoami`: an admin key stored per service URL for the other commands. */
import type { Command } from "commander";

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description(
      "store an admin key for a token service (read from stdin; used by every command after flags and environment)",
    )
    .option("--url <url>", "the token service (default: TOKENFORM_API_URL)")
    .option("--token <key>", "the admin key (prefer stdin: a flag can end up in shell history)")
    .addHelpText(
      "after",
      "\nThe key is checked with the service, then stored in $XDG_CONFIG_HOME/tokenform/credentials.json\n" +
        "(default ~/.config/tokenform/credentials.json), mode 0600. It is never printed.\n" +
        "Example: tokenform login --url https://tokens.example.com < admin-key.txt",
    )
    .action(async (options: { url?: string; token?: string }) => {
      const { runLogin } = await import("../run/login.js");
      process.exitCode = await runLogin(options);
    });
  program
    .command("logout")
    .description("forget the stored admin key of a token service (default: the one logged in to last)")
    .option("--url <url>", "the token service")
    .action(async (options: { url?: string }) => {
      const { runLogout } = await import("../run/login.js");
      process.exitCode = await runLogout(options);
    });
  program
    .command("whoami")
    .description("show the admin key in use: name, type, account, scopes, expiry (exit 1 when refused)")
    .option("--url <url>", "the token service (default: TOKENFORM_API_URL, else the one logged in to last)")
    .action(async (options: { url?: string }) => {
      const { runWhoami } = await import("../run/login.js");
      process.exitCode = await runWhoami(options);
    });
}
