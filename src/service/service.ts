/**
 * `startService`: the token service in one call — store, verifier, manager, HTTP server on a port, the
 * usage flusher and the sweeper — for `tokenform serve`, the CLI's embedded mode and the tests.
 *
 * Its collaborators (store, rate limiter, usage sink, clock, logger, cache invalidation) come through its
 * options, each with an in-process default, so a deployment of several instances can pass shared ones.
 * Wiring is here; the first account and this process's admin key are src/service/bootstrap.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { buildOpenApiDocument } from "../api/openapi.js";
import { SecretValue } from "../api/secret.js";
import { HEADERS_TIMEOUT_MS, MAX_CONNECTIONS_PER_ADDRESS } from "../spec/limits.js";
import { DEFAULT_PREFIXES, PREFIX_PATTERN, registerTokenPrefix } from "../spec/token-format.js";
import { type UiOptions, withDashboard } from "../ui/index.js";
import { AccountSettings } from "./accounts.js";
import {
  type AdminTokenSource,
  type BootstrapResult,
  bootstrapAdminKey,
  FIRST_ACCOUNT,
} from "./bootstrap.js";
import { KeyCache } from "./cache.js";
import { type ProxyTrust, type ProxyTrustSetting, proxyTrust } from "./client-address.js";
import { type Clock, systemClock } from "./clock.js";
import { Digester } from "./digest.js";
import { GithubAlertKeys, GithubLeakAlerts } from "./github-leak-alerts.js";
import { DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT_MS } from "./http/body.js";
import { ConnectionCap } from "./http/connections.js";
import { InvalidationStreams } from "./http/invalidation-stream.js";
import { buildRoutes } from "./http/routes.js";
import { createRequestHandler } from "./http/server.js";
import type { Invalidation } from "./invalidation.js";
import { defaultInvalidation } from "./invalidation-select.js";
import type { LeakAction } from "./leaks.js";
import { listen } from "./listen.js";
import { silentLogger } from "./logger.js";
import { Pickups } from "./pickups.js";
import { type Limiter, RateLimiter } from "./ratelimit.js";
import type { RedisFailureMode } from "./redis/failure.js";
import { sharedState } from "./redis/shared.js";
import { DEFAULT_DB_PATH, SqliteStore } from "./store/sqlite.js";
import type { TokenPrefixes, TokenStore } from "./store/types.js";
import { TokenManager } from "./tokens.js";
import { UsageAccumulator } from "./usage.js";
import type { UsageSink } from "./usage-sink.js";
import { type RateDefaults, Verifier } from "./verifier.js";

export { type AdminTokenSource, FIRST_ACCOUNT } from "./bootstrap.js";

/** Options of `startService`; everything has a default. */
export interface ServiceOptions {
  /** SQLite file (default `.tokenform/tokenform.db`; its directory gets a `.gitignore` of `*`). */
  dbPath?: string;
  /** A store to use instead of opening `dbPath` (e.g. PostgreSQL). The service closes it on `close()`. */
  store?: TokenStore;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** The first account's admin key on a new database (a valid `mcp_adm_…` token). */
  bootstrapToken?: string | SecretValue;
  /** Server-side secret mixed into every digest (HMAC-SHA256). Changing it invalidates every key. */
  pepper?: string | SecretValue;
  /** Time for every expiry, overlap, pending deadline and rate window (default: the wall clock). */
  clock?: Clock;
  /** How long an unconfirmed pending token or roll lives (default 900 s = 15 min). */
  pendingTtlSeconds?: number;
  /** Structured logger (default: silent; `tokenform serve` passes a JSON logger on stdout). */
  logger?: Logger;
  /**
   * Server-wide rate limits (defaults from the seeds: 100/min per key, 1000/h per account; null =
   * unlimited). A token's own per-minute limit and an account's own hourly limit take precedence.
   */
  rateLimits?: Partial<RateDefaults>;
  /**
   * The rate limiter (default: an in-memory `RateLimiter`, pruned by the sweeper). A shared one (several
   * instances) may answer with promises. The service does not close it.
   */
  limiter?: Limiter;
  /**
   * Where verification outcomes are counted (default: a `UsageAccumulator` flushed to the store every
   * `usageFlushMs`). The service starts it once listening, and stops and flushes it on `close()`.
   */
  usage?: UsageSink;
  /**
   * Cache invalidation: the manager publishes the id of every token it writes and this instance's key
   * cache subscribes. Default: Redis pub/sub when `redis` is given, else PostgreSQL LISTEN/NOTIFY when the
   * store is a `PostgresStore`, else an in-process `LocalInvalidation` (src/service/invalidation-select.ts);
   * the service closes a default it opened. It unsubscribes on `close()`.
   */
  invalidation?: Invalidation;
  /**
   * How far `X-Forwarded-For` is believed (default: not at all): proxy addresses/CIDRs, a hop count, or
   * `true` for one hop (src/service/client-address.ts).
   */
  trustedProxies?: ProxyTrustSetting;
  /**
   * Also accept version-1 request signatures (HMAC of `"<timestamp>.<body>"`, which binds neither method
   * nor path) while clients move to version 2 (src/service/signing.ts). Default false.
   */
  allowLegacySignatures?: boolean;
  /**
   * Redis shared by every instance of a deployment (`tokenform serve --redis`): when given, the rate
   * limiter, the signed-request replay window, the usage counters and cache invalidation that are not
   * passed explicitly are built on it. The caller owns the client (the service does not quit it).
   */
  redis?: Redis;
  /**
   * What verifies do while `redis` is unreachable (src/service/redis/failure.ts): `closed` (default) answers
   * those that need the shared limits or replay window 503 with `Retry-After`; `local` falls back to this
   * instance's own limits (and the store's replay window) with a warning.
   */
  redisFailure?: RedisFailureMode;
  /**
   * GitHub secret scanning alerts (`POST /v1/leaks/github`): where GitHub's signing keys are published
   * (default https://api.github.com/meta/public_keys/secret_scanning) and what a reported key's current
   * secret gets: `disable` (default), `roll` (no overlap) or `report` (src/service/leaks.ts).
   */
  leaks?: { keysUrl?: string; action?: LeakAction; fetch?: typeof globalThis.fetch };
  /**
   * Holders' pickups (`tokenform pickup`, src/service/pickups.ts): how long a session waits for approval
   * and its claim (default 900 s), and the seconds a CLI waits between polls (default 5).
   */
  pickups?: { ttlSeconds?: number; intervalSeconds?: number };
  /** Usage flush interval in ms (default 1000; only for the default usage sink). */
  usageFlushMs?: number;
  /** Sweeper interval in ms (default 30 000; 0 disables the timer — call `sweep()` yourself). */
  sweepIntervalMs?: number;
  /** Max age of a cached key in ms (default 60 000; writes on this instance invalidate immediately). */
  cacheTtlMs?: number;
  /** Max cached keys (default 100 000). */
  cacheMaxEntries?: number;
  /** Let loopback callers use `/v1/verify` without a key (default true). */
  anonymousLoopbackVerify?: boolean;
  /** Default token prefixes for new accounts. */
  prefixes?: Partial<TokenPrefixes>;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Milliseconds a client has to send the request line and headers (default 10 000; 408 and close). */
  headersTimeoutMs?: number;
  /** Milliseconds a client has to send the body once the headers are in (default 30 000; 408 and close). */
  bodyTimeoutMs?: number;
  /** Concurrent connections one remote address may hold (default 256; more are answered 429 and closed). */
  maxConnectionsPerAddress?: number;
  /** Refuse PATCH/DELETE without If-Match (default false). */
  requireIfMatch?: boolean;
  /** Mint a session admin key when no admin key is known (default true). */
  sessionAdminKey?: boolean;
  /** The dashboard at `/ui/` (default on; `false` turns it off, as `tokenform serve --no-ui` does). */
  ui?: boolean | UiOptions;
}

/** A running service. */
export interface RunningService {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  url: string;
  port: number;
  host: string;
  /** The first account's name. */
  account: string;
  /**
   * An admin key of the first account: the bootstrap key on a new database, the given `bootstrapToken`,
   * or a session key. Reading it throws when there is none (`adminTokenSource: "none"`, which happens only
   * with `sessionAdminKey: false` on an existing database).
   */
  adminToken: SecretValue;
  adminTokenSource: AdminTokenSource;
  verifier: Verifier;
  manager: TokenManager;
  store: TokenStore;
  /** The cache invalidation channel this instance follows (`connected` on the shared ones). */
  invalidation: Invalidation;
  /** Creates another account with its first admin key (tests, multi-tenant setups). */
  createAccount(
    name: string,
    options?: { prefixes?: Partial<TokenPrefixes> },
  ): Promise<{ account: string; adminToken: SecretValue }>;
  /** Writes accumulated usage now. */
  flushUsage(): Promise<void>;
  /** Runs the sweeper now (pending expiry, lapsed overlaps, session keys). */
  sweep(): Promise<number>;
  /** Stops accepting requests, waits for in-flight ones, flushes usage, closes the store. Idempotent. */
  close(): Promise<void>;
}

function reveal(value: string | SecretValue | undefined): string | undefined {
  return value instanceof SecretValue ? value.reveal() : value;
}

/** The wired parts of a service, before bootstrap and before it listens. */
interface ServiceParts {
  clock: Clock;
  logger: Logger;
  prefixes: TokenPrefixes;
  trust: ProxyTrust;
  store: TokenStore;
  digester: Digester;
  limiter: Limiter;
  usage: UsageSink;
  verifier: Verifier;
  manager: TokenManager;
  /** The channel the cache follows. */
  invalidation: Invalidation;
  /** Stops the cache following `invalidation`, and closes it when the service opened it. */
  unsubscribe: () => Promise<void>;
}

/** Per-key and per-account limits when neither the token nor its account sets one (NOFire's numbers). */
export const DEFAULT_RATE_LIMITS: RateDefaults = { keyPerMinute: 100, accountPerHour: 1000 };

function rateDefaultsOf(given: Partial<RateDefaults> | undefined): RateDefaults {
  return {
    keyPerMinute: given?.keyPerMinute === undefined ? DEFAULT_RATE_LIMITS.keyPerMinute : given.keyPerMinute,
    accountPerHour:
      given?.accountPerHour === undefined ? DEFAULT_RATE_LIMITS.accountPerHour : given.accountPerHour,
  };
}

/** Builds the collaborators (the given ones, or the in-process defaults) and wires them together. */
async function wire(options: ServiceOptions): Promise<ServiceParts> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger();
  const prefixes: TokenPrefixes = { ...DEFAULT_PREFIXES, ...options.prefixes };
  for (const prefix of Object.values(prefixes)) {
    if (!PREFIX_PATTERN.test(prefix)) throw new Error(`invalid token prefix ${JSON.stringify(prefix)}`);
    // Logs mask anything shaped like a key of a configured prefix too, valid or not (src/api/secret.ts).
    registerTokenPrefix(prefix);
  }
  const trust = proxyTrust(options.trustedProxies, "trustedProxies");
  const store = options.store ?? new SqliteStore({ path: options.dbPath ?? DEFAULT_DB_PATH });
  await store.init();
  const digester = new Digester(reveal(options.pepper));
  const cache = new KeyCache({
    ttlMs: options.cacheTtlMs ?? 60_000,
    maxEntries: options.cacheMaxEntries ?? 100_000,
  });
  const opened =
    options.invalidation === undefined ? await defaultInvalidation(options.redis, store, logger) : undefined;
  const invalidation = options.invalidation ?? opened!;
  const unfollow = cache.follow(invalidation);
  const unsubscribe = async () => {
    unfollow();
    await opened?.close?.();
  };
  const shared = options.redis
    ? sharedState(options.redis, { store, logger, failure: options.redisFailure ?? "closed" })
    : undefined;
  const localUsage = new UsageAccumulator({ store, flushIntervalMs: options.usageFlushMs ?? 1000, logger });
  const usage = options.usage ?? shared?.usage(localUsage) ?? localUsage;
  const limiter = options.limiter ?? shared?.limiter ?? new RateLimiter();
  const verifier = new Verifier({
    store,
    cache,
    limiter,
    clock,
    logger,
    digester,
    usage,
    replay: shared?.replay,
    allowLegacySignatures: options.allowLegacySignatures ?? false,
    rateDefaults: rateDefaultsOf(options.rateLimits),
  });
  const manager = new TokenManager({
    store,
    invalidation,
    clock,
    digester,
    usage,
    pendingTtlSeconds: options.pendingTtlSeconds ?? 900,
    defaultPrefixes: prefixes,
  });
  return {
    clock,
    logger,
    prefixes,
    trust,
    store,
    digester,
    limiter,
    usage,
    verifier,
    manager,
    invalidation,
    unsubscribe,
  };
}

/** The HTTP server over the wired parts, listening. */
async function serveHttp(
  parts: ServiceParts,
  options: ServiceOptions,
): Promise<{ server: Server; host: string; port: number; url: string; streams: InvalidationStreams }> {
  const { manager, verifier, logger, trust } = parts;
  const streams = new InvalidationStreams(parts.invalidation);
  const headersTimeoutMs = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const connections = new ConnectionCap(options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS);
  let openapiDoc: unknown;
  const handler = createRequestHandler({
    routes: buildRoutes({
      manager,
      verifier,
      accounts: new AccountSettings({
        store: parts.store,
        clock: parts.clock,
        defaultPerHour: rateDefaultsOf(options.rateLimits).accountPerHour,
        requireAuthority: (actor, what) => manager.requireAccountAuthority(actor, what),
        onChange: (account) => verifier.accountChanged(account),
      }),
      openapi: () => {
        openapiDoc ??= buildOpenApiDocument();
        return openapiDoc;
      },
      requireIfMatch: options.requireIfMatch ?? false,
      streams,
      pickups: new Pickups({
        store: parts.store,
        manager,
        verifier,
        clock: parts.clock,
        digester: parts.digester,
        ...options.pickups,
      }),
      leaks: new GithubLeakAlerts({
        keys: new GithubAlertKeys({ url: options.leaks?.keysUrl, fetch: options.leaks?.fetch }),
        manager,
        action: options.leaks?.action ?? "disable",
        logger,
      }),
    }),
    verifier,
    logger,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    proxyTrust: trust,
    anonymousLoopbackVerify: options.anonymousLoopbackVerify ?? true,
    bodyTimeoutMs,
    connections,
  });
  const listener =
    options.ui === false
      ? handler
      : withDashboard(
          handler,
          { verifier, logger, clock: parts.clock, proxyTrust: trust },
          typeof options.ui === "object" ? options.ui : {},
        );
  // Node checks `headersTimeout`/`requestTimeout` only every `connectionsCheckingInterval` (30 s by
  // default), so a 10 s timeout used to fire after up to 40 s: check a tenth as often as the shortest.
  // The body timeout proper is the body reader's (a JSON 408); `requestTimeout` is the backstop for a
  // request whose body nobody reads.
  const server: Server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: headersTimeoutMs + bodyTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(20, Math.floor(headersTimeoutMs / 10))),
      keepAliveTimeout: 5_000,
    },
    listener,
  );
  connections.attach(server);
  const host = options.host ?? "127.0.0.1";
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { server, host, port, url, streams };
}

/** The sweeper's timer (none when `sweepMs` is 0): pending expiry, lapsed overlaps, idle limiter buckets. */
function startSweeper(parts: ServiceParts, sweepMs: number): NodeJS.Timeout | undefined {
  if (sweepMs <= 0) return undefined;
  const { manager, limiter, clock, logger } = parts;
  const sweeper = setInterval(() => {
    manager.sweep().catch((error: unknown) => logger.error({ err: error }, "sweep failed"));
    Promise.resolve(limiter.prune?.(clock.now())).catch((error: unknown) =>
      logger.error({ err: error }, "rate-limit prune failed"),
    );
  }, sweepMs);
  sweeper.unref();
  return sweeper;
}

/**
 * Starts the token service. Its secrets belong to the run that starts it (src/api/secret-registry.ts: a
 * CLI command, a test's `withSecretScope`, or the process for `tokenform serve`); it opens no scope of its
 * own, which on Node 20 would put a hook on every promise of its request path.
 */
export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  const parts = await wire(options);
  const { store, manager, usage, logger } = parts;
  let boot: BootstrapResult;
  let listening: Awaited<ReturnType<typeof serveHttp>>;
  try {
    boot = await bootstrapAdminKey(parts, reveal(options.bootstrapToken), options.sessionAdminKey !== false);
    listening = await serveHttp(parts, options);
  } catch (error) {
    // The invalidation channel's connections would keep the process alive.
    await parts.unsubscribe();
    throw error;
  }
  const { server, host, port, url, streams } = listening;
  usage.start();
  const sweeper = startSweeper(parts, options.sweepIntervalMs ?? 30_000);
  logger.info({ url, db: store instanceof SqliteStore ? store.path : "external" }, "token service listening");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (sweeper) clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        streams.closeAll();
        server.closeIdleConnections();
      });
      usage.stop();
      if (boot.sessionKeyId !== undefined) await manager.deleteSystem(FIRST_ACCOUNT, boot.sessionKeyId);
      await usage.flush();
      await parts.unsubscribe();
      await store.close();
      logger.info("token service stopped");
    })();
    return closing;
  };

  return {
    url,
    port,
    host,
    account: FIRST_ACCOUNT,
    get adminToken(): SecretValue {
      if (boot.adminToken === undefined) {
        throw new Error("no admin key is known to this process (existing database, sessionAdminKey: false)");
      }
      return boot.adminToken;
    },
    adminTokenSource: boot.adminTokenSource,
    verifier: parts.verifier,
    manager,
    store,
    invalidation: parts.invalidation,
    async createAccount(name, accountOptions) {
      const created = await manager.createAccount(name, accountOptions);
      return { account: created.account, adminToken: created.adminToken };
    },
    flushUsage: () => usage.flush(),
    sweep: () => manager.sweep(),
    close,
  };
}
