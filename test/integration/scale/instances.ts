/**
 * Several `startService` instances on one PostgreSQL database and one Redis, as `tokenform serve --redis`
 * runs them (each its own store pool; one Redis client, as each process would open its own), for the
 * scale-out suites; plus the raw verify call they drive. `close()` stops them all.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { TokenformClient } from "../../../src/api/client.js";
import { silentLogger } from "../../../src/service/logger.js";
import { openRedis } from "../../../src/service/redis/connection.js";
import { type RunningService, type ServiceOptions, startService } from "../../../src/service/service.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { type RawResponse, rawRequest } from "../service/harness.js";

export interface Instances {
  nodes: RunningService[];
  /** The first instance's Redis client (to look at what is stored). */
  redis: Redis;
  /** An admin client of `node` (closed with the instances). */
  admin(node: RunningService): TokenformClient;
  close(): Promise<void>;
}

/**
 * `count` instances on the database at `databaseUrl`, each with its own Redis client on `redisUrl`
 * (flushed first). `logger(i)` gives instance i's logger (default silent).
 */
export async function startInstances(
  count: number,
  databaseUrl: string,
  redisUrl: string,
  options: Partial<ServiceOptions> & { logger?: never; loggers?: (i: number) => Logger } = {},
): Promise<Instances> {
  const { loggers, ...rest } = options;
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const nodes: RunningService[] = [];
    const clients: Redis[] = [];
    for (let i = 0; i < count; i++) {
      const logger = loggers?.(i) ?? silentLogger();
      const redis = await openRedis(redisUrl, { logger });
      cleanups.push(async () => redis.disconnect());
      if (i === 0) await redis.flushdb();
      clients.push(redis);
      const service = await startService({
        store: new PostgresStore({ connectionString: databaseUrl }),
        redis,
        logger,
        port: 0,
        sweepIntervalMs: 0,
        // Nothing is written by the timer: what a read shows comes from the instances, not from luck.
        usageFlushMs: 3_600_000,
        rateLimits: { keyPerMinute: 1000, accountPerHour: null },
        ...rest,
      });
      cleanups.push(() => service.close());
      nodes.push(service);
    }
    return {
      nodes,
      redis: clients[0]!,
      admin(node) {
        const client = new TokenformClient({ baseUrl: node.url, token: node.adminToken, retries: 0 });
        cleanups.push(() => client.close());
        return client;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `POST /v1/verify` on `node` (anonymous loopback). */
export function verifyAt(node: RunningService, body: unknown): Promise<RawResponse> {
  return rawRequest(node.url, "POST", "/v1/verify", { body });
}

/** The verdict code of a verify that must answer 200. */
export async function verifyCode(node: RunningService, body: unknown): Promise<string> {
  const res = await verifyAt(node, body);
  if (res.status !== 200) throw new Error(`verify answered ${res.status}: ${res.text}`);
  return res.body.code as string;
}
