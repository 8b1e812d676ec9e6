/**
 * The end of a successful delivery, the same for every sink: one info line (sink, destination,
 * fingerprint, outcome, token — never a value) and the receipt apply records, with the destination's own
 * version id when it has one.
 */
import type { SecretValue } from "../api/secret.js";
import type { SinkLogger } from "./logger.js";
import type { DeliveryContext, DeliveryReceipt } from "./types.js";

export interface Delivered {
  /** The sink's kind, as the log line names it (`vault`, `awsSecretsManager`). */
  sink: string;
  /** The log message's place, e.g. `Vault`: "delivered secret to Vault". */
  place: string;
  /** `destinationId(destination)`. */
  destination: string;
  secret: SecretValue;
  outcome: "created" | "updated";
  context: DeliveryContext;
  /** The destination's version id of what was written, when it has one. */
  version?: string;
}

/** Logs a delivery and returns its receipt. */
export function deliveryReceipt(logger: SinkLogger, delivered: Delivered): DeliveryReceipt {
  const { sink, place, destination, secret, outcome, context, version } = delivered;
  logger.info(
    { sink, destination, fingerprint: secret.fingerprint, outcome, token: context.tokenName },
    `delivered secret to ${place}`,
  );
  return {
    destination,
    deliveredAt: new Date().toISOString(),
    outcome,
    ...(version ? { version } : {}),
  };
}
