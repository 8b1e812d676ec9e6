/**
 * The service's structured JSON logger (pino). Credentials never reach a log line: the headers that carry
 * keys or signatures are redacted by path, request bodies are never logged, and anything that still
 * looks like a token with a valid checksum is masked by the `redactKnownSecrets`-style scrubber applied to
 * every line before it is written (a last line of defence).
 */
import { Writable } from "node:stream";
import pino, { type DestinationStream, type Logger } from "pino";
import { findTokens } from "../spec/token-format.js";

/** Header paths pino replaces with `[redacted]`. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'req.headers["x-mcp-signature"]',
  "req.headers.cookie",
  "headers.authorization",
  'headers["x-api-key"]',
];

/** Masks every well-formed token (valid checksum) in a log line, keeping its prefix and first characters. */
export function scrubTokens(line: string): string {
  const found = findTokens(line);
  if (found.length === 0) return line;
  let out = "";
  let at = 0;
  for (const f of found) {
    out += line.slice(at, f.index) + line.slice(f.index, f.index + f.prefix.length + 4) + "…[redacted]";
    at = f.index + f.length;
  }
  return out + line.slice(at);
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

/** Creates the service logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(
  options: { level?: string; destination?: DestinationStream | NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? "info",
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
