/**
 * Pickups: how a key declared for a person (`holder` + `pickup` in the spec) reaches that person's own
 * machine, which no GitOps run can write to. It is a device flow in the manner of RFC 8628 (and
 * `gh auth login`): the holder's `tokenform pickup` opens a session and shows a short user code; an admin
 * approves that code (`tokenform approve CODE`), or the key the holder sent with the request — their own,
 * logged in with `tokenform login` — approves it at once. The CLI polls with the device code only it
 * holds; the first poll after approval releases each waiting key's new secret, once, and the session is
 * spent. The CLI writes the keys into the MCP clients' configurations and confirms delivery.
 *
 * Sessions live in the store (any instance answers any poll); the sweeper deletes expired ones
 * (`TokenManager.sweep`).
 * Every step is audited: `pickup.open`, `pickup.approve`, `token.pickup` per released key,
 * `token.picked_up` per written key.
 */
import { randomInt } from "node:crypto";
import type { ClaimedPickup, Pickup } from "../api/schemas.js";
import { randomBase62 } from "../spec/token-format.js";
import { FIRST_ACCOUNT } from "./bootstrap.js";
import type { Clock } from "./clock.js";
import { iso } from "./clock.js";
import type { Digester } from "./digest.js";
import { ServiceError } from "./errors.js";
import { newAuditId } from "./ids.js";
import type { AuditRecord, PickupRecord, TokenStore } from "./store/types.js";
import { StoreConflictError } from "./store/types.js";
import type { Actor, TokenManager } from "./tokens.js";
import type { Verifier } from "./verifier.js";

/** User codes: consonants only (no vowels, so no words; no 0/O or 1/I confusion), 20^8 ≈ 2.6·10^10. */
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LENGTH = 8;
/** Device codes: 40 base62 characters ≈ 238 bits, kept as a digest only. */
const DEVICE_CODE_PREFIX = "tfpk_";
const DEVICE_CODE_LENGTH = 40;
/**
 * Sessions that may wait for approval at once for a holder from one address: enough for a retry or two.
 * Counted per address so that someone who knows a holder's name cannot use up the holder's own pickup.
 */
export const MAX_WAITING_PICKUPS = 5;
/**
 * Sessions that may wait for one holder from all addresses together: the bound on what anonymous requests
 * can store (a holder with no key waiting gets no session at all).
 */
export const MAX_WAITING_PICKUPS_PER_HOLDER = 50;
/** The audit actor of a session opened without a key. */
const ANONYMOUS = "anonymous pickup request";

export interface PickupOptions {
  store: TokenStore;
  manager: TokenManager;
  verifier: Verifier;
  clock: Clock;
  digester: Digester;
  /** How long a session may wait for approval and its claim (default 15 minutes, as GitHub's). */
  ttlSeconds?: number;
  /** Seconds a CLI waits between polls (default 5, RFC 8628's default). */
  intervalSeconds?: number;
}

/** Who opened a session: the key sent with the request (if any) and the client's address. */
export interface PickupRequester {
  key: string | undefined;
  ip: string | undefined;
}

/** `WDJBMJHT` → `WDJB-MJHT`, as shown to people. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A user code as typed (any case, with or without the dash or spaces), as stored; undefined when not one. */
export function normaliseUserCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return undefined;
  return code;
}

function newUserCode(): string {
  let code = "";
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

export class Pickups {
  readonly #store: TokenStore;
  readonly #manager: TokenManager;
  readonly #verifier: Verifier;
  readonly #clock: Clock;
  readonly #digester: Digester;
  readonly #ttlMs: number;
  readonly #interval: number;

  constructor(options: PickupOptions) {
    this.#store = options.store;
    this.#manager = options.manager;
    this.#verifier = options.verifier;
    this.#clock = options.clock;
    this.#digester = options.digester;
    this.#ttlMs = (options.ttlSeconds ?? 900) * 1000;
    this.#interval = options.intervalSeconds ?? 5;
  }

  /**
   * Opens a session for the keys waiting for `holder`. With a key, the account is the key's, and a key of
   * the holder's own (a valid key whose holder is `holder`) approves the session at once.
   */
  async open(
    input: { holder: string; account?: string | undefined },
    requester: PickupRequester,
  ): Promise<{
    userCode: string;
    deviceCode: string;
    expiresAt: string;
    interval: number;
    approved: boolean;
    tokens: number;
  }> {
    let account = input.account ?? FIRST_ACCOUNT;
    let approvedBy: string | null = null;
    if (requester.key !== undefined) {
      const verdict = await this.#verifier.verify({
        token: requester.key,
        ip: requester.ip,
        rateLimit: false,
      });
      if (!verdict.valid)
        throw new ServiceError("invalid_api_key", `the key sent with the pickup: ${verdict.message}`);
      if (input.account !== undefined && input.account !== verdict.token.account) {
        throw new ServiceError(
          "forbidden",
          `the key sent belongs to account ${verdict.token.account}, not ${input.account}`,
        );
      }
      account = verdict.token.account;
      const own = await this.#manager.stored(account, verdict.token.id);
      if (own?.holder === input.holder) approvedBy = own.name;
    }
    const waiting = await this.#manager.waitingFor(account, input.holder);
    if (waiting.length === 0) {
      throw new ServiceError(
        "not_found",
        `no key waits for ${input.holder} in account ${account}: a key is picked up after apply creates or rotates it (holder and pickup in the spec)`,
      );
    }
    const now = this.#clock.now();
    if (approvedBy === null) {
      const waitingNow = await this.#store.countWaitingPickups(
        account,
        input.holder,
        requester.ip ?? null,
        now,
      );
      const full =
        waitingNow.fromAddress >= MAX_WAITING_PICKUPS
          ? `${MAX_WAITING_PICKUPS} pickups for ${input.holder} from this address`
          : waitingNow.total >= MAX_WAITING_PICKUPS_PER_HOLDER
            ? `${MAX_WAITING_PICKUPS_PER_HOLDER} pickups for ${input.holder}`
            : undefined;
      if (full !== undefined) {
        throw new ServiceError(
          "rate_limited",
          `${full} already wait for approval: approve one (tokenform approve CODE) or let them expire (${this.#ttlMs / 60_000} minutes)`,
          { "Retry-After": String(Math.ceil(this.#ttlMs / 1000)) },
        );
      }
    }
    const deviceCode = `${DEVICE_CODE_PREFIX}${randomBase62(DEVICE_CODE_LENGTH)}`;
    for (let attempt = 0; ; attempt++) {
      const record: PickupRecord = {
        id: `pku_${randomBase62(20)}`,
        account,
        userCode: newUserCode(),
        deviceDigest: this.#digester.digest(deviceCode),
        holder: input.holder,
        tokenIds: waiting.map((t) => t.id),
        state: approvedBy === null ? "waiting" : "approved",
        createdAt: now,
        expiresAt: now + this.#ttlMs,
        requesterIp: requester.ip ?? null,
        approvedBy,
        approvedAt: approvedBy === null ? null : now,
        claimedAt: null,
        deliveredAt: null,
        version: 1,
      };
      try {
        await this.#store.insertPickup(
          record,
          // Who asked is unproven without a key: the entry says so rather than naming the holder.
          this.#audit(record, approvedBy ?? ANONYMOUS, "pickup.open", {
            tokens: { from: null, to: waiting.map((t) => t.name) },
            ...(approvedBy === null ? {} : { approvedBy: { from: null, to: approvedBy } }),
          }),
        );
      } catch (error) {
        // A user code already in use in this account: draw another (a handful of tries is plenty).
        if (error instanceof StoreConflictError && attempt < 5) continue;
        throw error;
      }
      return {
        userCode: formatUserCode(record.userCode),
        deviceCode,
        expiresAt: iso(record.expiresAt),
        interval: this.#interval,
        approved: approvedBy !== null,
        tokens: waiting.length,
      };
    }
  }

  /** A session of the actor's account by its user code, as an approver sees it. */
  async describe(actor: Actor, typed: string): Promise<Pickup> {
    const record = await this.#find(actor.account, typed);
    return this.#view(record);
  }

  /** Approves a waiting session: the actor needs authority over every key it releases. */
  async approve(actor: Actor, typed: string): Promise<Pickup> {
    const record = await this.#find(actor.account, typed);
    if (record.state !== "waiting") {
      throw new ServiceError(
        "conflict",
        `pickup ${formatUserCode(record.userCode)} is already ${record.state}${record.approvedBy ? ` (approved by ${record.approvedBy})` : ""}`,
      );
    }
    for (const id of record.tokenIds) {
      const token = await this.#manager.stored(record.account, id);
      if (token) await this.#manager.requirePickupAuthority(actor, token);
    }
    const now = this.#clock.now();
    const next: PickupRecord = {
      ...record,
      state: "approved",
      approvedBy: actor.name,
      approvedAt: now,
      version: record.version + 1,
    };
    const saved = await this.#store.savePickup(
      next,
      record.version,
      this.#audit(next, actor.name, "pickup.approve", { state: { from: "waiting", to: "approved" } }, actor),
    );
    if (!saved) throw new ServiceError("conflict", "the pickup changed meanwhile; look at it again");
    return this.#view(next);
  }

  /**
   * The poll of the CLI holding `deviceCode`: `authorization_pending` until approved, then — once — each
   * waiting key's new secret. A spent, expired or unknown code is `expired_token`.
   */
  async claim(deviceCode: string): Promise<ClaimedPickup> {
    const record = await this.#byDevice(deviceCode);
    if (record.state === "waiting") {
      throw new ServiceError(
        "authorization_pending",
        `waiting for an admin to approve ${formatUserCode(record.userCode)} (tokenform approve ${formatUserCode(record.userCode)})`,
      );
    }
    if (record.state !== "approved") {
      throw new ServiceError(
        "expired_token",
        "this pickup was already claimed: its keys are released only once",
      );
    }
    const now = this.#clock.now();
    const spent: PickupRecord = { ...record, state: "claimed", claimedAt: now, version: record.version + 1 };
    // Spent before anything is released: of two polls racing, exactly one wins.
    if (!(await this.#store.savePickup(spent, record.version, null))) {
      throw new ServiceError(
        "expired_token",
        "this pickup was already claimed: its keys are released only once",
      );
    }
    const tokens: ClaimedPickup["tokens"] = [];
    for (const id of record.tokenIds) {
      // A key given to another holder since the session opened is theirs to pick up, not this session's.
      const released = await this.#manager.releaseToPickup(
        record.account,
        id,
        record.holder,
        record.approvedBy ?? record.holder,
      );
      const pickup = released?.token.pickup;
      if (!released || !pickup) continue;
      tokens.push({
        id,
        name: released.token.name,
        secret: released.secret,
        client: pickup.client,
        server: pickup.server,
        url: pickup.url,
        header: pickup.header,
      });
    }
    return { tokens };
  }

  /** The CLI's confirmation that it wrote the keys `tokenIds` of its claimed session. */
  async delivered(deviceCode: string, tokenIds: readonly string[]): Promise<{ delivered: number }> {
    const record = await this.#byDevice(deviceCode);
    if (record.state !== "claimed") {
      throw new ServiceError(
        record.state === "delivered" ? "conflict" : "bad_request",
        record.state === "delivered"
          ? "this pickup's delivery was already confirmed"
          : "nothing was released to this pickup yet",
      );
    }
    let delivered = 0;
    for (const id of tokenIds.filter((t) => record.tokenIds.includes(t))) {
      if (await this.#manager.markPickedUp(record.account, id, record.holder, record.claimedAt ?? Infinity))
        delivered++;
    }
    const next: PickupRecord = {
      ...record,
      state: "delivered",
      deliveredAt: this.#clock.now(),
      version: record.version + 1,
    };
    await this.#store.savePickup(next, record.version, null);
    return { delivered };
  }

  async #find(account: string, typed: string): Promise<PickupRecord> {
    const userCode = normaliseUserCode(typed);
    const record = userCode && (await this.#store.findPickup({ account, userCode }));
    if (!record || record.expiresAt <= this.#clock.now()) {
      throw new ServiceError(
        "not_found",
        `no pickup ${JSON.stringify(typed)} is waiting in account ${account}: codes expire after ${this.#ttlMs / 60_000} minutes; the holder runs tokenform pickup again`,
      );
    }
    return record;
  }

  async #byDevice(deviceCode: string): Promise<PickupRecord> {
    const record = deviceCode.startsWith(DEVICE_CODE_PREFIX)
      ? await this.#store.findPickup({ deviceDigest: this.#digester.digest(deviceCode) })
      : undefined;
    if (!record || record.expiresAt <= this.#clock.now()) {
      throw new ServiceError(
        "expired_token",
        "this pickup expired or does not exist: run tokenform pickup again",
      );
    }
    return record;
  }

  async #view(record: PickupRecord): Promise<Pickup> {
    const tokens: Pickup["tokens"] = [];
    for (const id of record.tokenIds) {
      const token = await this.#manager.stored(record.account, id);
      // The keys the session would release: still waiting for a pickup, and still this holder's.
      if (token?.pickup && token.holder === record.holder) {
        tokens.push({
          id,
          name: token.name,
          client: token.pickup.client,
          server: token.pickup.server,
          url: token.pickup.url,
        });
      }
    }
    return {
      userCode: formatUserCode(record.userCode),
      account: record.account,
      holder: record.holder,
      state: record.expiresAt <= this.#clock.now() ? "expired" : record.state,
      tokens,
      requesterIp: record.requesterIp,
      createdAt: iso(record.createdAt),
      expiresAt: iso(record.expiresAt),
      approvedBy: record.approvedBy,
    };
  }

  #audit(
    record: PickupRecord,
    actor: string,
    action: string,
    changes: AuditRecord["changes"],
    by?: Actor,
  ): AuditRecord {
    return {
      id: newAuditId(),
      account: record.account,
      at: this.#clock.now(),
      actor,
      actorTokenId: by?.tokenId ?? null,
      action,
      targetId: null,
      targetName: record.holder,
      changes: { code: { from: null, to: formatUserCode(record.userCode) }, ...changes },
      sourceIp: by?.ip ?? record.requesterIp,
    };
  }
}
