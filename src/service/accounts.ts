/**
 * `AccountSettings`: what an account sets for itself through the API — today its hourly rate limit, shared
 * by all its keys (`GET`/`PATCH /v1/account`). The limit in force is the account's own, else the server's
 * default (`tokenform serve --account-rate-limit`, TOKENFORM_ACCOUNT_RATE_LIMIT). Changing it takes an
 * admin key of that account with the first admin key's authority (every token scope, no IP allowlist,
 * expiry or limit of its own: `TokenManager.requireAccountAuthority`): it loosens or tightens every key at
 * once, so a CI key that may only write tokens may not. Each change is audited.
 */
import type { Account } from "../api/schemas.js";
import type { Clock } from "./clock.js";
import { ServiceError } from "./errors.js";
import { newAuditId } from "./ids.js";
import type { AccountRateLimit, TokenStore } from "./store/types.js";
import type { Actor } from "./tokens.js";

export interface AccountSettingsOptions {
  store: TokenStore;
  clock: Clock;
  /** The server's default hourly limit per account; null = unlimited. */
  defaultPerHour: number | null;
  /** Refuses (throws) an actor without the authority an account-wide change needs. */
  requireAuthority: (actor: Actor, what: string) => Promise<void>;
  /** Told after an account's limit changed (the verifier re-reads it and drops its cached keys). */
  onChange: (account: string) => void;
}

export class AccountSettings {
  readonly #options: AccountSettingsOptions;

  constructor(options: AccountSettingsOptions) {
    this.#options = options;
  }

  /** The actor's account as the API shows it. */
  async get(actor: Actor): Promise<Account> {
    const record = await this.#options.store.getAccount(actor.account);
    if (!record) throw new ServiceError("not_found", `account ${actor.account} does not exist`);
    return this.#view(actor.account, record.ratePerHour ?? null);
  }

  /** Sets the actor's account's hourly limit (null: back to the server's default). */
  async setRateLimit(actor: Actor, perHour: AccountRateLimit | null): Promise<Account> {
    await this.#options.requireAuthority(actor, "change the account's rate limit");
    const { store, clock } = this.#options;
    const before = (await store.getAccount(actor.account))?.ratePerHour ?? null;
    const changed = await store.setAccountRateLimit(actor.account, perHour, {
      id: newAuditId(),
      account: actor.account,
      at: clock.now(),
      actor: actor.name,
      actorTokenId: actor.tokenId,
      action: "account.update",
      targetId: null,
      targetName: actor.account,
      changes: { "rateLimit.perHour": { from: before, to: perHour } },
      sourceIp: actor.ip,
    });
    if (!changed) throw new ServiceError("not_found", `account ${actor.account} does not exist`);
    this.#options.onChange(actor.account);
    return this.#view(actor.account, perHour);
  }

  #view(name: string, perHour: AccountRateLimit | null): Account {
    const fallback = this.#options.defaultPerHour ?? "unlimited";
    return { name, rateLimit: { perHour, effective: perHour ?? fallback } };
  }
}
