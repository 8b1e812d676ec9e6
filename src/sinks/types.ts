/**
 * The sink interface: a secret destination (GitHub secret, GitLab variable, local file). Apply calls
 * `deliver` with the resolved destination and the secret; a sink never logs the value and throws
 * `DeliveryError` (never a raw HTTP error that might carry headers) when it fails.
 */
import type { SecretValue } from "../api/secret.js";
import type { Destination } from "../spec/resolved.js";

/** What apply records after a successful delivery. */
export interface DeliveryReceipt {
  /** `destinationId(destination)`. */
  destination: string;
  deliveredAt: string;
  /**
   * Whether the destination was newly created or an existing one replaced (GitHub answers 201 or 204,
   * GitLab needs a POST or a PUT, a file key is appended or rewritten). Absent when a sink cannot tell.
   */
  outcome?: "created" | "updated";
  /**
   * The destination's own id of what was written (a Vault KV version, an AWS Secrets Manager version id, a
   * Kubernetes resourceVersion, a Secret Manager version name), when it has one: recorded with the delivery
   * so `inspect` can tell whether the destination still holds it.
   */
  version?: string;
}

/** What tokenform recorded about its last delivery to a destination. */
export interface RecordedDelivery {
  /** Fingerprint of the secret delivered (`sha256:` + 16 hex). */
  fingerprint: string;
  /** When tokenform delivered it (RFC 3339). */
  deliveredAt: string;
  /** The destination's version id of that delivery (`DeliveryReceipt.version`), when it has one. */
  version?: string;
}

/** What a destination holds: the recorded delivery, or not — and then why, in words for a plan. */
export type DestinationState = { holds: true } | { holds: false; reason: string };

/** Context passed to a sink with each call. */
export interface DeliveryContext {
  /** Token name (for descriptions, e.g. GitLab's "managed by tokenform (backend-ci)"). */
  tokenName: string;
  /** Owner of the TokenSet. */
  owner: string;
  /** Cancels in-flight requests. */
  signal?: AbortSignal;
  /**
   * `deliver` only: what tokenform recorded about its last delivery to this destination (its fingerprint
   * and the destination's version id), so a sink can check-and-set against the version tokenform wrote.
   * Absent on a first delivery, and when the plan showed the destination drifted and apply re-delivers
   * over that drift on purpose. Sinks that write unconditionally ignore it.
   */
  previous?: RecordedDelivery;
}

export interface Sink<D extends { kind: string } = Destination> {
  readonly kind: D["kind"];
  /** Writes `secret` to `destination`, creating or replacing it. */
  deliver(destination: D, secret: SecretValue, context: DeliveryContext): Promise<DeliveryReceipt>;
  /**
   * Whether the destination still holds the delivery tokenform recorded (the plan's destination-drift
   * check): one read, never a write, never the value in a message. Throws `DeliveryError` when it cannot
   * tell (no credential, no permission, the API down): that is not drift.
   */
  inspect(destination: D, delivery: RecordedDelivery, context: DeliveryContext): Promise<DestinationState>;
  /** Removes the secret from the destination (used on delete when the spec asks for it). */
  remove(destination: D, context: DeliveryContext): Promise<void>;
}

/**
 * A failed delivery: destination id, a safe message, and whether a retry may help. Sinks build the message
 * from safe data only (names, paths, statuses, the API's own error text with the secret scrubbed out) and
 * never attach the underlying error as `cause`: an HTTP client error can carry request bodies and headers.
 */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(
    /** `destinationId(destination)` of the destination that failed. */
    readonly destination: string,
    message: string,
    /** HTTP status from the destination's API, when there was one. */
    readonly status?: number,
    /** True when a later run may succeed unchanged (5xx, 429, network, timeouts); false when a person must act. */
    readonly transient = false,
  ) {
    super(message);
  }
}

/** Sinks by kind, as apply receives them (tests inject their own). */
export type SinkRegistry = { [K in Destination["kind"]]: Sink<Extract<Destination, { kind: K }>> };
