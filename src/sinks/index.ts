/**
 * The sinks' front door: `createSinks` builds the registry apply uses (GitHub, GitLab, local file), with
 * credentials taken from the environment only (`GITHUB_TOKEN`, optional `GITHUB_API_URL` for GitHub
 * Enterprise Server, `GITLAB_TOKEN`, optional `GITLAB_URL`), never from flags. A missing credential does
 * not fail here: the sink that needs it fails with a DeliveryError saying what is needed when first used.
 *
 * A new destination kind (Vault, AWS Secrets Manager) is one more class implementing `Sink` and one more
 * entry here and in the `Destination` union.
 */

import { FileSink } from "./file/sink.js";
import { GithubSink, type GithubSinkOptions } from "./github/sink.js";
import { GitlabSink, type GitlabSinkOptions } from "./gitlab/sink.js";
import { maskingLogger, type SinkLogger } from "./logger.js";
import type { SinkRegistry } from "./types.js";

export { FileSink } from "./file/sink.js";
export type { GithubSinkOptions } from "./github/sink.js";
export { DEFAULT_GITHUB_WRITE_INTERVAL_MS, GITHUB_DEFAULT_API_URL, GithubSink } from "./github/sink.js";
export { GITLAB_DEFAULT_URL } from "./gitlab/api.js";
export { maskingProblem } from "./gitlab/masking.js";
export type { GitlabSinkOptions } from "./gitlab/sink.js";
export { GitlabSink } from "./gitlab/sink.js";
export type { SinkLogger } from "./logger.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
export type {
  DeliveryContext,
  DeliveryReceipt,
  DestinationState,
  RecordedDelivery,
  Sink,
  SinkRegistry,
} from "./types.js";
export { DeliveryError } from "./types.js";

/** Options of `createSinks`. All optional: production reads everything from `process.env`. */
export interface CreateSinksOptions {
  /** Where credentials and URLs are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** GitHub REST root; overrides `GITHUB_API_URL` (default https://api.github.com). */
  githubBaseUrl?: string;
  /** GitLab instance URL; overrides `GITLAB_URL` (default https://gitlab.com). */
  gitlabUrl?: string;
  /** Fetch implementation for both HTTP sinks (default: Node's global fetch). */
  fetch?: typeof globalThis.fetch;
  logger?: SinkLogger;
  /** Fine tuning of the GitHub sink (write interval, retries, rate-limit waits); tests and benchmarks lower them. */
  github?: Omit<GithubSinkOptions, "token" | "baseUrl" | "fetch" | "logger">;
  /** Fine tuning of the GitLab sink (retries, timeout). */
  gitlab?: Omit<GitlabSinkOptions, "token" | "url" | "fetch" | "logger">;
}

/** The registry of every sink, configured from the environment. Never throws for missing credentials. */
export function createSinks(options: CreateSinksOptions = {}): SinkRegistry {
  const env = options.env ?? process.env;
  const logger = options.logger ? maskingLogger(options.logger) : undefined;
  const common = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(logger ? { logger } : {}),
  };
  return {
    github: new GithubSink({
      ...options.github,
      ...common,
      token: env.GITHUB_TOKEN,
      baseUrl: options.githubBaseUrl || env.GITHUB_API_URL || undefined,
    }),
    gitlab: new GitlabSink({
      ...options.gitlab,
      ...common,
      token: env.GITLAB_TOKEN,
      url: options.gitlabUrl || env.GITLAB_URL || undefined,
    }),
    file: new FileSink(logger ? { logger } : {}),
  };
}
