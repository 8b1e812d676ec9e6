/**
 * The logger sinks write to: the `(object, message)` shape of pino, so a pino logger can be passed as is.
 * Sinks log names, paths, statuses and fingerprints; never a secret value.
 */

/** A structured logger (a pino `Logger` satisfies it). */
export interface SinkLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Discards everything: the default when no logger is given. */
export const silentLogger: SinkLogger = {
  debug() {},
  info() {},
  warn() {},
};
