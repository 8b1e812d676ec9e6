/**
 * Where a token service is and where a server listens, as an operator writes them: the one parser of a
 * management-API base URL (the CLI's `--api-url` / `TOKENFORM_API_URL`, the client, the gateway, the
 * Action's `api-url`, the provider's `api_url`) and of a port (`--port`). Both are zod schemas, so each
 * front end validates where the value enters and names it in its own error.
 *
 * A base URL is `http(s)://host[:port][/prefix]` without credentials, query or fragment. Trailing slashes
 * and a trailing `/v1` are dropped: the client adds `/v1/…` itself, and people copy the URL from the API
 * reference (`https://tokens.example.com/v1`).
 */
import { z } from "zod";
import { ConfigError } from "../errors.js";

/** What most people run: `tokenform serve` on its default port. */
const EXAMPLE_URL = "http://127.0.0.1:8787";

/** `host`, `host:port`, `[v6]:port`, optionally with a path: written without a scheme. */
const SCHEMELESS = /^(?:\[[0-9a-f:.]+\]|[\w.-]+)(?::\d+)?(?:\/\S*)?$/i;

/** A management-API base URL, normalised (no trailing `/` or `/v1`); the issue says what to write instead. */
export const ApiUrlSchema = z.string().transform((raw, ctx) => {
  const value = raw.trim();
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  if (value === "") return fail(`is empty: write the token service's address, e.g. ${EXAMPLE_URL}`);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return fail(
      SCHEMELESS.test(value)
        ? `is not a URL: write http://${value}`
        : `is not a URL: write the token service's address, e.g. ${EXAMPLE_URL}`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`is not a URL: write the token service's address, e.g. ${EXAMPLE_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`is not an http:// or https:// URL: write the token service's address, e.g. ${EXAMPLE_URL}`);
  }
  if (url.username !== "" || url.password !== "") {
    return fail("must not carry credentials: put the admin key in TOKENFORM_API_TOKEN instead");
  }
  if (url.search !== "" || url.hash !== "") {
    return fail(`must not have a query or fragment: write ${url.origin}${url.pathname.replace(/\/+$/, "")}`);
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "").replace(/\/+$/, "");
  return `${url.origin}${path}`;
});

/** A TCP port, 0 (any free port) to 65535, written as decimal digits. */
export const PortSchema = z
  .string()
  .trim()
  .regex(/^\d{1,5}$/, "expected a port number from 0 to 65535")
  .transform(Number)
  .refine((port) => port <= 65535, "expected a port number from 0 to 65535");

/** The first issue's message of a failed parse (each schema above has one issue at most). */
function problemOf(error: z.ZodError): string {
  return error.issues[0]?.message ?? "is invalid";
}

/** Parses a base URL; on failure, what is wrong with it and what to write (to follow its quoted value). */
export function parseApiUrl(value: string): { ok: true; url: string } | { ok: false; problem: string } {
  const parsed = ApiUrlSchema.safeParse(value);
  return parsed.success ? { ok: true, url: parsed.data } : { ok: false, problem: problemOf(parsed.error) };
}

/**
 * The normalised base URL, or a `ConfigError` naming where it came from, e.g.
 * `TOKENFORM_API_URL "127.0.0.1:8787" is not a URL: write http://127.0.0.1:8787`.
 */
export function apiUrl(value: string, source: string, exitCode: 1 | 2 = 1): string {
  // Untyped callers (JavaScript, options built at run time) may leave it out altogether.
  if (typeof value !== "string") {
    throw new ConfigError(
      `${source} is missing: give the token service's base URL, e.g. http://127.0.0.1:8787`,
      exitCode,
    );
  }
  const parsed = parseApiUrl(value);
  if (!parsed.ok) throw new ConfigError(`${source} ${JSON.stringify(value)} ${parsed.problem}`, exitCode);
  return parsed.url;
}

/** Parses a port; on failure, the message to show after the flag's name. */
export function parsePort(value: string): { ok: true; port: number } | { ok: false; problem: string } {
  const parsed = PortSchema.safeParse(value);
  return parsed.success ? { ok: true, port: parsed.data } : { ok: false, problem: problemOf(parsed.error) };
}
