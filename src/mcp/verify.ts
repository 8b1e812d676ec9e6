/**
 * Where a guard's verifications go: an in-process token service (its `Verifier`: exact, immediate, no
 * network) or a remote one (`POST /v1/verify`). By default remote verification asks the service on every
 * request: once a DELETE, a disable or an emergency roll has returned, the next request with that key is
 * refused, and no more requests pass than the service admitted. With `cacheTtlMs` the guard keeps positive
 * verdicts that long and follows the service's invalidations (`GET /v1/invalidations`,
 * src/mcp/invalidations.ts), so a write to a key still reaches it within milliseconds — but cached
 * requests are not counted against the key's rate limit or usage. A verify is never retried: it counts
 * against the key's rate limit and usage, and a retry after a timeout could count twice.
 */
import type { Logger } from "pino";
import { TokenformClient } from "../api/client.js";
import type { VerifyResponse } from "../api/schemas.js";
import type { SecretValue } from "../api/secret.js";
import { silentLogger } from "../service/logger.js";
import type { Verdict, Verifier } from "../service/verifier.js";
import type { GuardVerify, GuardVerifyInput } from "./guard.js";
import { RemoteInvalidations } from "./invalidations.js";
import { VerdictCache } from "./verdict-cache.js";

/** Where keys are verified: exactly one of `url` and `service`. */
export interface VerifySource {
  /** Base URL of a remote token service. */
  url?: string;
  /** Admin key with `tokens:verify` (or `tokens:read`) for the remote service; optional over loopback. */
  token?: string | SecretValue;
  /** An in-process token service (anything with a `verifier`), or its `Verifier`. */
  service?: { verifier: Verifier } | Verifier;
  /** Remote verify timeout in ms (default 2000). */
  timeoutMs?: number;
  /**
   * Remote only: keep positive verdicts this long (ms), following the service's invalidations so writes
   * still apply at once (1 s at most while they cannot be heard). Cached requests are not counted against
   * rate limits or usage. Default 0: ask the service on every request.
   */
  cacheTtlMs?: number;
  /** Where the invalidation stream logs its losses and restores (default: silent). */
  logger?: Logger;
}

/** A verify function and a way to release what it holds. */
export interface VerifyBackend {
  verify: GuardVerify;
  close(): Promise<void>;
}

/** A remote verify response as the verdict the in-process verifier gives. */
export function verdictOf(response: VerifyResponse): Verdict {
  const t = response.token;
  const token = t && {
    id: t.id,
    name: t.name,
    type: t.type,
    scopes: t.scopes,
    labels: t.labels,
    account: t.account,
    // A service that predates these fields enforces them itself; assume the type's default.
    readOnly: t.readOnly ?? t.type === "mcp",
    tools: t.tools ?? null,
    expiresAt: t.expiresAt == null ? null : Date.parse(t.expiresAt),
  };
  if (response.valid && token) {
    return { valid: true, code: "VALID", token, ratelimit: response.ratelimit };
  }
  const refusal: Verdict = {
    valid: false,
    code: response.code === "VALID" ? "NOT_FOUND" : response.code,
    message: response.message ?? "the API key was refused",
  };
  if (token) refusal.token = token;
  if (response.ratelimit) refusal.ratelimit = response.ratelimit;
  if (response.retryAfter !== undefined) refusal.retryAfter = response.retryAfter;
  return refusal;
}

/** Builds the verify function for `source`. */
export function verifyBackend(source: VerifySource): VerifyBackend {
  if ((source.url === undefined) === (source.service === undefined)) {
    throw new Error("give exactly one of `url` (a remote token service) or `service` (in-process)");
  }
  if (source.service !== undefined) {
    const verifier = "verifier" in source.service ? source.service.verifier : source.service;
    return {
      verify: async (input) => verifier.verifyCached(input) ?? (await verifier.verify(input)),
      close: async () => {},
    };
  }
  const client = new TokenformClient({
    baseUrl: source.url!,
    token: source.token,
    timeoutMs: source.timeoutMs ?? 2000,
    retries: 0,
  });
  const remote: GuardVerify = async (input) =>
    verdictOf(
      await client.verify({
        token: input.token,
        ip: input.ip,
        scopes: [...input.scopes],
        write: input.write,
        ...(input.tools.length > 0 ? { tools: [...input.tools] } : {}),
        ...(input.signed?.timestamp !== undefined && input.signed.signature !== undefined
          ? {
              signature: {
                timestamp: input.signed.timestamp,
                signature: input.signed.signature,
                ...(input.signed.method !== undefined ? { method: input.signed.method } : {}),
                ...(input.signed.path !== undefined ? { path: input.signed.path } : {}),
                body: Buffer.from(input.signed.body).toString("base64"),
              },
            }
          : {}),
      }),
    );
  const ttl = source.cacheTtlMs ?? 0;
  if (ttl <= 0) return { verify: remote, close: () => client.close() };
  return cachedBackend(source, ttl, remote, () => client.close());
}

/** A remote backend that keeps positive verdicts for `ttl` ms, following the service's invalidations. */
function cachedBackend(
  source: VerifySource,
  ttl: number,
  remote: GuardVerify,
  closeClient: () => Promise<void>,
): VerifyBackend {
  const invalidations = new RemoteInvalidations({
    url: source.url!,
    token: source.token,
    logger: source.logger ?? silentLogger(),
  });
  const cache = new VerdictCache(ttl);
  const unfollow = cache.follow(invalidations);
  invalidations.start();
  return {
    verify: async (input: GuardVerifyInput) => {
      const key = cache.keyOf(input);
      const hit = key === undefined ? undefined : cache.get(key, Date.now());
      if (hit) return hit;
      const epoch = cache.epoch;
      const verdict = await remote(input);
      if (key !== undefined) cache.set(key, verdict, epoch, Date.now());
      return verdict;
    },
    close: async () => {
      unfollow();
      await invalidations.close();
      await closeClient();
    },
  };
}
