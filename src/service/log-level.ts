/**
 * The log levels `--log-level` and TOKENFORM_LOG_LEVEL accept (pino's), in a module of its own so the
 * CLI can check a flag without loading pino.
 */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Why `level` is not a log level, or undefined when it is one. */
export function logLevelProblem(level: string): string | undefined {
  return (LOG_LEVELS as readonly string[]).includes(level)
    ? undefined
    : `is not a log level: use one of ${LOG_LEVELS.join(", ")}`;
}
