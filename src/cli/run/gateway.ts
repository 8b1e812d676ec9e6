/**
 * `tokenform gateway` as a library function: picks where keys are verified — the token service at
 * `TOKENFORM_API_URL` (with `TOKENFORM_API_TOKEN`, an admin key with `tokens:verify`; optional when the
 * service is on this host), or in-process on `--db` / the embedded `.tokenform/tokenform.db` — starts the
 * gateway with JSON logs on stdout, and stops gracefully on SIGTERM/SIGINT.
 *
 * In-process, the key cache is off: other processes (the CLI's `apply` and `rotate`, `tokenform serve`)
 * change the same database, and nothing would tell this process; reading the database on each request
 * keeps revocation immediate.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { DEFAULT_GATEWAY_PORT, type RunningGateway, startGateway } from "../../gateway/server.js";
import { createLogger } from "../../service/logger.js";
import type { RunningService } from "../../service/service.js";
import { stopSignal } from "../../service/stop-signal.js";
import { EMBEDDED_DB } from "../connect.js";

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
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  /** Working directory holding `.tokenform/` for the embedded service. */
  cwd?: string;
  /** Called once the gateway is listening (tests). */
  onListening?: (gateway: RunningGateway) => void;
  /** Signals that stop the gateway (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

export async function runGateway(options: GatewayRunOptions): Promise<number> {
  const env = options.env ?? process.env;
  const logger: Logger = createLogger({
    level: options.logLevel ?? env.TOKENFORM_LOG_LEVEL ?? "info",
    destination: options.stdout,
  });
  const stop = stopSignal(options.signals);

  const remote =
    options.embedded || options.db !== undefined ? undefined : env.TOKENFORM_API_URL || undefined;
  let service: RunningService | undefined;
  let gateway: RunningGateway;
  try {
    if (remote !== undefined) {
      logger.info({ tokenService: remote }, "verifying keys with the token service");
      gateway = await startGateway({
        upstream: options.upstream,
        host: options.host,
        port: options.port ?? DEFAULT_GATEWAY_PORT,
        url: remote,
        token: env.TOKENFORM_API_TOKEN || undefined,
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
        cacheTtlMs: 0,
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
