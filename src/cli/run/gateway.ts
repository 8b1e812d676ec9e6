/**
 * `tokenform gateway` as a library function: picks where keys are verified — the token service at
 * `TOKENFORM_API_URL` (with `TOKENFORM_API_TOKEN`, an admin key with `tokens:verify`; optional when the
 * service is on this host), or in-process on `--db` / the embedded `.tokenform/tokenform.db` — starts the
 * gateway with JSON logs on stdout, and stops gracefully on SIGTERM/SIGINT.
 *
 * In-process on SQLite, the key cache is off: other processes (the CLI's `apply` and `rotate`,
 * `tokenform serve`) change the same database, and nothing would tell this process; reading the database
 * on each request keeps revocation immediate. On PostgreSQL the cache is on: every writer announces its
 * writes with NOTIFY and this process LISTENs (src/service/store/postgres-invalidation.ts). Remote, verdicts
 * are cached only with `--cache-ttl` (src/mcp/verify.ts).
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { apiUrl } from "../../api/endpoint.js";
import { DEFAULT_GATEWAY_PORT, type RunningGateway, startGateway } from "../../gateway/server.js";
import { createLogger } from "../../service/logger.js";
import type { RunningService } from "../../service/service.js";
import { stopSignal } from "../../service/stop-signal.js";
import { EMBEDDED_DB } from "../connect.js";
import { CliError } from "../errors.js";

export interface GatewayRunOptions {
  upstream: string;
  host?: string;
  port?: number;
  /** Use the embedded token service even when TOKENFORM_API_URL is set. */
  embedded?: boolean;
  /** In-process token service on this SQLite file or postgres:// URL. */
  db?: string;
  trustProxy?: string[];
  logLevel?: string;
  resourceMetadata?: string;
  /** Remote mode: keep positive verdicts this long in ms, following the service's invalidations (default 0). */
  cacheTtl?: number;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  /** Working directory holding `.tokenform/` for the embedded service. */
  cwd?: string;
  /** Called once the gateway is listening (tests). */
  onListening?: (gateway: RunningGateway) => void;
  /** Signals that stop the gateway (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

/**
 * Asks the token service to verify a key that cannot be one: it answers with a verdict when the gateway
 * may ask at all. Refused credentials stop the start with a clear message (every request would get 503
 * otherwise); a service that cannot be reached yet is only a warning — it may start after the gateway.
 */
async function checkVerifyAccess(url: string, token: string | undefined, logger: Logger): Promise<void> {
  const { TokenformClient } = await import("../../api/client.js");
  const { ApiError } = await import("../../api/errors.js");
  const client = new TokenformClient({ baseUrl: url, token, retries: 0, timeoutMs: 5000 });
  try {
    await client.verify({ token: "probe" });
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw new CliError(
        `the token service at ${url} does not let this gateway verify keys: ${error.message}`,
        1,
        token === undefined
          ? "set TOKENFORM_API_TOKEN to an admin key with tokens:verify (only callers on the service's own host need none)"
          : "TOKENFORM_API_TOKEN must be an admin key of the account with tokens:verify (or tokens:read)",
      );
    }
    logger.warn(
      { err: error, tokenService: url },
      "the token service cannot be reached yet; requests get 503 until it can",
    );
  } finally {
    await client.close();
  }
}

export async function runGateway(options: GatewayRunOptions): Promise<number> {
  const env = options.env ?? process.env;
  const logger: Logger = createLogger({
    level: options.logLevel ?? env.TOKENFORM_LOG_LEVEL ?? "info",
    destination: options.stdout,
  });
  const stop = stopSignal(options.signals);

  const given = options.embedded || options.db !== undefined ? undefined : env.TOKENFORM_API_URL || undefined;
  const remote = given === undefined ? undefined : apiUrl(given, "TOKENFORM_API_URL");
  let service: RunningService | undefined;
  let gateway: RunningGateway;
  try {
    if (remote !== undefined) {
      await checkVerifyAccess(remote, env.TOKENFORM_API_TOKEN || undefined, logger);
      logger.info({ tokenService: remote }, "verifying keys with the token service");
      gateway = await startGateway({
        upstream: options.upstream,
        host: options.host,
        port: options.port ?? DEFAULT_GATEWAY_PORT,
        url: remote,
        token: env.TOKENFORM_API_TOKEN || undefined,
        cacheTtlMs: options.cacheTtl,
        trustProxy: options.trustProxy,
        resourceMetadata: options.resourceMetadata,
        logger,
      });
    } else {
      const { startService } = await import("../../service/service.js");
      const { isPostgresUrl, PostgresStore } = await import("../../service/store/postgres.js");
      const db = options.db ?? join(options.cwd ?? process.cwd(), EMBEDDED_DB);
      const store = isPostgresUrl(db) ? new PostgresStore({ connectionString: db }) : undefined;
      service = await startService({
        dbPath: store ? undefined : db,
        store,
        port: 0,
        host: "127.0.0.1",
        // PostgreSQL: LISTEN/NOTIFY tells this process of every write; SQLite: nothing would.
        cacheTtlMs: store ? 60_000 : 0,
        sessionAdminKey: false,
        pepper: env.TOKENFORM_PEPPER || undefined,
        logger,
      });
      logger.info({ db: store ? store.location : db }, "verifying keys in-process");
      gateway = await startGateway({
        upstream: options.upstream,
        host: options.host,
        port: options.port ?? DEFAULT_GATEWAY_PORT,
        service,
        trustProxy: options.trustProxy,
        resourceMetadata: options.resourceMetadata,
        logger,
      });
    }
  } catch (error) {
    stop.release();
    await service?.close();
    throw error;
  }
  options.onListening?.(gateway);
  const signal = await stop.stopped;
  stop.release();
  logger.info({ signal }, "shutting down");
  await gateway.close();
  await service?.close();
  return 0;
}
