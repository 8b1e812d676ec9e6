/**
 * Destination drift: whether each destination still holds the delivery tokenform recorded — read once per
 * destination through its sink (`Sink.inspect`: a GitHub secret that still exists and was not updated
 * after the delivery, a GitLab variable that still exists, a file holding the recorded fingerprint). A plan
 * re-delivers where one does not. Reads run a few at a time; a destination that cannot be read is
 * reported as unverified, never as drift (a missing credential must not roll every secret).
 */
import type { DeliveryRecord, Token } from "../api/schemas.js";
import type { Sink, SinkRegistry } from "../sinks/types.js";
import { type Destination, describeDestination } from "../spec/resolved.js";
import type { CheckedDestination, DestinationCheckReport } from "./types.js";

/** Reads in flight at once: enough to hide latency, few enough for GitHub's and GitLab's rate limits. */
export const CHECK_CONCURRENCY = 8;

/** One destination to read: the token and the record of its delivery there. */
export interface DestinationToCheck {
  token: Pick<Token, "id" | "name">;
  record: Omit<DeliveryRecord, "target"> & { target: Destination };
}

/** The destinations holding `token`'s current secret, as its delivery records describe them. */
export function currentDeliveries(token: Token): DestinationToCheck[] {
  return token.deliveries.flatMap((record) =>
    record.target && record.generation === token.generation && record.fingerprint === token.fingerprint
      ? [{ token, record: { ...record, target: record.target as unknown as Destination } }]
      : [],
  );
}

/** Runs `work` over `items`, at most `limit` at once, in order of completion. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Reads every destination in `targets`; the report lists drift and what could not be read. */
export async function checkDestinations(
  sinks: SinkRegistry,
  owner: string,
  targets: DestinationToCheck[],
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<DestinationCheckReport> {
  const drifted: CheckedDestination[] = [];
  const unverified: CheckedDestination[] = [];
  await eachLimited(targets, options.concurrency ?? CHECK_CONCURRENCY, async ({ token, record }) => {
    const sink = sinks[record.target.kind] as unknown as Sink;
    const seen = {
      name: token.name,
      destination: record.destination,
      description: describeDestination(record.target),
    };
    try {
      const state = await sink.inspect(record.target, record, {
        tokenName: token.name,
        owner,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (state.holds) return;
      drifted.push({ ...seen, reason: state.reason });
    } catch (error) {
      unverified.push({ ...seen, reason: error instanceof Error ? error.message : String(error) });
    }
  });
  const order = (a: CheckedDestination, b: CheckedDestination) =>
    a.name.localeCompare(b.name) || a.destination.localeCompare(b.destination);
  return { checked: targets.length, drifted: drifted.sort(order), unverified: unverified.sort(order) };
}
