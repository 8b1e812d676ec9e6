/**
 * The GitHub Actions secrets sink: repository, environment and organisation secrets. Each delivery seals
 * the secret to the target's public key (fetched once per target for the life of the sink), then PUTs it.
 *
 * Write pacing: GitHub asks integrators not to send content-creating requests concurrently and counts
 * them against a secondary limit of about 80 per minute (500 per hour). Every PUT and DELETE of this sink
 * (retries included) is sent one at a time, at least `writeIntervalMs` after the previous one was sent:
 * 1000 ms by default, i.e. at most 60 writes a minute, leaving room for the Action's own PR comments.
 * Past that, the throttling plugin waits out whatever `Retry-After` GitHub sends. Reads are not paced.
 * GitHub's hourly cap (500 content-creating requests) is left to that plugin: a run that big is unusual.
 */
import type { Octokit } from "@octokit/rest";
import type { SecretValue } from "../../api/secret.js";
import { destinationId, type GithubDestination } from "../../spec/resolved.js";
import { type SinkLogger, silentLogger } from "../logger.js";
import { deliveryReceipt } from "../receipt.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../retry.js";
import {
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type DestinationState,
  type RecordedDelivery,
  type Sink,
} from "../types.js";
import { createGithubClient, DEFAULT_RATE_LIMIT_POLICY, type RateLimitPolicy } from "./client.js";
import { type GithubStep, githubDeliveryError } from "./errors.js";
import { sealForGithub } from "./seal.js";
import { describeOwner, type GithubTarget, githubTarget, keyCacheKey, permissionHint } from "./target.js";

/** GitHub.com's REST root; GHES uses `https://HOST/api/v3` (the Actions runner's `GITHUB_API_URL`). */
export const GITHUB_DEFAULT_API_URL = "https://api.github.com";

/** 1000 ms between writes = 60 a minute, under GitHub's ~80 content-creating requests per minute. */
export const DEFAULT_GITHUB_WRITE_INTERVAL_MS = 1000;

/**
 * How much later than the recorded delivery a secret's `updated_at` may be and still be tokenform's own
 * write: the delivery time is the client's clock, `updated_at` GitHub's.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** 30 s per request: GitHub answers these calls in well under a second; a hung connection must not hang apply. */
export const DEFAULT_GITHUB_TIMEOUT_MS = 30_000;

/** Options of `GithubSink`; everything but the token has a production default. */
export interface GithubSinkOptions {
  /** The credential (`GITHUB_TOKEN`); when absent every call fails with a DeliveryError saying so. */
  token?: string;
  /** REST root (default `https://api.github.com`). */
  baseUrl?: string;
  /** Fetch implementation (default: Node's global fetch). */
  fetch?: typeof globalThis.fetch;
  logger?: SinkLogger;
  /** Minimum ms between two writes (PUT/DELETE) being sent, retries included (default 1000). */
  writeIntervalMs?: number;
  /** Per-request timeout in ms (default 30 s); a timed-out request is retried like a 5xx. */
  timeoutMs?: number;
  /** Retries for 5xx / network errors / timeouts (default 3, backoff 1 s × 1, 4, 9). */
  retry?: Partial<RetryPolicy>;
  /** Waiting on rate limits (see `DEFAULT_RATE_LIMIT_POLICY`). */
  rateLimit?: Partial<RateLimitPolicy>;
}

/** A public key as GitHub returns it (`GET …/secrets/public-key`). */
interface PublicKey {
  key_id: string;
  key: string;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as { status?: unknown }).status === 404;
}

export class GithubSink implements Sink<GithubDestination> {
  readonly kind = "github" as const;
  readonly #token: string | undefined;
  readonly #baseUrl: string;
  readonly #options: GithubSinkOptions;
  readonly #logger: SinkLogger;
  #client: Octokit | undefined;
  /** Public keys by target (`keyCacheKey`): fetched once per target per run, shared by concurrent calls. */
  readonly #keys = new Map<string, Promise<PublicKey>>();
  /** Repository ids by `owner/repo` (for `selected_repository_ids`). */
  readonly #repoIds = new Map<string, Promise<number>>();

  constructor(options: GithubSinkOptions = {}) {
    this.#options = options;
    this.#token = options.token || undefined;
    this.#baseUrl = (options.baseUrl || GITHUB_DEFAULT_API_URL).replace(/\/+$/, "");
    this.#logger = options.logger ?? silentLogger;
  }

  async deliver(
    d: GithubDestination,
    secret: SecretValue,
    context: DeliveryContext,
  ): Promise<DeliveryReceipt> {
    const destination = destinationId(d);
    const target = githubTarget(d);
    const octokit = this.#clientFor(destination, target);
    let step: GithubStep = { step: "public-key" };
    const request = context.signal ? { signal: context.signal } : {};
    try {
      const key = await this.#publicKey(octokit, target, context.signal);
      const encrypted_value = await sealForGithub(key.key, secret.reveal());
      let status: number;
      switch (target.scope) {
        case "repository": {
          step = { step: "write" };
          const params = { owner: target.owner, repo: target.repo, secret_name: target.secret };
          const res = await octokit.rest.actions.createOrUpdateRepoSecret({
            ...params,
            encrypted_value,
            key_id: key.key_id,
            request,
          });
          status = res.status;
          break;
        }
        case "environment": {
          step = { step: "write" };
          const params = {
            owner: target.owner,
            repo: target.repo,
            environment_name: target.environment,
            secret_name: target.secret,
          };
          const res = await octokit.rest.actions.createOrUpdateEnvironmentSecret({
            ...params,
            encrypted_value,
            key_id: key.key_id,
            request,
          });
          status = res.status;
          break;
        }
        case "organization": {
          let selected_repository_ids: number[] | undefined;
          if (target.visibility === "selected") {
            selected_repository_ids = [];
            for (const repository of target.repositories) {
              step = { step: "resolve-repository", repository };
              selected_repository_ids.push(await this.#repositoryId(octokit, repository, context.signal));
            }
          }
          step = { step: "write" };
          const res = await octokit.rest.actions.createOrUpdateOrgSecret({
            org: target.org,
            secret_name: target.secret,
            encrypted_value,
            key_id: key.key_id,
            visibility: target.visibility,
            ...(selected_repository_ids ? { selected_repository_ids } : {}),
            request,
          });
          status = res.status;
          break;
        }
      }
      // GitHub answers 201 when it created the secret and 204 when it replaced one; both are success.
      const outcome = status === 201 ? "created" : "updated";
      return deliveryReceipt(this.#logger, {
        sink: "github",
        place: "GitHub",
        destination,
        secret,
        outcome,
        context,
      });
    } catch (error) {
      throw githubDeliveryError(error, {
        destination,
        target,
        step,
        secrets: [secret.reveal(), this.#token],
        baseUrl: this.#baseUrl,
      });
    }
  }

  /**
   * GitHub never returns a secret's value, so a secret holds tokenform's delivery when it exists and was
   * not updated after it: `updated_at` later than the recorded delivery (by more than `CLOCK_SKEW_MS`, the
   * delivery time being the client's clock) means someone else wrote it.
   */
  async inspect(
    d: GithubDestination,
    delivery: RecordedDelivery,
    context: DeliveryContext,
  ): Promise<DestinationState> {
    const destination = destinationId(d);
    const target = githubTarget(d);
    const octokit = this.#clientFor(destination, target);
    const request = context.signal ? { signal: context.signal } : {};
    let updatedAt: string;
    try {
      switch (target.scope) {
        case "repository":
          ({
            data: { updated_at: updatedAt },
          } = await octokit.rest.actions.getRepoSecret({
            owner: target.owner,
            repo: target.repo,
            secret_name: target.secret,
            request,
          }));
          break;
        case "environment":
          ({
            data: { updated_at: updatedAt },
          } = await octokit.rest.actions.getEnvironmentSecret({
            owner: target.owner,
            repo: target.repo,
            environment_name: target.environment,
            secret_name: target.secret,
            request,
          }));
          break;
        case "organization":
          ({
            data: { updated_at: updatedAt },
          } = await octokit.rest.actions.getOrgSecret({
            org: target.org,
            secret_name: target.secret,
            request,
          }));
          break;
      }
    } catch (error) {
      if (isNotFound(error)) return { holds: false, reason: "the secret no longer exists" };
      throw githubDeliveryError(error, this.#errorContext(destination, target, { step: "read" }));
    }
    if (Date.parse(updatedAt) > Date.parse(delivery.deliveredAt) + CLOCK_SKEW_MS) {
      return {
        holds: false,
        reason: `the secret was updated at ${updatedAt}, after tokenform delivered it at ${delivery.deliveredAt}`,
      };
    }
    return { holds: true };
  }

  async remove(d: GithubDestination, context: DeliveryContext): Promise<void> {
    const destination = destinationId(d);
    const target = githubTarget(d);
    const octokit = this.#clientFor(destination, target);
    const request = context.signal ? { signal: context.signal } : {};
    try {
      switch (target.scope) {
        case "repository":
          await octokit.rest.actions.deleteRepoSecret({
            owner: target.owner,
            repo: target.repo,
            secret_name: target.secret,
            request,
          });
          break;
        case "environment":
          await octokit.rest.actions.deleteEnvironmentSecret({
            owner: target.owner,
            repo: target.repo,
            environment_name: target.environment,
            secret_name: target.secret,
            request,
          });
          break;
        case "organization":
          await octokit.rest.actions.deleteOrgSecret({
            org: target.org,
            secret_name: target.secret,
            request,
          });
          break;
      }
      this.#logger.info({ sink: "github", destination, token: context.tokenName }, "removed GitHub secret");
    } catch (error) {
      // Already gone is what we wanted.
      if (isNotFound(error)) return;
      throw githubDeliveryError(error, this.#errorContext(destination, target, { step: "delete" }));
    }
  }

  #errorContext(destination: string, target: GithubTarget, step: GithubStep) {
    return { destination, target, step, secrets: [this.#token], baseUrl: this.#baseUrl };
  }

  /** The client, built on first use; without a token, a DeliveryError naming what is needed. */
  #clientFor(destination: string, target: GithubTarget): Octokit {
    if (!this.#token) {
      throw new DeliveryError(
        destination,
        `GITHUB_TOKEN is not set: a token with permission to write Actions secrets on ${describeOwner(target)} ` +
          `is needed (${permissionHint(target)}). Set it in the environment; tokenform never takes credentials from flags.`,
      );
    }
    this.#client ??= createGithubClient({
      token: this.#token,
      baseUrl: this.#baseUrl,
      fetch: this.#options.fetch,
      logger: this.#logger,
      retry: { ...DEFAULT_RETRY_POLICY, ...this.#options.retry },
      rateLimit: { ...DEFAULT_RATE_LIMIT_POLICY, ...this.#options.rateLimit },
      writeIntervalMs: this.#options.writeIntervalMs ?? DEFAULT_GITHUB_WRITE_INTERVAL_MS,
      timeoutMs: this.#options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS,
    });
    return this.#client;
  }

  #publicKey(octokit: Octokit, target: GithubTarget, signal?: AbortSignal): Promise<PublicKey> {
    const cacheKey = keyCacheKey(target);
    let pending = this.#keys.get(cacheKey);
    if (!pending) {
      const request = signal ? { signal } : {};
      pending = (async (): Promise<PublicKey> => {
        switch (target.scope) {
          case "repository":
            return (
              await octokit.rest.actions.getRepoPublicKey({ owner: target.owner, repo: target.repo, request })
            ).data;
          case "environment":
            return (
              await octokit.rest.actions.getEnvironmentPublicKey({
                owner: target.owner,
                repo: target.repo,
                environment_name: target.environment,
                request,
              })
            ).data;
          case "organization":
            return (await octokit.rest.actions.getOrgPublicKey({ org: target.org, request })).data;
        }
      })();
      this.#keys.set(cacheKey, pending);
      // A failed fetch is not cached: the next delivery to this target asks again.
      pending.catch(() => this.#keys.delete(cacheKey));
    }
    return pending;
  }

  #repositoryId(octokit: Octokit, fullName: string, signal?: AbortSignal): Promise<number> {
    let pending = this.#repoIds.get(fullName);
    if (!pending) {
      const [owner = "", repo = ""] = fullName.split("/");
      const request = signal ? { signal } : {};
      pending = octokit.rest.repos.get({ owner, repo, request }).then((res) => res.data.id);
      this.#repoIds.set(fullName, pending);
      pending.catch(() => this.#repoIds.delete(fullName));
    }
    return pending;
  }
}
