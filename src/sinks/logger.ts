/**
 * The logger sinks write to: the `(object, message)` shape of pino, so a pino logger can be passed as is.
 * Sinks log names, paths, statuses and fingerprints; never a secret value. `maskingLogger` puts every
 * message and string field through `maskSecrets` on top of that, whatever logger the caller passed.
 */
import { maskSecrets } from "../api/secret.js";

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

/** Masks each string (and nested string) of a log field value. */
function maskValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskSecrets(value);
  if (value instanceof Error) return maskSecrets(value.message);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, depth + 1)]));
}

/** Wraps `logger` so that messages and fields pass through `maskSecrets` (see src/api/secret.ts). */
export function maskingLogger(logger: SinkLogger): SinkLogger {
  const fields = (f: Record<string, unknown>) => maskValue(f) as Record<string, unknown>;
  return {
    debug: (f, m) => logger.debug(fields(f), maskSecrets(m)),
    info: (f, m) => logger.info(fields(f), maskSecrets(m)),
    warn: (f, m) => logger.warn(fields(f), maskSecrets(m)),
  };
}
