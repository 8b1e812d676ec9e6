/**
 * The `kubernetes` destination kind: one key of a Kubernetes Secret, written by server-side apply with
 * tokenform as field manager. Everything tokenform knows about the kind is declared here (see
 * `../kind.ts`); the sink itself is `src/sinks/kubernetes`, loaded on first use.
 */
import type { z as zod } from "zod";
import type { KubernetesSinkOptions } from "../../sinks/kubernetes/sink.js";
import { type DestinationKind, definedOnly, lazySink, tf, type Zod } from "../kind.js";

/** A namespace: an RFC 1123 label. */
export const KUBERNETES_NAMESPACE_PATTERN = "^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$";
/** A Secret name: an RFC 1123 subdomain. */
export const KUBERNETES_NAME_PATTERN =
  "^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$";
/** A Secret data key. */
export const KUBERNETES_KEY_PATTERN = "^[-._a-zA-Z0-9]{1,253}$";

function kubernetesSchema(z: Zod) {
  return z
    .strictObject({
      namespace: z
        .string()
        .regex(new RegExp(KUBERNETES_NAMESPACE_PATTERN), {
          message: "a namespace is lower-case letters, digits and -, at most 63",
        })
        .describe("Namespace of the Secret."),
      secret: z
        .string()
        .max(253)
        .regex(new RegExp(KUBERNETES_NAME_PATTERN), {
          message: "a Secret name is lower-case letters, digits, - and .",
        })
        .describe("Name of the Secret (created when missing)."),
      key: z
        .string()
        .regex(new RegExp(KUBERNETES_KEY_PATTERN), { message: "a Secret key is letters, digits, -, _ and ." })
        .describe("Key within the Secret; its other keys are left as they are."),
      context: z.string().min(1).optional().describe("kubeconfig context (default: the current context)."),
    })
    .describe("Deliver to one key of a Kubernetes Secret.");
}

/** The `kubernetes` block as written. */
export type KubernetesDelivery = zod.infer<ReturnType<typeof kubernetesSchema>>;

/** A resolved Kubernetes destination. */
export interface KubernetesDestination {
  kind: "kubernetes";
  namespace: string;
  secret: string;
  key: string;
  context?: string;
}

export interface KubernetesKindOptions {
  /** Fine tuning of the Kubernetes sink (retries, timeout). */
  kubernetes?: Omit<KubernetesSinkOptions, "env" | "logger">;
}

export const kubernetes = {
  kind: "kubernetes",
  spec: {
    schema: kubernetesSchema,
    patternCodes: [
      [KUBERNETES_NAMESPACE_PATTERN, "invalid_destination"],
      [KUBERNETES_NAME_PATTERN, "invalid_secret_name"],
      [KUBERNETES_KEY_PATTERN, "invalid_variable_name"],
    ],
  },
  resolve: (k) => ({
    kind: "kubernetes",
    namespace: k.namespace,
    secret: k.secret,
    key: k.key,
    ...(k.context !== undefined ? { context: k.context } : {}),
  }),
  id: (d) =>
    `kubernetes:${d.namespace}/${d.secret}#${d.key}${d.context !== undefined ? `@${d.context}` : ""}`,
  describe: (d) =>
    `Kubernetes Secret ${d.namespace}/${d.secret} key ${d.key}${d.context !== undefined ? ` (context ${d.context})` : ""}`,
  settings: () => [],
  local: false,
  // A kubeconfig (its path or, in the Action, its content) or the in-cluster service account.
  credentials: [["KUBECONFIG", "TOKENFORM_KUBECONFIG", "KUBERNETES_SERVICE_HOST"]],
  sink: ({ env, options }) =>
    lazySink("kubernetes", async () => {
      const { KubernetesSink } = await import("../../sinks/kubernetes/sink.js");
      return new KubernetesSink({
        ...options.kubernetes,
        ...(options.logger ? { logger: options.logger } : {}),
        env,
      });
    }),
  terraform: {
    typeName: "kubernetes_secret",
    description:
      "Deliver the secret to one key of a Kubernetes Secret by server-side apply (credentials: KUBECONFIG, or in-cluster).",
    attributes: [
      tf.required("namespace", "string", "Namespace of the Secret."),
      tf.required("secret", "string", "Name of the Secret (created when missing)."),
      tf.required("key", "string", "Key within the Secret; its other keys are left as they are."),
      tf.optional("context", "string", "kubeconfig context (default: the current context)."),
    ],
    fields: { namespace: "namespace", secret: "secret", key: "key", context: "context" },
  },
  cdktf: {
    key: "kubernetesSecret" as const,
    block: (d) => definedOnly({ namespace: d.namespace, secret: d.secret, key: d.key, context: d.context }),
  },
  action: {
    onRunner: "deliver",
    inputs: [
      { name: "kube-config", field: "kubeConfig" as const, env: "TOKENFORM_KUBECONFIG", secret: true },
    ],
  },
} satisfies DestinationKind<
  "kubernetes",
  KubernetesDelivery,
  KubernetesDestination,
  KubernetesKindOptions,
  "kubeConfig"
>;
