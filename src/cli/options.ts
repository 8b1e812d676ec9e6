/**
 * Option parsers shared by the commands: ports and API URLs are checked where they enter (the schemas in
 * `src/api/endpoint.ts`), so a bad flag value is a usage error (exit 2) naming the flag, never a failure
 * deep inside a request or a listen call.
 */
import { InvalidArgumentError } from "commander";
import { parseApiUrl, parsePort } from "../api/endpoint.js";
import { logLevelProblem } from "../service/log-level.js";
import { parseDuration } from "../spec/duration.js";

/** What is wrong with a value, as a sentence after commander's "argument 'x' is invalid." */
function sentence(problem: string): string {
  const text = problem.replace(/^is /, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `--port <port>`: 0 to 65535. */
export function portArgument(value: string): number {
  const parsed = parsePort(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.problem);
  return parsed.port;
}

/** `--api-url <url>`: an http(s) URL of the token service, normalised (no trailing `/` or `/v1`). */
export function apiUrlArgument(value: string): string {
  const parsed = parseApiUrl(value);
  if (!parsed.ok) throw new InvalidArgumentError(sentence(parsed.problem));
  return parsed.url;
}

/** `--log-level <level>`: one of pino's levels. */
export function logLevelArgument(value: string): string {
  const problem = logLevelProblem(value);
  if (problem) throw new InvalidArgumentError(sentence(problem));
  return value;
}

/** `--headers-timeout 10s` and the like: a duration (`500ms` is not one; `1s` is the finest), in milliseconds. */
export function timeoutArgument(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds < 1) {
    throw new InvalidArgumentError("Not a duration of at least 1s: write e.g. 10s, 2m");
  }
  return seconds * 1000;
}

/** `--max-connections-per-address <n>`: a whole number of at least 1. */
export function countArgument(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError("Not a whole number of at least 1");
  return Number(value);
}
