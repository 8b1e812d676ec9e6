/**
 * The Google Secret Manager sink, over the REST API v1 with `fetch`. A delivery adds a version
 * (`POST …/secrets/<secret>:addVersion`, the value base64 in `payload.data`), creating the secret first
 * when it does not exist (automatic replication, label `managed-by: tokenform`); then every enabled
 * version older than the one it replaced is disabled, so the previous secret stays readable through its
 * rotation overlap and older ones do not linger. The version number is recorded; `inspect` compares it
 * with `versions/latest`. `remove` disables every enabled version (recoverable: enable one again).
 */

import { isTransientStatus } from "../../api/retry.js";
import { fingerprintOf, type SecretValue } from "../../api/secret.js";
import type { GoogleSecretManagerDestination } from "../../destinations/google-secret-manager/index.js";
import { destinationId } from "../../spec/resolved.js";
import { JsonApi, type JsonRequest, type JsonResponse, SinkTransportError } from "../json-api.js";
import { type SinkLogger, silentLogger } from "../logger.js";
import { deliveryReceipt } from "../receipt.js";
import { scrub } from "../redact.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../retry.js";
import {
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type DestinationState,
  type RecordedDelivery,
  type Sink,
} from "../types.js";
import { type GoogleAuth, googleAuthFrom } from "./auth.js";

export const GOOGLE_SECRET_MANAGER_URL = "https://secretmanager.googleapis.com";

export interface GoogleSinkOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof globalThis.fetch;
  logger?: SinkLogger;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** API root (default https://secretmanager.googleapis.com; a regional endpoint or an emulator). */
  url?: string;
}

interface SecretVersion {
  name?: string;
  state?: string;
}

/** `5` of `projects/123/secrets/s/versions/5`. */
const versionOf = (name: string | undefined) => name?.split("/").pop();

/** Google's `{ error: { message, status } }`, as `PERMISSION_DENIED: …`. */
function googleMessage(data: unknown): string {
  const error = (data as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  if (!error) return typeof data === "string" ? data : "";
  return [error.status, error.message].filter((p) => typeof p === "string").join(": ");
}

export class GoogleSecretManagerSink implements Sink<GoogleSecretManagerDestination> {
  readonly kind = "googleSecretManager" as const;
  readonly #options: GoogleSinkOptions;
  readonly #logger: SinkLogger;
  readonly #api: JsonApi;
  #auth: GoogleAuth | undefined | null = null;

  constructor(options: GoogleSinkOptions = {}) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#api = new JsonApi({
      root: options.url ?? GOOGLE_SECRET_MANAGER_URL,
      fetch: options.fetch ?? globalThis.fetch,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
    });
  }

  async deliver(
    d: GoogleSecretManagerDestination,
    secret: SecretValue,
    context: DeliveryContext,
  ): Promise<DeliveryReceipt> {
    const value = secret.reveal();
    const data = Buffer.from(value, "utf8").toString("base64");
    const secrets = [value, data];
    const add = (): JsonRequest => ({
      method: "POST",
      path: `${secretPath(d)}:addVersion`,
      body: { payload: { data } },
    });
    const doing = `adding a version to secret ${d.secret} of project ${d.project}`;
    let outcome: "created" | "updated" = "updated";
    let res = await this.#send(d, context, doing, secrets, add());
    if (res.status === 404) {
      const creating = `creating secret ${d.secret} in project ${d.project}`;
      const created = await this.#send(d, context, creating, secrets, {
        method: "POST",
        path: `/v1/projects/${encodeURIComponent(d.project)}/secrets`,
        query: { secretId: d.secret },
        body: { replication: { automatic: {} }, labels: { "managed-by": "tokenform" } },
      });
      if (created.status !== 200 && created.status !== 409) {
        throw this.#error(
          d,
          created,
          creating,
          "roles/secretmanager.admin (secretmanager.secrets.create)",
          secrets,
        );
      }
      outcome = "created";
      res = await this.#send(d, context, doing, secrets, add());
    }
    if (res.status !== 200) {
      throw this.#error(d, res, doing, "roles/secretmanager.secretVersionAdder", secrets);
    }
    const version = versionOf((res.data as SecretVersion | undefined)?.name);
    await this.#disableOlder(d, context, 2);
    return deliveryReceipt(this.#logger, {
      sink: "googleSecretManager",
      place: "Google Secret Manager",
      destination: destinationId(d),
      secret,
      outcome,
      context,
      version,
    });
  }

  async inspect(
    d: GoogleSecretManagerDestination,
    delivery: RecordedDelivery,
    context: DeliveryContext,
  ): Promise<DestinationState> {
    const doing = `reading the latest version of secret ${d.secret} of project ${d.project}`;
    const latest = await this.#send(d, context, doing, [], {
      method: "GET",
      path: `${secretPath(d)}/versions/latest`,
    });
    if (latest.status === 404) return { holds: false, reason: "the secret or its versions no longer exist" };
    if (latest.status !== 200) throw this.#error(d, latest, doing, "roles/secretmanager.viewer", []);
    const found = latest.data as SecretVersion;
    const number = versionOf(found.name);
    if (found.state !== "ENABLED") {
      return { holds: false, reason: `the latest version ${number} is ${String(found.state).toLowerCase()}` };
    }
    if (delivery.version !== undefined) {
      return number === delivery.version
        ? { holds: true }
        : {
            holds: false,
            reason: `a newer version ${number} was added after tokenform's version ${delivery.version}`,
          };
    }
    const access = await this.#send(d, context, doing, [], {
      method: "GET",
      path: `${secretPath(d)}/versions/latest:access`,
    });
    if (access.status !== 200) throw this.#error(d, access, doing, "roles/secretmanager.secretAccessor", []);
    const data = (access.data as { payload?: { data?: string } }).payload?.data ?? "";
    return fingerprintOf(Buffer.from(data, "base64").toString("utf8")) === delivery.fingerprint
      ? { holds: true }
      : { holds: false, reason: "the latest version holds another value than tokenform delivered" };
  }

  async remove(d: GoogleSecretManagerDestination, context: DeliveryContext): Promise<void> {
    await this.#disableOlder(d, context, 0, true);
    this.#logger.info(
      { sink: "googleSecretManager", destination: destinationId(d), token: context.tokenName },
      "disabled the secret's versions",
    );
  }

  /** Disables every enabled version but the newest `keep`; warns (or, when `strict`, throws) on failure. */
  async #disableOlder(
    d: GoogleSecretManagerDestination,
    context: DeliveryContext,
    keep: number,
    strict = false,
  ): Promise<void> {
    const doing = `disabling older versions of secret ${d.secret} of project ${d.project}`;
    const role = "roles/secretmanager.secretVersionManager";
    const failed = (res: JsonResponse) => {
      const error = this.#error(d, res, doing, role, []);
      if (strict) throw error;
      this.#logger.warn({ sink: "googleSecretManager", destination: destinationId(d) }, error.message);
    };
    const list = await this.#send(d, context, doing, [], {
      method: "GET",
      path: `${secretPath(d)}/versions`,
      query: { filter: "state:ENABLED", pageSize: "100" },
    });
    if (list.status === 404) return;
    if (list.status !== 200) return failed(list);
    // The API lists versions newest first.
    const versions = ((list.data as { versions?: SecretVersion[] }).versions ?? []).filter(
      (v) => v.state === "ENABLED",
    );
    for (const version of versions.slice(keep)) {
      const res = await this.#send(d, context, doing, [], {
        method: "POST",
        path: `/v1/${version.name}:disable`,
        body: {},
      });
      if (res.status !== 200 && res.status !== 404) return failed(res);
    }
  }

  async #send(
    d: GoogleSecretManagerDestination,
    context: DeliveryContext,
    doing: string,
    secrets: string[],
    req: JsonRequest,
  ): Promise<JsonResponse> {
    const destination = destinationId(d);
    const auth = this.#authFor(destination);
    const fetch = this.#options.fetch ?? globalThis.fetch;
    let token: string;
    try {
      token = await auth.token(fetch);
    } catch (error) {
      throw new DeliveryError(
        destination,
        `Google: ${scrub((error as Error).message, auth.secrets)} (${auth.describe}) while ${doing}`,
      );
    }
    try {
      return await this.#api.send({
        ...req,
        headers: { authorization: `Bearer ${token}`, "x-goog-user-project": d.project },
        ...(context.signal ? { signal: context.signal } : {}),
      });
    } catch (error) {
      if (error instanceof SinkTransportError) {
        if (error.reason === "cancelled")
          throw new DeliveryError(destination, `Google: cancelled while ${doing}`, undefined, true);
        throw new DeliveryError(
          destination,
          `Google Secret Manager: ${scrub(error.message, [...secrets, ...auth.secrets])} while ${doing}, also on retries; a later run may succeed`,
          undefined,
          true,
        );
      }
      throw new DeliveryError(destination, `Google Secret Manager: unexpected failure while ${doing}`);
    }
  }

  #authFor(destination: string): GoogleAuth {
    if (this.#auth === null) {
      try {
        this.#auth = googleAuthFrom(this.#options.env ?? {});
      } catch (error) {
        throw new DeliveryError(destination, `Google credentials: ${(error as Error).message}`);
      }
    }
    if (!this.#auth) {
      throw new DeliveryError(
        destination,
        "Google credentials are not set: set GOOGLE_OAUTH_ACCESS_TOKEN, or GOOGLE_APPLICATION_CREDENTIALS to a service account key file (TOKENFORM_GOOGLE_CREDENTIALS to its content)",
      );
    }
    return this.#auth;
  }

  #error(
    d: GoogleSecretManagerDestination,
    res: JsonResponse,
    doing: string,
    role: string,
    secrets: string[],
  ): DeliveryError {
    const destination = destinationId(d);
    const detail = scrub(googleMessage(res.data), [...secrets, ...(this.#auth?.secrets ?? [])]);
    const said = detail ? `: ${detail}` : "";
    switch (res.status) {
      case 401:
        return new DeliveryError(
          destination,
          `Google rejected the credentials (401${said}) while ${doing}: they are invalid or expired`,
          401,
        );
      case 403:
        return new DeliveryError(
          destination,
          `Google refused (403${said}) ${doing}: the credentials need ${role} on the secret or project ${d.project}`,
          403,
        );
      case 404:
        return new DeliveryError(
          destination,
          `Google: project ${d.project} or secret ${d.secret} not found (404 while ${doing})`,
          404,
        );
      case 409:
        return new DeliveryError(
          destination,
          `Google Secret Manager: conflict (409${said}) while ${doing}; a later run may succeed`,
          409,
          true,
        );
      case 429:
        return new DeliveryError(
          destination,
          `Google Secret Manager quota exceeded (429${said}) while ${doing}, also on retries; re-run later`,
          429,
          true,
        );
    }
    if (isTransientStatus(res.status)) {
      return new DeliveryError(
        destination,
        `Google Secret Manager answered ${res.status} while ${doing}, also on retries${said}; a later run may succeed`,
        res.status,
        true,
      );
    }
    return new DeliveryError(
      destination,
      `Google Secret Manager rejected ${doing} (${res.status})${said}`,
      res.status,
    );
  }
}

function secretPath(d: GoogleSecretManagerDestination): string {
  return `/v1/projects/${encodeURIComponent(d.project)}/secrets/${encodeURIComponent(d.secret)}`;
}
