/** `tokenform admin create`: mint an admin key directly in the token service's database (operators). */
import type { Command } from "commander";

export function registerAdmin(program: Command): void {
  const admin = program.command("admin").description("operate on the token service's database directly");
  admin
    .command("create")
    .description(
      "mint an admin key in the database (when no admin key is at hand); prints the secret once, on stdout",
    )
    .option(
      "--db <path|url>",
      "SQLite database file or postgres:// URL (default: TOKENFORM_DATABASE_URL, TOKENFORM_DB or .tokenform/tokenform.db)",
    )
    .option("--account <name>", "account of the key (default: default)")
    .option("--name <name>", "key name, unique in the account (default: operator-admin-<timestamp>)")
    .option("--scopes <scope...>", "scopes of the key (default: tokens:*)")
    .option("--expires-in <duration>", "lifetime, e.g. 90d (default: no expiry)")
    .addHelpText(
      "after",
      "\nRun it where the database is, with the service's TOKENFORM_PEPPER if it has one. The key is audited as\n" +
        'created by "tokenform admin create". Example: export TOKENFORM_API_TOKEN=$(tokenform admin create --db tokens.db)',
    )
    .action(
      async (options: {
        db?: string;
        account?: string;
        name?: string;
        scopes?: string[];
        expiresIn?: string;
      }) => {
        const { createAdminKey } = await import("../../service/admin.js");
        const created = await createAdminKey(options);
        process.stdout.write(`${created.secret.reveal()}\n`);
        process.stderr.write(
          `tokenform: ${created.newDatabase ? "new database — created account" : "in account"} "${created.account}", admin key "${created.token.name}" (${created.token.scopes.join(" ")}). The secret above is shown only this once.\n`,
        );
      },
    );
}
