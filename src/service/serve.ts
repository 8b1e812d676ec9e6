/**
 * `tokenform serve` as a library function: starts the token service with JSON logs on stdout, prints a
 * newly generated bootstrap admin key once on stderr (clearly labelled; logs never carry it), and shuts
 * down gracefully on SIGTERM/SIGINT — in-flight requests finish, usage counters are flushed, the database
 * is closed — before resolving with the exit code.
 */
import type { Logger } from "pino";
import { ConfigError } from "../errors.js";
import type { ProxyTrustSetting } from "./client-address.js";
import { LEAK_ACTIONS, type LeakAction } from "./leaks.js";
import { createLogger } from "./logger.js";
import { parseRateSetting } from "./rate-setting.js";
import { openRedis } from "./redis/connection.js";
import { parseRedisFailure, type RedisFailureMode } from "./redis/failure.js";
import { type RunningService, startService } from "./service.js";
import { stopSignal } from "./stop-signal.js";
import { isPostgresUrl, PostgresStore } from "./store/postgres.js";
import { DEFAULT_DB_PATH } from "./store/sqlite.js";

export interface ServeOptions {
  /** SQLite file or `postgres://` URL (default: TOKENFORM_DATABASE_URL, TOKENFORM_DB, `.tokenform/tokenform.db`). */
  db?: string;
  host?: string;
  port?: number;
  logLevel?: string;
  /** How far X-Forwarded-For is believed: proxy addresses/CIDRs or a hop count (client-address.ts). */
  trustProxy?: ProxyTrustSetting;
  /** Redis URL shared by several instances (default: TOKENFORM_REDIS_URL; none = single-instance state). */
  redis?: string;
  /** `closed` or `local` (src/service/redis/failure.ts; default: TOKENFORM_REDIS_FAILURE, else closed). */
  redisFailure?: string;
  /** Also accept version-1 request signatures (src/service/signing.ts). */
  allowLegacySignatures?: boolean;
  /** Bounds of slow clients (defaults in src/spec/limits.ts). */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  maxConnectionsPerAddress?: number;
  /** Serve the dashboard at `/ui/` (default true; `--no-ui` turns it off). */
  ui?: boolean;
  /** What a key reported leaked gets (default: TOKENFORM_LEAK_ACTION, else `disable`). */
  leakAction?: LeakAction;
  /** Where GitHub's secret scanning keys are published (default: TOKENFORM_GITHUB_LEAK_KEYS_URL, else GitHub's). */
  githubLeakKeysUrl?: string;
  /** Requests per hour per account unless the account sets its own; null = unlimited (default: TOKENFORM_ACCOUNT_RATE_LIMIT, else 1000). */
  accountRateLimit?: number | null;
  /** Requests per minute per key unless the token sets its own; null = unlimited (default: TOKENFORM_KEY_RATE_LIMIT, else 100). */
  keyRateLimit?: number | null;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Called once the service is listening (tests). */
  onListening?: (service: RunningService) => void;
  /** Signals that stop the server (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

/**
 * The database `serve` and `admin create` use: `db` (a SQLite file or a `postgres://` URL, which selects the
 * shared PostgreSQL store), else TOKENFORM_DATABASE_URL, TOKENFORM_DB, `.tokenform/tokenform.db`.
 */
export function resolveDatabase(db: string | undefined, env: NodeJS.ProcessEnv): string {
  return db ?? (env.TOKENFORM_DATABASE_URL || undefined) ?? env.TOKENFORM_DB ?? DEFAULT_DB_PATH;
}

/** `value` as one shell word (quoted when it has anything but safe characters), for a command to copy. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** TOKENFORM_USAGE_FLUSH_MS: a positive whole number of milliseconds (NaN would flush in a busy loop). */
function usageFlushMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new ConfigError(
      `TOKENFORM_USAGE_FLUSH_MS ${JSON.stringify(value)} is not a number of milliseconds: write e.g. 1000, or unset it`,
    );
  }
  return Number(value);
}

/** `--redis-failure`, else TOKENFORM_REDIS_FAILURE, checked (undefined: the service's default). */
function redisFailureOf(flag: string | undefined, env: NodeJS.ProcessEnv): RedisFailureMode | undefined {
  if (flag !== undefined) return parseRedisFailure(flag);
  const value = env.TOKENFORM_REDIS_FAILURE;
  return value ? parseRedisFailure(value, "TOKENFORM_REDIS_FAILURE") : undefined;
}

/** A server-wide limit from its flag, else its environment variable (a bad value is a `ConfigError`). */
function rateSetting(
  given: number | null | undefined,
  env: NodeJS.ProcessEnv,
  name: string,
): number | null | undefined {
  if (given !== undefined) return given;
  const text = env[name];
  if (!text) return undefined;
  const parsed = parseRateSetting(text);
  if (!parsed.ok) throw new ConfigError(`${name} ${JSON.stringify(text)} ${parsed.problem}`);
  return parsed.limit;
}

/** `--leak-action` / `--github-leak-keys-url`, else their environment variables, checked. */
function leakSettings(
  options: ServeOptions,
  env: NodeJS.ProcessEnv,
): { action?: LeakAction; keysUrl?: string } {
  const action = options.leakAction ?? (env.TOKENFORM_LEAK_ACTION || undefined);
  if (action !== undefined && !(LEAK_ACTIONS as readonly string[]).includes(action)) {
    throw new ConfigError(
      `TOKENFORM_LEAK_ACTION ${JSON.stringify(action)} is not one of ${LEAK_ACTIONS.join(", ")}`,
    );
  }
  const keysUrl = options.githubLeakKeysUrl ?? (env.TOKENFORM_GITHUB_LEAK_KEYS_URL || undefined);
  if (keysUrl !== undefined && !/^https?:\/\//.test(keysUrl)) {
    throw new ConfigError(`the GitHub leak keys URL ${JSON.stringify(keysUrl)} is not an http(s) URL`, 2);
  }
  return { ...(action ? { action: action as LeakAction } : {}), ...(keysUrl ? { keysUrl } : {}) };
}

/** Default port of `tokenform serve`. */
export const DEFAULT_PORT = 8787;

export async function serve(options: ServeOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stderr = options.stderr ?? process.stderr;
  const logger: Logger = createLogger({
    level: options.logLevel ?? env.TOKENFORM_LOG_LEVEL ?? "info",
    destination: options.stdout,
  });
  const flushMs = usageFlushMs(env.TOKENFORM_USAGE_FLUSH_MS);
  const redisFailure = redisFailureOf(options.redisFailure, env);
  const rateLimits = {
    accountPerHour: rateSetting(options.accountRateLimit, env, "TOKENFORM_ACCOUNT_RATE_LIMIT"),
    keyPerMinute: rateSetting(options.keyRateLimit, env, "TOKENFORM_KEY_RATE_LIMIT"),
  };
  const stop = stopSignal(options.signals);
  const db = resolveDatabase(options.db, env);
  const store = isPostgresUrl(db)
    ? new PostgresStore({
        connectionString: db,
        onIdleError: (err) => logger.warn({ err }, "an idle PostgreSQL connection failed; reconnecting"),
      })
    : undefined;
  if (store) logger.info({ db: store.location }, "using PostgreSQL");
  const redisUrl = options.redis ?? (env.TOKENFORM_REDIS_URL || undefined);
  const redis =
    redisUrl === undefined
      ? undefined
      : await openRedis(redisUrl, { logger }).catch(async (error: unknown) => {
          stop.release();
          await store?.close();
          throw error;
        });
  const service = await startService({
    dbPath: store ? undefined : db,
    store,
    redis,
    redisFailure,
    host: options.host ?? "127.0.0.1",
    port: options.port ?? DEFAULT_PORT,
    bootstrapToken: env.TOKENFORM_BOOTSTRAP_TOKEN || undefined,
    pepper: env.TOKENFORM_PEPPER || undefined,
    trustedProxies: options.trustProxy,
    allowLegacySignatures: options.allowLegacySignatures,
    headersTimeoutMs: options.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    ui: options.ui ?? true,
    leaks: leakSettings(options, env),
    rateLimits,
    logger,
    sessionAdminKey: false,
    // Tuning knob (and how the shutdown test proves that SIGTERM, not the timer, wrote the counts).
    usageFlushMs: flushMs,
  }).catch(async (error: unknown) => {
    // A database that cannot be reached or migrated: release the pool so the process can exit.
    stop.release();
    await store?.close();
    redis?.disconnect();
    throw error;
  });
  if (service.adminTokenSource === "generated") {
    stderr.write(
      [
        "",
        `tokenform: new database — created account "${service.account}" and its first admin token.`,
        "It is shown only this once. Store it now (e.g. in your secret manager as TOKENFORM_API_TOKEN):",
        "",
        `    ${service.adminToken.reveal()}`,
        "",
        "",
      ].join("\n"),
    );
  }
  if (service.adminTokenSource === "none") {
    // An existing database: its admin keys were shown when they were made. Say how to get another one.
    const dbFlag =
      options.db === undefined
        ? ""
        : isPostgresUrl(options.db)
          ? " --db <the same postgres:// URL>"
          : ` --db ${shellWord(options.db)}`;
    stderr.write(
      `tokenform: existing database — no admin key is printed. To mint one: tokenform admin create${dbFlag}\n`,
    );
  }
  options.onListening?.(service);
  const signal = await stop.stopped;
  stop.release();
  logger.info({ signal }, "shutting down");
  await service.close();
  await redis?.quit().catch(() => redis.disconnect());
  return 0;
}
