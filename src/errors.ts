/**
 * `ConfigError`: an expected failure caused by what the operator configured or by the environment — a
 * URL that is not one, a busy port, a database that cannot be reached, a missing directory. Every front
 * end (CLI, `serve`, `gateway`, the Action, the provider) prints it as one line saying what happened and
 * what to do, never as a stack trace or a bug report.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    /** One line: what happened and what to do (e.g. `TOKENFORM_API_URL "x" is not a URL: write http://x`). */
    message: string,
    /** Process exit code: 1, or 2 for a usage error (a bad flag value). */
    readonly exitCode: 1 | 2 = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
