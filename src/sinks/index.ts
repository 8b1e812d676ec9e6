/**
 * The sinks' front door: `createSinks` builds the registry apply uses, one sink per destination kind (each
 * kind's `sink` in `src/destinations`), with credentials taken from the environment only (`GITHUB_TOKEN`,
 * optional `GITHUB_API_URL` for GitHub Enterprise Server, `GITLAB_TOKEN`, optional `GITLAB_URL`), never
 * from flags. A missing credential does not fail here: the sink that needs it fails with a DeliveryError
 * saying what is needed when first used.
 *
 * A new destination kind (Vault, AWS Secrets Manager) is one more class implementing `Sink`, built by the
 * `sink` of its kind module.
 */

import {
  DESTINATION_KIND_NAMES,
  type DestinationKindName,
  kindOf,
  type SinkOptionsOf,
} from "../destinations/registry.js";
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

/** Every kind's own options of `createSinks` in one object type (`githubBaseUrl`, `gitlab`, …). */
type KindOptions = {
  [K in DestinationKindName]: (options: SinkOptionsOf<K>) => void;
}[DestinationKindName] extends (options: infer All) => void
  ? All
  : never;

/**
 * Options of `createSinks`. All optional: production reads everything from `process.env`. Besides these,
 * each kind declares its own (`src/destinations/<kind>`): `githubBaseUrl` and `github` (write interval,
 * retries, rate-limit waits), `gitlabUrl` and `gitlab` (retries, timeout).
 */
export type CreateSinksOptions = KindOptions & {
  /** Where credentials and URLs are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Fetch implementation for the HTTP sinks (default: Node's global fetch). */
  fetch?: typeof globalThis.fetch;
  logger?: SinkLogger;
};

/** The registry of every sink, configured from the environment. Never throws for missing credentials. */
export function createSinks(options: CreateSinksOptions = {}): SinkRegistry {
  const env = options.env ?? process.env;
  const logger = options.logger ? maskingLogger(options.logger) : undefined;
  const config = { env, options: { ...options, logger } };
  return Object.fromEntries(
    DESTINATION_KIND_NAMES.map((name) => [name, kindOf(name).sink(config)]),
  ) as unknown as SinkRegistry;
}
