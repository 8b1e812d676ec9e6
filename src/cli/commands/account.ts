/** `tokenform account show|set-rate-limit`: the caller's account settings in the token service. */
import { type Command, InvalidArgumentError } from "commander";
import { apiUrlArgument } from "../options.js";

const connection = (command: Command) =>
  command
    .option(
      "--embedded",
      "use the embedded token service (.tokenform/tokenform.db) even if TOKENFORM_API_URL is set",
    )
    .option(
      "--api-url <url>",
      "management API URL (default: TOKENFORM_API_URL, else the embedded service)",
      apiUrlArgument,
    );

/** `<limit>`: a whole number of requests per hour, `unlimited`, or `default` (the server's). */
function limitArgument(value: string): number | "unlimited" | null {
  if (value === "unlimited") return "unlimited";
  if (value === "default") return null;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number.isSafeInteger(Number(value))) return Number(value);
  throw new InvalidArgumentError(
    'Not a limit: write a whole number of requests per hour, "unlimited" or "default"',
  );
}

export function registerAccount(program: Command): void {
  const account = program
    .command("account")
    .description("show or change your account's settings in the token service");
  connection(
    account.command("show").description("the account of your admin key and its hourly rate limit"),
  ).action(async (options: { embedded?: boolean; apiUrl?: string }) => {
    const { runAccount } = await import("../run/account.js");
    process.exitCode = await runAccount(options);
  });
  connection(
    account
      .command("set-rate-limit")
      .description(
        "requests per hour all the account's keys may make together (needs an admin key with tokens:*)",
      )
      .argument("<limit>", 'a number, "unlimited", or "default" for the server\'s default', limitArgument),
  ).action(async (perHour: number | "unlimited" | null, options: { embedded?: boolean; apiUrl?: string }) => {
    const { runAccount } = await import("../run/account.js");
    process.exitCode = await runAccount({ ...options, perHour });
  });
}
