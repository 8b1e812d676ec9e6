/**
 * How the CLI ends: `CliError` for expected failures (bad usage, invalid spec, API refused) that print a
 * message and what to do next; anything else is reported as a bug with a way to report it.
 */
import { redactKnownSecrets } from "../api/secret.js";
import { ConfigError } from "../errors.js";

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    /** Process exit code (1 for errors; `plan --detailed-exitcode` uses 2 for "changes"). */
    readonly exitCode = 1,
    /** A hint on what to run next. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Prints an error as a person should see it and returns the exit code. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof CliError) {
    stderr.write(redactKnownSecrets(`Error: ${error.message}\n${error.hint ? `Hint: ${error.hint}\n` : ""}`));
    return error.exitCode;
  }
  // The operator's configuration or environment (bad URL, busy port, database down): one line.
  if (error instanceof ConfigError) {
    stderr.write(redactKnownSecrets(`Error: ${error.message}\n`));
    return error.exitCode;
  }
  // Known library errors carry a `code` and a safe message; print them without a stack.
  if (error instanceof Error && (error.name === "ApiError" || error.name === "DeliveryError")) {
    stderr.write(redactKnownSecrets(`Error: ${error.message}\n`));
    return 1;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr.write(
    redactKnownSecrets(
      `Unexpected error (this is a bug in tokenform):\n${text}\n` +
        "Please report it with the command you ran and this output at https://github.com/tokenform/tokenform/issues\n",
    ),
  );
  return 1;
}
