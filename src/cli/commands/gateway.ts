/** `tokenform gateway`: tokenform's guard in front of any MCP server (src/gateway). */
import { type Command, InvalidArgumentError } from "commander";
import { logLevelArgument, portArgument, timeoutArgument } from "../options.js";
import { TRUST_PROXY_HELP, trustProxyArgument } from "../trust-proxy.js";

function upstream(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected the MCP server's endpoint URL, e.g. http://127.0.0.1:9000/mcp");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("only http:// and https:// upstreams are supported");
  }
  return url.href;
}

export function registerGateway(program: Command): void {
  program
    .command("gateway")
    .description(
      "guard any MCP server: verify keys, allow tools per key (read-only keys call read-only tools), forward the rest",
    )
    .requiredOption("--upstream <url>", "the MCP server's endpoint, e.g. http://127.0.0.1:9000/mcp", upstream)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (default 8788)", portArgument)
    .option(
      "--embedded",
      "verify keys in-process on .tokenform/tokenform.db, even when TOKENFORM_API_URL is set",
    )
    .option("--db <path|url>", "verify keys in-process on this SQLite file or postgres:// database")
    .option("--trust-proxy <hops|cidr...>", TRUST_PROXY_HELP, trustProxyArgument)
    .option("--resource-metadata <url>", "protected-resource metadata URL to name in WWW-Authenticate")
    .option(
      "--cache-ttl <duration>",
      "with TOKENFORM_API_URL: keep positive verdicts this long (e.g. 60s), following the service's invalidations; cached requests skip its rate limits and usage (default: ask on every request)",
      timeoutArgument,
    )
    .option("--log-level <level>", "pino log level (default: TOKENFORM_LOG_LEVEL or info)", logLevelArgument)
    .addHelpText(
      "after",
      "\nKeys are verified by the token service at TOKENFORM_API_URL (TOKENFORM_API_TOKEN: an admin key with\n" +
        "tokens:verify; not needed when the service runs on this host), or in-process with --embedded / --db.\n" +
        "The upstream receives X-Tokenform-Token-Id, -Token-Name, -Token-Type and X-Tokenform-Account, never the key.",
    )
    .action(
      async (options: {
        upstream: string;
        host: string;
        port?: number;
        embedded?: boolean;
        db?: string;
        trustProxy?: string[];
        resourceMetadata?: string;
        cacheTtl?: number;
        logLevel?: string;
      }) => {
        const { runGateway } = await import("../run/gateway.js");
        process.exitCode = await runGateway(options);
      },
    );
}
