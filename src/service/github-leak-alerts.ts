/**
 * GitHub secret scanning's partner alerts, as `POST /v1/leaks/github` receives them: the body is a JSON
 * list of `{token, type, url, source}`, signed by GitHub with ECDSA (SHA-256, DER, base64) in
 * `GITHUB-PUBLIC-KEY-SIGNATURE` under the key named by `GITHUB-PUBLIC-KEY-IDENTIFIER`. GitHub publishes its
 * keys at `https://api.github.com/meta/public_keys/secret_scanning` (`public_keys[]`: `key_identifier`,
 * `key` as PEM, `is_current`); the service fetches them from a configurable URL, caches them for an hour
 * and fetches again (at most once a minute) when an alert names a key it does not know, so a rotation of
 * GitHub's keys needs no restart. The answer is the program's: per reported token its SHA-256 hash, type
 * and `true_positive` or `false_positive` — never the token itself.
 */
import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import type { LeakAlertSchema, LeakAnswerSchema } from "../api/schemas.js";
import { ServiceError } from "./errors.js";
import type { LeakAction } from "./leaks.js";
import type { TokenManager } from "./tokens.js";

/** Where GitHub publishes the keys that sign its secret scanning alerts. */
export const GITHUB_LEAK_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";

/** How long fetched keys are trusted before they are fetched again. */
const KEYS_TTL_MS = 3_600_000;
/** Least time between two fetches caused by an unknown key id (an attacker cannot make us hammer GitHub). */
const REFETCH_MIN_MS = 60_000;

const PublicKeysSchema = z.object({
  public_keys: z.array(
    z.object({ key_identifier: z.string(), key: z.string(), is_current: z.boolean().optional() }),
  ),
});

/** One reported match. */
export type LeakAlert = z.infer<typeof LeakAlertSchema>[number];

/** The program's answer for one reported token. */
export type LeakAlertAnswer = z.infer<typeof LeakAnswerSchema>[number];

/** The answer for `alert`: its hex SHA-256, never the token. */
export function answerFor(alert: LeakAlert, found: boolean): LeakAlertAnswer {
  return {
    token_hash: createHash("sha256").update(alert.token).digest("hex"),
    token_type: alert.type,
    label: found ? "true_positive" : "false_positive",
  };
}

/** GitHub's published keys, fetched on demand and cached. */
export class GithubAlertKeys {
  readonly #url: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => number;
  #keys = new Map<string, KeyObject>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #fetching: Promise<void> | undefined;

  constructor(options: { url?: string; fetch?: typeof globalThis.fetch; now?: () => number } = {}) {
    this.#url = options.url ?? GITHUB_LEAK_KEYS_URL;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
  }

  async #refresh(): Promise<void> {
    this.#fetching ??= (async () => {
      try {
        const response = await this.#fetch(this.#url, {
          headers: { Accept: "application/json" },
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok) throw new Error(`${this.#url} answered ${response.status}`);
        const parsed = PublicKeysSchema.parse(await response.json());
        const keys = new Map<string, KeyObject>();
        for (const key of parsed.public_keys) keys.set(key.key_identifier, createPublicKey(key.key));
        this.#keys = keys;
      } finally {
        // Success or not, wait before fetching again: a failing or slow key URL is not hit per request.
        this.#fetchedAt = this.#now();
        this.#fetching = undefined;
      }
    })();
    return this.#fetching;
  }

  /** The key named `id`; fetches the list when it is stale, or when `id` is new and a minute has passed. */
  async key(id: string): Promise<KeyObject | undefined> {
    const age = this.#now() - this.#fetchedAt;
    if (age > KEYS_TTL_MS || (!this.#keys.has(id) && age > REFETCH_MIN_MS)) await this.#refresh();
    return this.#keys.get(id);
  }
}

/** Why an alert's signature does not hold, or undefined when it does. */
export async function signatureProblem(
  body: Buffer,
  headers: { keyId: string | undefined; signature: string | undefined },
  keys: GithubAlertKeys,
): Promise<string | undefined> {
  if (!headers.keyId || !headers.signature) {
    return "GITHUB-PUBLIC-KEY-IDENTIFIER and GITHUB-PUBLIC-KEY-SIGNATURE are required";
  }
  // GitHub's key identifiers are SHA-256 hex digests: anything else is refused without fetching keys.
  if (!/^[0-9a-f]{64}$/i.test(headers.keyId)) return "GITHUB-PUBLIC-KEY-IDENTIFIER is not a key identifier";
  const key = await keys.key(headers.keyId);
  if (key === undefined) return `unknown key identifier ${JSON.stringify(headers.keyId.slice(0, 80))}`;
  const signature = Buffer.from(headers.signature, "base64");
  return verify("sha256", body, key, signature) ? undefined : "the signature does not match the body";
}

/** What receiving alerts needs: GitHub's keys, the token manager's leak response, the chosen action. */
export interface LeakAlertsOptions {
  keys: GithubAlertKeys;
  manager: Pick<TokenManager, "reportLeak">;
  action: LeakAction;
  logger: Logger;
}

/** Receives GitHub's alerts: checks the signature, answers each reported key, says which were ours. */
export class GithubLeakAlerts {
  constructor(readonly options: LeakAlertsOptions) {}

  async receive(
    alerts: readonly LeakAlert[],
    body: Buffer,
    headers: { keyId: string | undefined; signature: string | undefined },
  ): Promise<LeakAlertAnswer[]> {
    const problem = await signatureProblem(body, headers, this.options.keys).catch(
      (error: unknown) =>
        `GitHub's keys could not be fetched (${error instanceof Error ? error.message : String(error)})`,
    );
    if (problem !== undefined)
      throw new ServiceError("invalid_signature", `not a GitHub secret scanning alert: ${problem}`);
    const answers: LeakAlertAnswer[] = [];
    for (const alert of alerts) {
      const outcome = await this.options.manager.reportLeak(
        alert.token,
        { url: alert.url, source: alert.source },
        this.options.action,
      );
      if (outcome) {
        this.options.logger.warn(
          {
            tokenId: outcome.token.id,
            account: outcome.token.account,
            handled: outcome.handled,
            url: alert.url,
          },
          "GitHub secret scanning reported a key of this service as leaked",
        );
      }
      answers.push(answerFor(alert, outcome !== undefined));
    }
    return answers;
  }
}
