/**
 * Kubernetes credentials as kubectl finds them, for the Kubernetes sink: a kubeconfig — its content in
 * `TOKENFORM_KUBECONFIG` (the Action's `kube-config` input), the first file of `KUBECONFIG`, or
 * `~/.kube/config` — with a named or the current context; or, with none of those, the in-cluster service
 * account (`KUBERNETES_SERVICE_HOST`, the mounted token and CA). Supported user credentials: a bearer
 * token (inline or `tokenFile`), client certificates (data or files), and exec plugins
 * (`client.authentication.k8s.io` ExecCredential: EKS, GKE, AKS, OIDC helpers).
 *
 * (`@kubernetes/client-node` 2.x would do this, but it cannot be loaded on Node 20: its undici needs
 * Node ≥ 22.19. This module reads the documented kubeconfig format with the `yaml` parser instead.)
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";

const IN_CLUSTER = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What a request to the cluster needs: the server, TLS material and how to authenticate. */
export interface KubeCredentials {
  server: string;
  ca?: Buffer;
  insecure: boolean;
  cert?: Buffer;
  key?: Buffer;
  /** The bearer token, read (or obtained from the exec plugin) for each request. */
  token?: () => Promise<string>;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Obj = Record<string, unknown>;

/** Loads the credentials for `context` (the current one when undefined); throws an Error with a safe message. */
export function loadKubeCredentials(env: NodeJS.ProcessEnv, context: string | undefined): KubeCredentials {
  const source = kubeconfigSource(env);
  if (!source) {
    if (env.KUBERNETES_SERVICE_HOST && context === undefined) return inCluster(env);
    throw new Error("no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster");
  }
  const config = (parse(source.text) ?? {}) as Obj;
  const name = context ?? (config["current-context"] as string | undefined);
  if (!name) throw new Error("the kubeconfig has no current-context");
  const ctx = find(config.contexts, name, "context")?.context as Obj | undefined;
  if (!ctx) throw new Error(`the kubeconfig has no context ${name}`);
  const cluster = find(config.clusters, String(ctx.cluster), "cluster")?.cluster as Obj | undefined;
  if (!cluster?.server)
    throw new Error(`the kubeconfig has no cluster ${String(ctx.cluster)} for context ${name}`);
  const user = (find(config.users, String(ctx.user ?? ""), "user")?.user ?? {}) as Obj;
  const file = (path: unknown) =>
    readFileSync(isAbsolute(String(path)) ? String(path) : join(source.dir, String(path)));
  const data = (inline: unknown, path: unknown) =>
    typeof inline === "string" ? Buffer.from(inline, "base64") : path ? file(path) : undefined;
  const ca = data(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  const cert = data(user["client-certificate-data"], user["client-certificate"]);
  const key = data(user["client-key-data"], user["client-key"]);
  const token = tokenSource(user, file, env);
  return {
    server: String(cluster.server).replace(/\/+$/, ""),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token } : {}),
  };
}

function kubeconfigSource(env: NodeJS.ProcessEnv): { text: string; dir: string } | undefined {
  if (env.TOKENFORM_KUBECONFIG) return { text: env.TOKENFORM_KUBECONFIG, dir: process.cwd() };
  const path =
    env.KUBECONFIG?.split(":").find((p) => p !== "") ?? join(env.HOME || homedir(), ".kube", "config");
  try {
    return { text: readFileSync(path, "utf8"), dir: dirname(path) };
  } catch (error) {
    if (env.KUBECONFIG) throw new Error(`cannot read the kubeconfig ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

function find(list: unknown, name: string, what: string): Named<unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = (list as Named<unknown>[]).find((entry) => entry?.name === name);
  if (found && typeof found[what] !== "object") return undefined;
  return found;
}

function tokenSource(
  user: Obj,
  file: (path: unknown) => Buffer,
  env: NodeJS.ProcessEnv,
): (() => Promise<string>) | undefined {
  if (typeof user.token === "string") {
    const token = user.token;
    return async () => token;
  }
  if (user.tokenFile) return async () => file(user.tokenFile).toString("utf8").trim();
  const exec = user.exec as Obj | undefined;
  if (exec?.command) return execToken(exec, env);
  if (user["auth-provider"]) {
    throw new Error("the kubeconfig user uses a legacy auth-provider; use an exec credential plugin instead");
  }
  return undefined;
}

/** A client-go exec credential plugin: runs it, reads `status.token`, caches it until `expirationTimestamp`. */
function execToken(exec: Obj, env: NodeJS.ProcessEnv): () => Promise<string> {
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.token;
    const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
    const extra = Array.isArray(exec.env)
      ? Object.fromEntries((exec.env as Obj[]).map((e) => [String(e.name), String(e.value)]))
      : {};
    const { stdout } = await promisify(execFile)(String(exec.command), args, {
      env: { ...process.env, ...env, ...extra },
      timeout: 60_000,
    }).catch((error: Error) => {
      throw new Error(
        `the kubeconfig's exec credential plugin ${String(exec.command)} failed: ${error.message.split("\n")[0]}`,
      );
    });
    const status = (JSON.parse(stdout) as { status?: { token?: string; expirationTimestamp?: string } })
      .status;
    if (!status?.token)
      throw new Error(`the exec credential plugin ${String(exec.command)} returned no token`);
    const until = status.expirationTimestamp
      ? Date.parse(status.expirationTimestamp) - 60_000
      : Date.now() + 5 * 60_000;
    cached = { token: status.token, until };
    return status.token;
  };
}

function inCluster(env: NodeJS.ProcessEnv): KubeCredentials {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT || "443";
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    insecure: false,
    ca: readFileSync(join(IN_CLUSTER, "ca.crt")),
    // Projected service account tokens rotate: read for each request.
    token: async () => readFileSync(join(IN_CLUSTER, "token"), "utf8").trim(),
  };
}
