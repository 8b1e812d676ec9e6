/**
 * The Kubernetes sink against the API server's documented Secret endpoints (intercepted with nock):
 * server-side apply (`PATCH …?fieldManager=tokenform&force=true`, `application/apply-patch+yaml`) of the
 * one key, base64 in `data` and nowhere else, credentials from a kubeconfig (context chosen), the
 * resourceVersion recorded, drift reads, removal by applying without the key, and failures (403, 404, 409,
 * 429) as the GitHub sink's delivery errors.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf } from "../../../src/api/secret.js";
import type { KubernetesDestination } from "../../../src/destinations/kubernetes/index.js";
import { createSinks } from "../../../src/sinks/index.js";
import { KubernetesSink } from "../../../src/sinks/kubernetes/sink.js";
import { context, deliveryError, expectNoLeak, issueSecret, lockNetwork } from "./helpers.js";

const SERVER = "https://k8s.test:6443";
const OTHER = "https://k8s-eu.test:6443";
const BEARER = "k8s-sa-token-0123456789abcdef";
const PATH = "/api/v1/namespaces/mcp/secrets/backend-keys";
const APPLY = { fieldManager: "tokenform", force: "true" };

/** A kubeconfig with two contexts (the current one on SERVER), token auth. */
const KUBECONFIG = JSON.stringify({
  apiVersion: "v1",
  kind: "Config",
  clusters: [
    { name: "main", cluster: { server: SERVER, "insecure-skip-tls-verify": true } },
    { name: "eu", cluster: { server: OTHER, "insecure-skip-tls-verify": true } },
  ],
  users: [{ name: "deployer", user: { token: BEARER } }],
  contexts: [
    { name: "main", context: { cluster: "main", user: "deployer" } },
    { name: "prod-eu", context: { cluster: "eu", user: "deployer" } },
  ],
  "current-context": "main",
});

const dest = (over: Partial<KubernetesDestination> = {}): KubernetesDestination => ({
  kind: "kubernetes",
  namespace: "mcp",
  secret: "backend-keys",
  key: "API_KEY",
  ...over,
});

function sink(): KubernetesSink {
  return new KubernetesSink({
    env: { TOKENFORM_KUBECONFIG: KUBECONFIG },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
}

function k8s(server = SERVER) {
  return nock(server, { reqheaders: { authorization: `Bearer ${BEARER}` } });
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A Secret as the API server returns it. */
function v1Secret(data: Record<string, string>, resourceVersion: string, managers = ["tokenform"]) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: "backend-keys",
      namespace: "mcp",
      resourceVersion,
      managedFields: managers.map((manager) => ({ manager, operation: "Apply", apiVersion: "v1" })),
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

const status = (code: number, reason: string, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message,
  reason,
  code,
});

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("Kubernetes Secret delivery by server-side apply", () => {
  it("applies only its key, base64 in data, as field manager tokenform, and records the resourceVersion", async () => {
    const secret = issueSecret();
    let raw = "";
    const api = k8s()
      .matchHeader("content-type", "application/apply-patch+yaml")
      .patch(PATH, (body) => {
        raw = JSON.stringify(body);
        return true;
      })
      .query(APPLY)
      .reply(201, v1Secret({ API_KEY: secret.reveal() }, "4711"));
    const receipt = await sink().deliver(dest(), secret, context);
    expect(receipt).toMatchObject({
      destination: "kubernetes:mcp/backend-keys#API_KEY",
      outcome: "created",
      version: "4711",
    });
    expect(JSON.parse(raw)).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "backend-keys", namespace: "mcp" },
      data: { API_KEY: b64(secret.reveal()) },
    });
    expect(raw).not.toContain(secret.reveal());
    expect(raw.split(b64(secret.reveal())).length - 1).toBe(1);
    expect(api.isDone()).toBe(true);
  });

  it("uses the named context's cluster; 200 is an update", async () => {
    const api = k8s(OTHER)
      .patch(PATH)
      .query(APPLY)
      .reply(200, v1Secret({ API_KEY: "x", OTHER: "y" }, "12"));
    await expect(sink().deliver(dest({ context: "prod-eu" }), issueSecret(), context)).resolves.toMatchObject(
      {
        outcome: "updated",
        version: "12",
      },
    );
    expect(api.isDone()).toBe(true);
  });

  it("an unknown context is a delivery error saying so", async () => {
    const error = await deliveryError(sink().deliver(dest({ context: "nope" }), issueSecret(), context));
    expect(error.message).toMatch(/^Kubernetes credentials: the kubeconfig has no context nope/);
  });

  it("createSinks builds it from the environment", async () => {
    k8s()
      .patch(PATH)
      .query(APPLY)
      .reply(201, v1Secret({ API_KEY: "x" }, "1"));
    const sinks = createSinks({ env: { TOKENFORM_KUBECONFIG: KUBECONFIG } });
    await expect(sinks.kubernetes.deliver(dest(), issueSecret(), context)).resolves.toMatchObject({
      version: "1",
    });
  });
});

describe("Kubernetes credentials as kubectl finds them", () => {
  it("reads KUBECONFIG's file, a tokenFile relative to it, and an exec credential plugin", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tokenform-kube-"));
    try {
      await writeFile(join(dir, "token"), `${BEARER}\n`);
      const plugin = `process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "exec-" + process.env.WHO } }))`;
      await writeFile(
        join(dir, "config"),
        [
          "apiVersion: v1",
          "kind: Config",
          "current-context: file",
          "clusters:",
          `  - { name: c, cluster: { server: "${SERVER}" } }`,
          "users:",
          "  - { name: f, user: { tokenFile: token } }",
          `  - { name: e, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: "${process.execPath}", args: ["-e", ${JSON.stringify(plugin)}], env: [{ name: WHO, value: plugin }] } } }`,
          "contexts:",
          "  - { name: file, context: { cluster: c, user: f } }",
          "  - { name: exec, context: { cluster: c, user: e } }",
        ].join("\n"),
      );
      const s = new KubernetesSink({ env: { KUBECONFIG: join(dir, "config") }, retry: { retries: 0 } });
      k8s()
        .get(PATH)
        .reply(404, status(404, "NotFound", "not found"));
      nock(SERVER, { reqheaders: { authorization: "Bearer exec-plugin" } })
        .get(PATH)
        .reply(404, status(404, "NotFound", "not found"));
      const recorded = { fingerprint: "sha256:0", deliveredAt: "2026-12-01T10:00:00Z" };
      await expect(s.inspect(dest(), recorded, context)).resolves.toMatchObject({ holds: false });
      await expect(s.inspect(dest({ context: "exec" }), recorded, context)).resolves.toMatchObject({
        holds: false,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("without any kubeconfig or cluster, says what to set", async () => {
    const s = new KubernetesSink({ env: { HOME: "/nonexistent-home" } });
    const error = await deliveryError(s.deliver(dest(), issueSecret(), context));
    expect(error.message).toMatch(/^Kubernetes credentials: no kubeconfig found .* Set KUBECONFIG/);
  });
});

describe("Kubernetes failures are delivery errors", () => {
  it("403 names the RBAC verbs; not transient; nothing leaks", async () => {
    const secret = issueSecret();
    k8s()
      .patch(PATH)
      .query(APPLY)
      .reply(
        403,
        status(
          403,
          "Forbidden",
          'secrets "backend-keys" is forbidden: User "system:serviceaccount:ci:deployer" cannot patch resource "secrets" in API group "" in the namespace "mcp"',
        ),
      );
    const error = await deliveryError(sink().deliver(dest(), secret, context));
    expect(error.message).toMatch(
      /^Kubernetes refused \(403: secrets "backend-keys" is forbidden: .*\) applying key API_KEY of Secret mcp\/backend-keys: the credentials need the verbs "get" and "patch" on secrets in namespace mcp$/,
    );
    expect(error).toMatchObject({ status: 403, transient: false });
    expectNoLeak(error, secret.reveal(), b64(secret.reveal()), BEARER);
  });

  it("404: the namespace does not exist", async () => {
    k8s()
      .patch(PATH)
      .query(APPLY)
      .reply(404, status(404, "NotFound", 'namespaces "mcp" not found'));
    const error = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(error.message).toBe(
      "Kubernetes namespace mcp not found (404 while applying key API_KEY of Secret mcp/backend-keys)",
    );
  });

  it("409 is a transient conflict; 429 is retried, then transient", async () => {
    k8s()
      .patch(PATH)
      .query(APPLY)
      .reply(409, status(409, "Conflict", "Operation cannot be fulfilled: the object has been modified"));
    const conflict = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(conflict).toMatchObject({ status: 409, transient: true });
    const api = k8s()
      .patch(PATH)
      .query(APPLY)
      .times(4)
      .reply(429, status(429, "TooManyRequests", "Too many requests"));
    const throttled = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(throttled).toMatchObject({ status: 429, transient: true });
    expect(api.isDone()).toBe(true);
  });
});

describe("Kubernetes destination drift and removal", () => {
  const recorded = {
    fingerprint: fingerprintOf("mcp_sk_delivered"),
    deliveredAt: "2026-12-01T10:00:00Z",
    version: "10",
  };

  it("holds, drifts on another value (naming resourceVersions), or when the Secret or key is gone", async () => {
    k8s()
      .get(PATH)
      .reply(200, v1Secret({ API_KEY: "mcp_sk_delivered" }, "15"))
      .get(PATH)
      .reply(200, v1Secret({ API_KEY: "edited" }, "16"))
      .get(PATH)
      .reply(200, v1Secret({ OTHER: "x" }, "17"))
      .get(PATH)
      .reply(404, status(404, "NotFound", 'secrets "backend-keys" not found'));
    const s = sink();
    await expect(s.inspect(dest(), recorded, context)).resolves.toEqual({ holds: true });
    await expect(s.inspect(dest(), recorded, context)).resolves.toEqual({
      holds: false,
      reason:
        "key API_KEY holds another value than tokenform delivered (resourceVersion 16; tokenform wrote 10)",
    });
    await expect(s.inspect(dest(), recorded, context)).resolves.toEqual({
      holds: false,
      reason: "the Secret no longer has key API_KEY",
    });
    await expect(s.inspect(dest(), recorded, context)).resolves.toEqual({
      holds: false,
      reason: "the Secret no longer exists",
    });
  });

  it("removes its key by applying without it; other managers' keys stay", async () => {
    let body: unknown;
    const api = k8s()
      .get(PATH)
      .reply(200, v1Secret({ API_KEY: "v", OTHER: "x" }, "20", ["tokenform", "kubectl"]))
      .patch(PATH, (b) => {
        body = b;
        return true;
      })
      .query(APPLY)
      .reply(200, v1Secret({ OTHER: "x" }, "21", ["kubectl"]));
    await sink().remove(dest(), context);
    expect(body).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "backend-keys", namespace: "mcp" },
    });
    expect(api.isDone()).toBe(true);
  });

  it("deletes a Secret left empty that only tokenform managed; nothing to do when gone", async () => {
    const api = k8s()
      .get(PATH)
      .reply(200, v1Secret({ API_KEY: "v" }, "20"))
      .patch(PATH)
      .query(APPLY)
      .reply(200, v1Secret({}, "21"))
      .delete(PATH)
      .reply(200, status(200, "", ""))
      .get(PATH)
      .reply(404, status(404, "NotFound", "not found"));
    await sink().remove(dest(), context);
    await sink().remove(dest(), context);
    expect(api.isDone()).toBe(true);
  });
});
