/**
 * The Kubernetes Secrets sink: one key of a `v1` Secret, written by server-side apply with tokenform as
 * the field manager (`PATCH …/secrets/<name>?fieldManager=tokenform&force=true`,
 * `application/apply-patch+yaml`), so the Secret's other keys — and whoever manages them — are untouched;
 * `force` takes over the one key tokenform is declared to own. The Secret's `resourceVersion` after the
 * apply is recorded. Inspect reads the Secret (drift when it or the key is gone, or the key holds another
 * value). Remove applies again without the key, so the API server drops the field tokenform owned; a
 * Secret left empty that no other field manager touches is deleted.
 */
import { fingerprintOf, type SecretValue } from "../../api/secret.js";
import type { KubernetesDestination } from "../../destinations/kubernetes/index.js";
import { destinationId } from "../../spec/resolved.js";
import { type JsonResponse, SinkTransportError } from "../json-api.js";
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
import { DEFAULT_KUBERNETES_TIMEOUT_MS, type KubeCluster, type KubeRequest, kubeCluster } from "./api.js";
import { kubernetesAnswerError } from "./errors.js";
import { loadKubeCredentials } from "./kubeconfig.js";

/** The field manager tokenform applies as. */
export const FIELD_MANAGER = "tokenform";

export interface KubernetesSinkOptions {
  /** `KUBECONFIG`, `TOKENFORM_KUBECONFIG` (the file's content) are read from here. */
  env?: NodeJS.ProcessEnv;
  logger?: SinkLogger;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
}

/** A Secret as the API returns it (the fields read). */
interface V1Secret {
  data?: Record<string, string>;
  metadata?: { resourceVersion?: string; managedFields?: { manager?: string }[] };
}

const secretPath = (d: KubernetesDestination) =>
  `/api/v1/namespaces/${encodeURIComponent(d.namespace)}/secrets/${encodeURIComponent(d.secret)}`;

/** The apply configuration tokenform owns: the Secret's identity and, when delivering, its one key. */
function applyBody(d: KubernetesDestination, data?: Record<string, string>) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: d.secret, namespace: d.namespace },
    ...(data ? { data } : {}),
  };
}

export class KubernetesSink implements Sink<KubernetesDestination> {
  readonly kind = "kubernetes" as const;
  readonly #options: KubernetesSinkOptions;
  readonly #logger: SinkLogger;
  readonly #clusters = new Map<string, KubeCluster>();

  constructor(options: KubernetesSinkOptions = {}) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  async deliver(
    d: KubernetesDestination,
    secret: SecretValue,
    context: DeliveryContext,
  ): Promise<DeliveryReceipt> {
    const value = secret.reveal();
    const encoded = Buffer.from(value, "utf8").toString("base64");
    const doing = `applying key ${d.key} of Secret ${d.namespace}/${d.secret}`;
    const res = await this.#send(d, context, doing, [value, encoded], {
      method: "PATCH",
      path: secretPath(d),
      query: { fieldManager: FIELD_MANAGER, force: "true" },
      contentType: "application/apply-patch+yaml",
      body: applyBody(d, { [d.key]: encoded }),
    });
    if (res.status !== 200 && res.status !== 201) {
      throw kubernetesAnswerError(res, {
        destination: destinationId(d),
        doing,
        verbs: '"get" and "patch"',
        d,
        secrets: [value, encoded],
      });
    }
    const outcome = res.status === 201 ? "created" : "updated";
    const version = (res.data as V1Secret | undefined)?.metadata?.resourceVersion;
    return deliveryReceipt(this.#logger, {
      sink: "kubernetes",
      place: "Kubernetes",
      destination: destinationId(d),
      secret,
      outcome,
      context,
      version,
    });
  }

  async inspect(
    d: KubernetesDestination,
    delivery: RecordedDelivery,
    context: DeliveryContext,
  ): Promise<DestinationState> {
    const doing = `reading Secret ${d.namespace}/${d.secret}`;
    const res = await this.#send(d, context, doing, [], { method: "GET", path: secretPath(d) });
    if (res.status === 404) return { holds: false, reason: "the Secret no longer exists" };
    if (res.status !== 200) {
      throw kubernetesAnswerError(res, {
        destination: destinationId(d),
        doing,
        verbs: '"get"',
        d,
        secrets: [],
      });
    }
    const found = res.data as V1Secret;
    const encoded = found.data?.[d.key];
    if (encoded === undefined) return { holds: false, reason: `the Secret no longer has key ${d.key}` };
    if (fingerprintOf(Buffer.from(encoded, "base64").toString("utf8")) === delivery.fingerprint)
      return { holds: true };
    const versions = delivery.version
      ? ` (resourceVersion ${found.metadata?.resourceVersion}; tokenform wrote ${delivery.version})`
      : "";
    return { holds: false, reason: `key ${d.key} holds another value than tokenform delivered${versions}` };
  }

  async remove(d: KubernetesDestination, context: DeliveryContext): Promise<void> {
    const doing = `removing key ${d.key} from Secret ${d.namespace}/${d.secret}`;
    const ctx = {
      destination: destinationId(d),
      doing,
      verbs: '"get", "patch" and "delete"',
      d,
      secrets: [],
    };
    const current = await this.#send(d, context, doing, [], { method: "GET", path: secretPath(d) });
    if (current.status === 404) return;
    if (current.status !== 200) throw kubernetesAnswerError(current, ctx);
    if ((current.data as V1Secret).data?.[d.key] === undefined) return;
    const res = await this.#send(d, context, doing, [], {
      method: "PATCH",
      path: secretPath(d),
      query: { fieldManager: FIELD_MANAGER, force: "true" },
      contentType: "application/apply-patch+yaml",
      body: applyBody(d),
    });
    if (res.status === 404) return;
    if (res.status !== 200) throw kubernetesAnswerError(res, ctx);
    const left = res.data as V1Secret;
    const others = (left.metadata?.managedFields ?? []).some((f) => f.manager !== FIELD_MANAGER);
    if (Object.keys(left.data ?? {}).length === 0 && !others) {
      const deleted = await this.#send(
        d,
        context,
        `deleting the empty Secret ${d.namespace}/${d.secret}`,
        [],
        {
          method: "DELETE",
          path: secretPath(d),
        },
      );
      if (deleted.status !== 200 && deleted.status !== 202 && deleted.status !== 404) {
        throw kubernetesAnswerError(deleted, ctx);
      }
    }
    this.#logger.info(
      { sink: "kubernetes", destination: destinationId(d), token: context.tokenName },
      "removed key from Kubernetes Secret",
    );
  }

  async #send(
    d: KubernetesDestination,
    context: DeliveryContext,
    doing: string,
    secrets: string[],
    req: KubeRequest,
  ): Promise<JsonResponse> {
    const cluster = this.#cluster(d);
    try {
      return await cluster.send(context.signal ? { ...req, signal: context.signal } : req);
    } catch (error) {
      const destination = destinationId(d);
      if (error instanceof SinkTransportError) {
        if (error.reason === "cancelled") {
          throw new DeliveryError(destination, `Kubernetes: cancelled while ${doing}`, undefined, true);
        }
        throw new DeliveryError(
          destination,
          `Kubernetes: ${scrub(error.message, secrets)} while ${doing}, also on retries; a later run may succeed`,
          undefined,
          true,
        );
      }
      const text = error instanceof Error ? error.message : String(error);
      throw new DeliveryError(destination, `Kubernetes: ${scrub(text, secrets)} while ${doing}`);
    }
  }

  #cluster(d: KubernetesDestination): KubeCluster {
    const key = d.context ?? "";
    let cluster = this.#clusters.get(key);
    if (!cluster) {
      try {
        const kc = loadKubeCredentials(this.#options.env ?? {}, d.context);
        cluster = kubeCluster(
          kc,
          { ...DEFAULT_RETRY_POLICY, ...this.#options.retry },
          this.#options.timeoutMs ?? DEFAULT_KUBERNETES_TIMEOUT_MS,
        );
      } catch (error) {
        throw new DeliveryError(
          destinationId(d),
          `Kubernetes credentials: ${scrub(error instanceof Error ? error.message : String(error), [])}. Set KUBECONFIG (or TOKENFORM_KUBECONFIG to a kubeconfig's content), or run in a cluster`,
        );
      }
      this.#clusters.set(key, cluster);
    }
    return cluster;
  }
}
