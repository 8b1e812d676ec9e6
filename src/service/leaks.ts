/**
 * What the service does when a key is reported leaked (GitHub secret scanning's partner alerts,
 * `POST /v1/leaks/github`): a leaked previous secret (one still working through a rotation's overlap) is
 * ended at once — the token's current secret is untouched, so nothing else stops; a leaked current
 * secret is handled as the operator chose (`--leak-action`): `disable` the token at once (the default),
 * `roll` it with no overlap (the leaked secret stops; the new one reaches its destinations on the next
 * apply, which re-delivers it), or `report` only. Every case stamps `tokenform.dev/leaked-at` on the token
 * and writes a `token.leak` audit entry with where the key was found, so the owner's next plan reports the
 * leak and issues a new secret with no overlap (src/plan/token-rules.ts).
 */
import { LEAKED_AT_LABEL } from "../api/schemas.js";
import { waitingAgainForPickup } from "./lifecycle.js";
import type { SecretRecord, StoredToken, TokenRecord } from "./store/types.js";

/** What to do with a token whose current secret leaked. */
export const LEAK_ACTIONS = ["disable", "roll", "report"] as const;
export type LeakAction = (typeof LEAK_ACTIONS)[number];

export { LEAKED_AT_LABEL };

/** Actor name of the writes a leak report makes, as the audit log shows it. */
export const LEAK_ACTOR = "github-secret-scanning";

/** One reported key, as GitHub sends it (`{token, type, url, source}`). */
export interface LeakReport {
  /** Where the key was found (a commit, gist or package URL). */
  url?: string;
  /** `content`, `commit`, `pull_request_description`, `npm`, … */
  source?: string;
}

/** What the response to a leak does to the token: the next record and what the audit entry says. */
export interface LeakResponse {
  next: TokenRecord;
  /** `previous`: an overlap was ended; otherwise the action taken on the current secret. */
  handled: "previous" | LeakAction;
  changes: Record<string, { from: unknown; to: unknown }>;
}

/**
 * The token after the leak of `secret` is answered with `action` at `now`. `roll` needs the new current
 * secret (made by the caller, which owns secret generation); absent for the other actions.
 */
export function respondToLeak(
  token: StoredToken,
  secret: SecretRecord,
  report: LeakReport,
  action: LeakAction,
  now: number,
  rolled?: { secret: SecretRecord; generation: number },
): LeakResponse {
  const at = new Date(now).toISOString();
  const labels = { ...token.labels, [LEAKED_AT_LABEL]: at };
  const where = { url: report.url ?? null, source: report.source ?? null };
  const base = { ...token, labels, updatedAt: now, version: token.version + 1 };
  if (secret.state !== "current") {
    // A previous (or unconfirmed next) secret: ending it stops nothing that should keep working.
    const secrets = token.secrets.filter((s) => s.digest !== secret.digest);
    return {
      next: { ...base, secrets },
      handled: "previous",
      changes: {
        leak: { from: null, to: { ...where, secret: secret.state, generation: secret.generation } },
      },
    };
  }
  const leak = {
    leak: { from: null, to: { ...where, secret: "current", generation: secret.generation, action } },
  };
  switch (action) {
    case "disable":
      return {
        next: { ...base, enabled: false },
        handled: action,
        changes: { ...leak, enabled: { from: token.enabled, to: false } },
      };
    case "roll": {
      if (rolled === undefined) throw new Error("respondToLeak: a roll needs the new secret");
      // No overlap: every older secret stops with the leaked one. A picked-up key's new secret is its
      // holder's to pick up: the rolled one is a placeholder, and the key waits for the next pickup.
      if (token.pickup) {
        return {
          next: waitingAgainForPickup({ ...base, pickup: token.pickup }, rolled.secret, now),
          handled: action,
          changes: {
            ...leak,
            overlap: { from: null, to: "0s" },
            pickup: { from: token.pickup.openedAt === null ? null : "waiting", to: "waiting" },
          },
        };
      }
      return {
        next: { ...base, secrets: [rolled.secret], lastGeneration: rolled.generation, rotatedAt: now },
        handled: action,
        changes: { ...leak, overlap: { from: null, to: "0s" } },
      };
    }
    case "report":
      return { next: base, handled: action, changes: leak };
  }
}
