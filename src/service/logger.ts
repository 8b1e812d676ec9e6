/**
 * The service's structured JSON logger (pino). Credentials never reach a log line: the headers that carry
 * keys or signatures are redacted by path, request bodies are never logged, and every line goes through
 * `maskSecrets` (the one masking function, src/api/secret.ts) before it is written: anything shaped like a
 * key — a known prefix and token characters, valid checksum or not — in a URL, a header or a message is
 * masked (a last line of defence).
 */
import { Writable } from "node:stream";
import pino, { type DestinationStream, type Logger } from "pino";
import { maskSecrets } from "../api/secret.js";
import { ConfigError } from "../errors.js";
import { logLevelProblem } from "./log-level.js";

/** Header paths pino replaces with `[redacted]`. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'req.headers["x-mcp-signature"]',
  "req.headers.cookie",
  "headers.authorization",
  'headers["x-api-key"]',
];

/** Masks secrets and near-secrets in a log line (see `maskSecrets`). */
export function scrubTokens(line: string): string {
  return maskSecrets(line);
}

/** A destination that scrubs tokens from each line before handing it to `target`. */
export function scrubbingDestination(target: DestinationStream | NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      target.write(scrubTokens(chunk.toString()));
      callback();
    },
  });
}

/**
 * Creates the service logger writing JSON lines to `destination` (stdout by default). An unknown level
 * is a `ConfigError` naming --log-level and TOKENFORM_LOG_LEVEL, where levels come from.
 */
export function createLogger(
  options: { level?: string; destination?: DestinationStream | NodeJS.WritableStream } = {},
): Logger {
  const level = options.level ?? "info";
  const problem = logLevelProblem(level);
  if (problem)
    throw new ConfigError(
      `log level ${JSON.stringify(level)} (--log-level or TOKENFORM_LOG_LEVEL) ${problem}`,
    );
  return pino(
    {
      level,
      base: { service: "tokenform" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    scrubbingDestination(options.destination ?? process.stdout),
  );
}

/** A logger that writes nothing (the default for embedded services). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
