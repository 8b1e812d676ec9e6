/** `tokenform serve`: run the token service (management API) for a team. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseRateSetting } from "../../service/rate-setting.js";
import { BODY_TIMEOUT_MS, HEADERS_TIMEOUT_MS, MAX_CONNECTIONS_PER_ADDRESS } from "../../spec/limits.js";
import { countArgument, logLevelArgument, portArgument, timeoutArgument } from "../options.js";
import { TRUST_PROXY_HELP, trustProxyArgument } from "../trust-proxy.js";

function rateArgument(value: string): number | null {
  const parsed = parseRateSetting(value);
  if (!parsed.ok) throw new InvalidArgumentError(`${JSON.stringify(value)} ${parsed.problem}`);
  return parsed.limit;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "run the token service: management API, verify endpoint, SQLite or PostgreSQL store (JSON logs on stdout)",
    )
    .option(
      "--db <path|url>",
      "SQLite database file, or a postgres:// URL to share one database between instances (default: TOKENFORM_DATABASE_URL, TOKENFORM_DB or .tokenform/tokenform.db)",
    )
    .option(
      "--redis <url>",
      "redis://HOST:PORT/DB shared by several instances: rate limits, replay window, usage counts and revocation (default: TOKENFORM_REDIS_URL)",
    )
    .option(
      "--redis-failure <closed|local>",
      "while Redis is unreachable: closed answers verifies that need it 503 with Retry-After, local falls back to per-instance limits with a warning (default: TOKENFORM_REDIS_FAILURE, else closed)",
    )
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (default 8787)", portArgument)
    .option("--trust-proxy <hops|cidr...>", TRUST_PROXY_HELP, trustProxyArgument)
    .option(
      "--allow-legacy-signatures",
      "also accept version-1 request signatures (no method or path signed) while clients upgrade",
    )
    .option(
      "--headers-timeout <duration>",
      `time a client has to send its request headers (default ${HEADERS_TIMEOUT_MS / 1000}s)`,
      timeoutArgument,
    )
    .option(
      "--body-timeout <duration>",
      `time a client has to send its request body (default ${BODY_TIMEOUT_MS / 1000}s)`,
      timeoutArgument,
    )
    .option(
      "--max-connections-per-address <n>",
      `concurrent connections one client address may hold (default ${MAX_CONNECTIONS_PER_ADDRESS})`,
      countArgument,
    )
    .option("--no-ui", "do not serve the dashboard at /ui/")
    .addOption(
      new Option(
        "--leak-action <action>",
        "what a key GitHub secret scanning reports leaked gets: disable it, roll it with no overlap, or only report (default: TOKENFORM_LEAK_ACTION or disable)",
      ).choices(["disable", "roll", "report"]),
    )
    .option(
      "--github-leak-keys-url <url>",
      "where GitHub's secret scanning signing keys are published (default: TOKENFORM_GITHUB_LEAK_KEYS_URL or https://api.github.com/meta/public_keys/secret_scanning)",
    )
    .option(
      "--account-rate-limit <n|unlimited>",
      "requests per hour all of an account's keys may make together, unless the account sets its own (default: TOKENFORM_ACCOUNT_RATE_LIMIT or 1000)",
      rateArgument,
    )
    .option(
      "--key-rate-limit <n|unlimited>",
      "requests per minute per key, unless the token sets its own (default: TOKENFORM_KEY_RATE_LIMIT or 100)",
      rateArgument,
    )
    .option("--log-level <level>", "pino log level (default: TOKENFORM_LOG_LEVEL or info)", logLevelArgument)
    .addHelpText(
      "after",
      "\nEnvironment: TOKENFORM_BOOTSTRAP_TOKEN seeds the first admin key of a new database (otherwise one is\n" +
        "generated and printed once on stderr); TOKENFORM_PEPPER mixes a server secret into stored digests;\n" +
        "TOKENFORM_DATABASE_URL (postgres://user:password@host:5432/db) selects PostgreSQL;\n" +
        "TOKENFORM_REDIS_URL (redis://host:6379/0) shares limits and revocation between instances;\n" +
        "TOKENFORM_REDIS_FAILURE (closed or local) is --redis-failure.",
    )
    .action(
      async (options: {
        db?: string;
        redis?: string;
        redisFailure?: string;
        host: string;
        port?: number;
        trustProxy?: string[];
        allowLegacySignatures?: boolean;
        headersTimeout?: number;
        bodyTimeout?: number;
        maxConnectionsPerAddress?: number;
        ui: boolean;
        leakAction?: "disable" | "roll" | "report";
        githubLeakKeysUrl?: string;
        accountRateLimit?: number | null;
        keyRateLimit?: number | null;
        logLevel?: string;
      }) => {
        const { serve } = await import("../../service/serve.js");
        const { headersTimeout, bodyTimeout, ...rest } = options;
        process.exitCode = await serve({
          ...rest,
          headersTimeoutMs: headersTimeout,
          bodyTimeoutMs: bodyTimeout,
        });
      },
    );
}
