/**
 * A token's lifecycle as of a moment: which of its stored secrets still count, what its status is, and
 * how it looks through the API. Time-based changes (a pending deadline or an overlap that lapsed) take
 * effect here at read time, so they hold before the sweeper has deleted anything.
 */
import type { Token, TokenStatus } from "../api/schemas.js";
import { iso, isoOrNull } from "./clock.js";
import type { SecretRecord, StoredToken, TokenPickup, TokenRecord } from "./store/types.js";
import { laterUse } from "./store/usage-merge.js";

/** Whether an unconfirmed pending token has passed its deadline (it is then gone for every purpose). */
export function pendingLapsed(token: TokenRecord, now: number): boolean {
  return token.pending && token.pendingExpiresAt !== null && token.pendingExpiresAt <= now;
}

/**
 * The token as it stands at `now`: undefined when it was pending and lapsed; otherwise without a lapsed
 * pending roll's secret and without previous secrets whose overlap ended.
 */
export function effectiveToken<T extends TokenRecord>(token: T, now: number): T | undefined {
  if (pendingLapsed(token, now)) return undefined;
  const rollLapsed = !token.pending && token.pendingExpiresAt !== null && token.pendingExpiresAt <= now;
  const secrets = token.secrets.filter(
    (s) =>
      !(s.state === "next" && rollLapsed) &&
      !(s.state === "previous" && s.expiresAt !== null && s.expiresAt <= now),
  );
  if (!rollLapsed && secrets.length === token.secrets.length) return token;
  return { ...token, secrets, pendingExpiresAt: rollLapsed ? null : token.pendingExpiresAt };
}

/**
 * A picked-up key whose current secret must stop now (a roll with no overlap: a leaked key): every secret
 * it had is replaced by `placeholder`, never released, and the key waits again — pending, with no deadline
 * — for its holder's next approved pickup. Pending keys never authenticate, so neither the leaked secret
 * nor the placeholder does, and the leaked key cannot approve the pickup of its own successor.
 */
export function waitingAgainForPickup(
  token: TokenRecord & { pickup: TokenPickup },
  placeholder: SecretRecord,
  now: number,
): TokenRecord {
  return {
    ...token,
    pending: true,
    pendingExpiresAt: null,
    secrets: [placeholder],
    lastGeneration: placeholder.generation,
    rotatedAt: now,
    pickup: { ...token.pickup, openedAt: now, overlapSeconds: null },
  };
}

/** `pending` until confirmed, then `disabled` / `expired` / `active`. */
export function tokenStatus(token: TokenRecord, now: number): TokenStatus {
  if (token.pending) return "pending";
  if (!token.enabled) return "disabled";
  if (token.expiresAt !== null && token.expiresAt <= now) return "expired";
  return "active";
}

/** The secret the token presents: a pending roll's new secret, otherwise the current one. */
export function presentedSecret(token: TokenRecord): SecretRecord {
  const next = token.secrets.find((s) => s.state === "next");
  const current = token.secrets.find((s) => s.state === "current");
  const shown = next ?? current;
  if (!shown) throw new Error(`token ${token.id} has no current secret`);
  return shown;
}

/** Usage not yet flushed to the store, merged into API views so reads are never behind. */
export interface PendingUsage {
  requests: number;
  failures: number;
  lastUsedAt: number | null;
  lastUsedIp: string | null;
}

/** Where a picked-up key goes (the client entry), without its pickup's state. */
export function pickupTarget(pickup: Pick<TokenPickup, "client" | "server" | "url" | "header">) {
  return { client: pickup.client, server: pickup.server, url: pickup.url, header: pickup.header };
}

/** The API view of an (effective) token. Never includes a secret or a digest. */
export function toApiToken(token: StoredToken, now: number, unflushed?: PendingUsage): Token {
  const shown = presentedSecret(token);
  const previous = token.secrets
    .filter((s) => s !== shown && s.state !== "next")
    .sort((a, b) => b.generation - a.generation)
    .map((s) => ({
      displayPrefix: s.displayPrefix,
      fingerprint: s.fingerprint,
      generation: s.generation,
      // The current secret during a pending roll keeps working until confirm + overlap: no end yet.
      expiresAt: s.state === "current" ? null : isoOrNull(s.expiresAt),
    }));
  const lastUse = unflushed ? laterUse(token, unflushed) : token;
  return {
    id: token.id,
    account: token.account,
    name: token.name,
    description: token.description,
    type: token.type,
    scopes: [...token.scopes],
    readOnly: token.readOnly,
    labels: { ...token.labels },
    ipAllowlist: [...token.ipAllowlist],
    tools: token.tools === null ? null : [...token.tools],
    rateLimit: { perMinute: token.ratePerMinute, perHour: token.ratePerHour },
    status: tokenStatus(token, now),
    enabled: token.enabled,
    displayPrefix: shown.displayPrefix,
    fingerprint: shown.fingerprint,
    generation: shown.generation,
    previousSecrets: previous,
    deliveries: token.deliveries.map((d) => ({ ...d })),
    destinations: [...token.destinations],
    createdAt: iso(token.createdAt),
    createdBy: token.createdBy,
    updatedAt: iso(token.updatedAt),
    rotatedAt: iso(token.rotatedAt),
    expiresAt: isoOrNull(token.expiresAt),
    pendingExpiresAt: isoOrNull(token.pendingExpiresAt),
    lastUsedAt: isoOrNull(lastUse.lastUsedAt),
    lastUsedIp: lastUse.lastUsedIp,
    requestCount: token.requestCount + (unflushed?.requests ?? 0),
    failedAttempts: token.failedAttempts + (unflushed?.failures ?? 0),
    version: token.version,
    holder: token.holder,
    pickup: token.pickup && {
      ...pickupTarget(token.pickup),
      waitingSince: isoOrNull(token.pickup.openedAt),
      pickedUpAt: isoOrNull(token.pickup.releasedAt),
      deliveredAt: isoOrNull(token.pickup.deliveredAt),
    },
  };
}
