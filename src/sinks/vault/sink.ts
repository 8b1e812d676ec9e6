/**
 * The HashiCorp Vault sink: one key of a KV v2 secret (`<mount>/data/<path>`), the secret's other keys
 * left as they are.
 *
 * Deliver reads the secret's latest version, writes a new version with the key set (`POST` with
 * `options.cas` = the version read: check-and-set, so a write by someone else in between is never
 * overwritten) and records Vault's new version number. On a check-and-set conflict it reads and writes
 * once more; a second conflict fails the delivery as transient.
 *
 * Check-and-set against the version tokenform wrote: with a recorded delivery (`context.previous`), the
 * version read must be the one recorded — then `options.cas` is exactly that version. When someone else
 * wrote the secret since, what they changed decides. A KV secret is shared: its other keys belong to other
 * writers and this destination promises to leave them alone, so a write to another key must not block
 * tokenform's rotations; the key is written with the other keys as read (still check-and-set on the version
 * read) and a warning logged. But when the key tokenform owns holds a value tokenform never delivered (not
 * the recorded one, not the one being delivered), someone put it there on purpose and a write would
 * destroy it: the delivery is refused with a `DeliveryError` (409, not transient) naming both versions and
 * what to do. A key or secret that is gone is simply written again; a first delivery (no record) writes
 * as before, with check-and-set 0 when the secret does not exist. A re-delivery over drift the plan showed
 * comes without a record (see `deliverAll`): the person applying it has seen that value go.
 *
 * Inspect reads the latest version: drift when the secret or the key is gone, or the key holds another
 * value (the value is hashed and dropped). Remove deletes the key by writing a version without it; when it
 * was the secret's only key, the latest version is deleted (soft: `vault kv undelete` brings it back).
 */
import { fingerprintOf, type SecretValue } from "../../api/secret.js";
import type { VaultDestination } from "../../destinations/vault/index.js";
import { destinationId } from "../../spec/resolved.js";
import { JsonApi, type JsonRequest, type JsonResponse, SinkTransportError } from "../json-api.js";
import { type SinkLogger, silentLogger } from "../logger.js";
import { deliveryReceipt } from "../receipt.js";
import { messageOf, scrub } from "../redact.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../retry.js";
import {
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type DestinationState,
  type RecordedDelivery,
  type Sink,
} from "../types.js";
import { VAULT_AUTH_HINT, type VaultAuth, type VaultEnv, vaultAuthFrom } from "./auth.js";
import { isCasConflict, type VaultErrorContext, vaultAnswerError, vaultTransportError } from "./errors.js";

/** 30 s per request: Vault answers KV calls in milliseconds; a hung connection must not hang apply. */
export const DEFAULT_VAULT_TIMEOUT_MS = 30_000;

/** Options of `VaultSink`; credentials and the address come from `env`. */
export interface VaultSinkOptions {
  env?: VaultEnv;
  fetch?: typeof globalThis.fetch;
  logger?: SinkLogger;
  /** Retries for 5xx / 429 / network errors / timeouts (default 3, backoff 1 s, 2 s, 4 s). */
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

/** The latest version of a KV v2 secret: its data and version (0 when the secret does not exist). */
interface KvState {
  data: Record<string, unknown>;
  version: number;
}

/** `/mcp/backend` of `mcp/backend`, each segment URL-encoded. */
function encodePath(path: string): string {
  return path
    .split("/")
    .map((s) => `/${encodeURIComponent(s)}`)
    .join("");
}

/** The KV v2 API paths of a destination. */
function kvPaths(d: VaultDestination): { data: string; policy: string; where: string } {
  return {
    data: `/v1${encodePath(d.mount)}/data${encodePath(d.path)}`,
    policy: `${d.mount}/data/${d.path}`,
    where: `${d.mount}/${d.path}`,
  };
}

export class VaultSink implements Sink<VaultDestination> {
  readonly kind = "vault" as const;
  readonly #env: VaultEnv;
  readonly #options: VaultSinkOptions;
  readonly #logger: SinkLogger;
  readonly #auth: VaultAuth | undefined;
  /** Vault tokens by address (a login happens once per address). */
  readonly #tokens = new Map<string, Promise<string>>();

  constructor(options: VaultSinkOptions = {}) {
    this.#env = options.env ?? {};
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#auth = vaultAuthFrom(this.#env);
  }

  async deliver(
    d: VaultDestination,
    secret: SecretValue,
    context: DeliveryContext,
  ): Promise<DeliveryReceipt> {
    const value = secret.reveal();
    const { data, policy, where } = kvPaths(d);
    for (let attempt = 0; ; attempt++) {
      const current = await this.#read(d, context, [value]);
      this.#checkOwnership(d, current, secret, context);
      const doing = `writing key ${d.key} of ${where}`;
      const res = await this.#call(
        d,
        context,
        { doing, capabilities: '"create", "read" and "update"', secrets: [value] },
        {
          method: "POST",
          path: data,
          body: { options: { cas: current.version }, data: { ...current.data, [d.key]: value } },
        },
      );
      if (res.status === 200 || res.status === 204) {
        const version = (res.data as { data?: { version?: unknown } } | undefined)?.data?.version;
        const outcome = d.key in current.data ? "updated" : "created";
        return deliveryReceipt(this.#logger, {
          sink: "vault",
          place: "Vault",
          destination: destinationId(d),
          secret,
          outcome,
          context,
          ...(typeof version === "number" ? { version: String(version) } : {}),
        });
      }
      if (!(isCasConflict(res) && attempt === 0)) {
        throw vaultAnswerError(
          res,
          this.#errorContext(d, policy, doing, '"create", "read" and "update"', [value]),
        );
      }
    }
  }

  /**
   * Refuses to write over a value someone else put in tokenform's key since tokenform's recorded delivery
   * (see the module comment); warns when only the secret's other keys changed.
   */
  #checkOwnership(
    d: VaultDestination,
    current: KvState,
    secret: SecretValue,
    context: DeliveryContext,
  ): void {
    const previous = context.previous;
    if (!previous || (previous.version !== undefined && previous.version === String(current.version))) return;
    const { where } = kvPaths(d);
    const versions = `${where} is at version ${current.version}${
      previous.version !== undefined ? ` but tokenform wrote version ${previous.version}` : ""
    }`;
    const held = current.data[d.key];
    const ours =
      held === undefined ||
      (typeof held === "string" && [previous.fingerprint, secret.fingerprint].includes(fingerprintOf(held)));
    if (!ours) {
      throw new DeliveryError(
        destinationId(d),
        `Vault: key ${d.key} was changed outside tokenform (${versions}) and holds a value tokenform did not deliver, so tokenform did not overwrite it; see who wrote it (vault kv metadata get ${where}), then remove key ${d.key} from the secret (or point the spec at another key) and re-run apply`,
        409,
      );
    }
    this.#logger.warn(
      {
        sink: "vault",
        destination: destinationId(d),
        version: current.version,
        ...(previous.version !== undefined ? { recordedVersion: previous.version } : {}),
        token: context.tokenName,
      },
      `${versions}: other keys changed since; writing key ${d.key} against the version read`,
    );
  }

  async inspect(
    d: VaultDestination,
    delivery: RecordedDelivery,
    context: DeliveryContext,
  ): Promise<DestinationState> {
    const current = await this.#read(d, context, []);
    if (current.version === 0) return { holds: false, reason: "the Vault secret no longer exists" };
    const held = current.data[d.key];
    if (held === undefined) return { holds: false, reason: `the Vault secret no longer has key ${d.key}` };
    if (typeof held !== "string" || fingerprintOf(held) !== delivery.fingerprint) {
      const versions = delivery.version
        ? ` (version ${current.version}; tokenform wrote version ${delivery.version})`
        : "";
      return { holds: false, reason: `key ${d.key} holds another value than tokenform delivered${versions}` };
    }
    return { holds: true };
  }

  async remove(d: VaultDestination, context: DeliveryContext): Promise<void> {
    const { data, policy, where } = kvPaths(d);
    const current = await this.#read(d, context, []);
    if (!(d.key in current.data)) return;
    const { [d.key]: _removed, ...rest } = current.data;
    const onlyKey = Object.keys(rest).length === 0;
    const doing = onlyKey ? `deleting ${where}` : `removing key ${d.key} from ${where}`;
    const capabilities = onlyKey ? '"delete"' : '"read" and "update"';
    const req: JsonRequest = onlyKey
      ? { method: "DELETE", path: data }
      : { method: "POST", path: data, body: { options: { cas: current.version }, data: rest } };
    const res = await this.#call(d, context, { doing, capabilities, secrets: [] }, req);
    if (res.status === 404 && onlyKey) return;
    if (res.status !== 200 && res.status !== 204) {
      throw vaultAnswerError(res, this.#errorContext(d, policy, doing, capabilities, []));
    }
    this.#logger.info(
      { sink: "vault", destination: destinationId(d), token: context.tokenName },
      "removed key from Vault",
    );
  }

  /** The latest version of the secret; version 0 and no data when it does not exist (or was deleted). */
  async #read(d: VaultDestination, context: DeliveryContext, secrets: string[]): Promise<KvState> {
    const { data, policy, where } = kvPaths(d);
    const doing = `reading ${where}`;
    const res = await this.#call(
      d,
      context,
      { doing, capabilities: '"read"', secrets },
      { method: "GET", path: data },
    );
    const body = res.data as {
      data?: { data?: Record<string, unknown> | null; metadata?: { version?: number } };
    };
    if (res.status === 200)
      return { data: body?.data?.data ?? {}, version: body?.data?.metadata?.version ?? 0 };
    // 404: no such secret, or its latest version was deleted (then Vault still names that version, which a
    // check-and-set write must give).
    if (res.status === 404 && !/no handler for route/i.test(messageOf(res.data))) {
      return { data: {}, version: body?.data?.metadata?.version ?? 0 };
    }
    throw vaultAnswerError(res, this.#errorContext(d, policy, doing, '"read"', secrets));
  }

  /** One authenticated request; transport failures become `DeliveryError`s. */
  async #call(
    d: VaultDestination,
    context: DeliveryContext,
    step: { doing: string; capabilities: string; secrets: string[] },
    req: JsonRequest,
  ): Promise<JsonResponse> {
    const api = this.#api(d);
    const token = await this.#token(d, api, context);
    try {
      return await api.send({
        ...req,
        headers: { "X-Vault-Token": token, ...this.#namespace() },
        ...(context.signal ? { signal: context.signal } : {}),
      });
    } catch (error) {
      const ctx = {
        destination: destinationId(d),
        doing: step.doing,
        secrets: [...step.secrets, ...this.#credentials()],
      };
      if (error instanceof SinkTransportError) throw vaultTransportError(error, ctx);
      throw new DeliveryError(ctx.destination, `Vault: unexpected failure while ${step.doing}`);
    }
  }

  #api(d: VaultDestination): JsonApi {
    const address = d.address || this.#env.VAULT_ADDR;
    if (!address) {
      throw new DeliveryError(
        destinationId(d),
        "VAULT_ADDR is not set and the vault destination names no address: set one of them to Vault's URL",
      );
    }
    return new JsonApi({
      root: address,
      fetch: this.#options.fetch ?? globalThis.fetch,
      retry: { ...DEFAULT_RETRY_POLICY, ...this.#options.retry },
      timeoutMs: this.#options.timeoutMs ?? DEFAULT_VAULT_TIMEOUT_MS,
    });
  }

  /** The Vault token: `VAULT_TOKEN`, or one login (AppRole, JWT) per address, kept for the sink's life. */
  #token(d: VaultDestination, api: JsonApi, context: DeliveryContext): Promise<string> {
    const auth = this.#auth;
    const destination = destinationId(d);
    if (!auth) {
      return Promise.reject(
        new DeliveryError(destination, `Vault credentials are not set: ${VAULT_AUTH_HINT}`),
      );
    }
    if (auth.method === "token") return Promise.resolve(auth.token);
    const address = d.address || this.#env.VAULT_ADDR || "";
    let token = this.#tokens.get(address);
    if (!token) {
      token = this.#login(destination, api, auth, context);
      this.#tokens.set(address, token);
      token.catch(() => this.#tokens.delete(address));
    }
    return token;
  }

  async #login(
    destination: string,
    api: JsonApi,
    auth: Extract<VaultAuth, { method: "approle" | "jwt" }>,
    context: DeliveryContext,
  ): Promise<string> {
    const doing = `logging in to Vault (${auth.method === "jwt" ? "JWT/OIDC" : "AppRole"}, ${auth.loginPath})`;
    let res: JsonResponse;
    try {
      res = await api.send({
        method: "POST",
        path: auth.loginPath,
        body: auth.body,
        headers: this.#namespace(),
        ...(context.signal ? { signal: context.signal } : {}),
      });
    } catch (error) {
      if (error instanceof SinkTransportError)
        throw vaultTransportError(error, { destination, doing, secrets: auth.secrets });
      throw new DeliveryError(destination, `Vault: unexpected failure while ${doing}`);
    }
    const token = (res.data as { auth?: { client_token?: unknown } } | undefined)?.auth?.client_token;
    if (res.status === 200 && typeof token === "string" && token !== "") return token;
    const detail = scrub(messageOf(res.data), auth.secrets);
    throw new DeliveryError(
      destination,
      `Vault refused ${doing} (${res.status}${detail ? `: ${detail}` : ""}): check the role and its credentials`,
      res.status,
      res.status === 429 || res.status >= 500,
    );
  }

  #namespace(): Record<string, string> {
    return this.#env.VAULT_NAMESPACE ? { "X-Vault-Namespace": this.#env.VAULT_NAMESPACE } : {};
  }

  /** Credentials that must never appear in a message. */
  #credentials(): string[] {
    const auth = this.#auth;
    if (!auth) return [];
    return auth.method === "token" ? [auth.token] : auth.secrets;
  }

  #errorContext(
    d: VaultDestination,
    apiPath: string,
    doing: string,
    capabilities: string,
    secrets: string[],
  ): VaultErrorContext {
    return {
      destination: destinationId(d),
      apiPath,
      doing,
      capabilities,
      secrets: [...secrets, ...this.#credentials()],
    };
  }
}
