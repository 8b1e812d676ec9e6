/** `tokenform pickup` (a holder takes their keys into their MCP clients) and `tokenform approve CODE`. */
import type { Command } from "commander";
import { apiUrlArgument } from "../options.js";

export function registerPickup(program: Command): void {
  program
    .command("pickup")
    .description(
      "pick up the keys waiting for you into your MCP clients' configurations (an admin approves the code shown)",
    )
    .requiredOption("--holder <name>", "who you are, as the spec's holder names you (e.g. alice@example.com)")
    .option("--url <url>", "the token service (default: TOKENFORM_API_URL, else the one logged in to last)")
    .option(
      "--account <name>",
      "the account your keys are in, when no key of yours is sent (default: the first)",
    )
    .option(
      "--env-reference",
      "write ${env:NAME} into Cursor, VS Code and Windsurf configurations and print the key once, instead of writing it",
    )
    .addHelpText(
      "after",
      "\nEach key is written into the client the spec names (Cursor ~/.cursor/mcp.json, VS Code's user mcp.json,\n" +
        "Windsurf ~/.codeium/windsurf/mcp_config.json, Claude Desktop's claude_desktop_config.json), keeping\n" +
        "everything else in the file, mode 0600; a file git would track is refused. Your own key (tokenform\n" +
        "login, or TOKENFORM_API_TOKEN) is sent along: when it is a key of yours, no approval is needed.\n" +
        "Example: tokenform pickup --holder alice@example.com --url https://tokens.example.com",
    )
    .action(async (options: { holder: string; url?: string; account?: string; envReference?: boolean }) => {
      const { runPickup } = await import("../run/pickup.js");
      process.exitCode = await runPickup(options);
    });
  program
    .command("approve")
    .description("approve a holder's pickup code: their next poll receives their waiting keys, once")
    .argument("<code>", "the code the holder's tokenform pickup shows, e.g. WDJB-MJHT")
    .option(
      "--embedded",
      "use the embedded token service (.tokenform/tokenform.db) even if TOKENFORM_API_URL is set",
    )
    .option(
      "--api-url <url>",
      "management API URL (default: TOKENFORM_API_URL, else the one logged in to, else the embedded service)",
      apiUrlArgument,
    )
    .option("--auto-approve", "approve without asking (needed when not run in a terminal)")
    .action(async (code: string, options: { embedded?: boolean; apiUrl?: string; autoApprove?: boolean }) => {
      const { runApprove } = await import("../run/pickup.js");
      process.exitCode = await runApprove({ code, ...options });
    });
}
