/**
 * Words for Kubernetes API failures: a final non-success answer (a `Status` object) as a `DeliveryError`
 * the way the GitHub sink words them — 401 the credentials, 403 the RBAC verbs needed on secrets in the
 * namespace, 404 the namespace, 409 a conflict (transient), 429 and 5xx transient after retries — with
 * the API's own message, the secret scrubbed out.
 */
import { isTransientStatus } from "../../api/retry.js";
import type { KubernetesDestination } from "../../destinations/kubernetes/index.js";
import type { JsonResponse } from "../json-api.js";
import { messageOf, scrub } from "../redact.js";
import { DeliveryError } from "../types.js";

export interface KubernetesErrorContext {
  destination: string;
  doing: string;
  /** RBAC verbs this step needs on `secrets`. */
  verbs: string;
  d: KubernetesDestination;
  secrets: ReadonlyArray<string | undefined>;
}

export function kubernetesAnswerError(res: JsonResponse, ctx: KubernetesErrorContext): DeliveryError {
  const { destination, doing, d } = ctx;
  const detail = scrub(messageOf(res.data), ctx.secrets);
  const said = detail ? `: ${detail}` : "";
  switch (res.status) {
    case 401:
      return new DeliveryError(
        destination,
        `Kubernetes rejected the credentials (401${said}) while ${doing}: they are invalid or expired`,
        401,
      );
    case 403:
      return new DeliveryError(
        destination,
        `Kubernetes refused (403${said}) ${doing}: the credentials need the verbs ${ctx.verbs} on secrets in namespace ${d.namespace}`,
        403,
      );
    case 404:
      return new DeliveryError(
        destination,
        `Kubernetes namespace ${d.namespace} not found (404 while ${doing})`,
        404,
      );
    case 409:
      return new DeliveryError(
        destination,
        `Kubernetes: conflict (409${said}) while ${doing}; a later run may succeed`,
        409,
        true,
      );
    case 429:
      return new DeliveryError(
        destination,
        `Kubernetes API rate limit (429) while ${doing}, also on retries; re-run later${said}`,
        429,
        true,
      );
  }
  if (isTransientStatus(res.status)) {
    return new DeliveryError(
      destination,
      `Kubernetes answered ${res.status} while ${doing}, also on retries${said}; a later run may succeed`,
      res.status,
      true,
    );
  }
  return new DeliveryError(destination, `Kubernetes rejected ${doing} (${res.status})${said}`, res.status);
}
