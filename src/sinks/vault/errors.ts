/**
 * Words for Vault failures: maps a final non-success answer (or a transport failure) to a `DeliveryError`
 * saying what happened and what to do, the way the GitHub and GitLab sinks do — 403 names the policy the
 * token needs, 404 the mount, 429 and 5xx are transient (after the client's retries), a check-and-set
 * conflict says another writer changed the secret meanwhile. Vault's own `errors` text goes in with the
 * secret and the credentials scrubbed out.
 */
import { isTransientStatus } from "../../api/retry.js";
import type { JsonResponse, SinkTransportError } from "../json-api.js";
import { messageOf, scrub } from "../redact.js";
import { DeliveryError } from "../types.js";

/** Everything needed to word an error. */
export interface VaultErrorContext {
  destination: string;
  /** `secret/data/mcp/backend` (the API path, for policies). */
  apiPath: string;
  /** What was being done, e.g. `writing key API_KEY of secret/mcp/backend`. */
  doing: string;
  /** The capabilities a policy must grant on `apiPath` for this step. */
  capabilities: string;
  /** Raw values that must never appear in a message: the secret and the credentials. */
  secrets: ReadonlyArray<string | undefined>;
}

/** Vault's 400 for a stale `options.cas`. */
export function isCasConflict(res: JsonResponse): boolean {
  return res.status === 400 && /check-and-set/i.test(messageOf(res.data));
}

/** A `DeliveryError` for a final answer that was not a success. */
export function vaultAnswerError(res: JsonResponse, ctx: VaultErrorContext): DeliveryError {
  const { destination, doing } = ctx;
  const detail = scrub(messageOf(res.data), ctx.secrets);
  const said = detail ? `: ${detail}` : "";
  if (isCasConflict(res)) {
    return new DeliveryError(
      destination,
      `Vault: ${ctx.apiPath} changed while tokenform was ${doing} (check-and-set conflict${said}); a later run may succeed`,
      409,
      true,
    );
  }
  if (res.status === 429) {
    return new DeliveryError(
      destination,
      `Vault rate limit exceeded (429) while ${doing}, also on retries; re-run later${said}`,
      429,
      true,
    );
  }
  switch (res.status) {
    case 401:
    case 403:
      return new DeliveryError(
        destination,
        `Vault refused (${res.status}${said}) ${doing}: the token's policy needs ${ctx.capabilities} on ${ctx.apiPath}, or the token is invalid or expired`,
        res.status,
      );
    case 404:
      return new DeliveryError(
        destination,
        `Vault: no KV v2 mount at ${ctx.apiPath.split("/data/")[0]}/, or the address is wrong (404 while ${doing})`,
        404,
      );
  }
  if (isTransientStatus(res.status)) {
    return new DeliveryError(
      destination,
      `Vault answered ${res.status} while ${doing}, also on retries${said}; a later run may succeed`,
      res.status,
      true,
    );
  }
  return new DeliveryError(destination, `Vault rejected ${doing} (${res.status})${said}`, res.status);
}

/** A `DeliveryError` for a request that got no answer. */
export function vaultTransportError(
  error: SinkTransportError,
  ctx: Pick<VaultErrorContext, "destination" | "doing" | "secrets">,
): DeliveryError {
  if (error.reason === "cancelled") {
    return new DeliveryError(ctx.destination, `Vault: cancelled while ${ctx.doing}`, undefined, true);
  }
  return new DeliveryError(
    ctx.destination,
    `Vault: ${scrub(error.message, ctx.secrets)} while ${ctx.doing}, also on retries; a later run may succeed`,
    undefined,
    true,
  );
}
