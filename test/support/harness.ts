/**
 * A per-test harness: a real token service on a loopback port over a real SQLite file in a temp dir, an
 * API client with its bootstrap admin key, file sinks writing under a temp dir, and GitHub, GitLab, Vault,
 * AWS Secrets Manager, Kubernetes and Google Secret Manager sinks pointed at nock-intercepted hosts. `await using h = await startHarness()` tears it all down.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenformClient } from "../../src/api/client.js";
import { startService } from "../../src/service/index.js";
import { createSinks } from "../../src/sinks/index.js";
import type { SinkRegistry } from "../../src/sinks/types.js";

export const GITHUB_API = "https://api.github.test";
export const GITLAB_URL = "https://gitlab.test";
export const VAULT_URL = "https://vault.test:8200";
export const VAULT_TOKEN = "hvs.harnessVaultToken";
export const KUBE_SERVER = "https://k8s.test:6443";
export const KUBE_TOKEN = "harness-k8s-token";
export const GOOGLE_TOKEN = "ya29.harnessGoogleToken";

export interface Harness extends AsyncDisposable {
  dir: string;
  outDir: string;
  dbPath: string;
  url: string;
  api: TokenformClient;
  sinks: SinkRegistry;
  service: Awaited<ReturnType<typeof startService>>;
}

export async function startHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "tokenform-test-"));
  const dbPath = join(dir, "tokenform.db");
  const service = await startService({ dbPath, port: 0, host: "127.0.0.1" });
  const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken, retries: 0 });
  const sinks = createSinks({
    env: {
      GITHUB_TOKEN: "ghs_testtoken",
      GITLAB_TOKEN: "glpat-testtoken",
      VAULT_ADDR: VAULT_URL,
      VAULT_TOKEN,
      AWS_ACCESS_KEY_ID: "AKIAHARNESS000000000",
      AWS_SECRET_ACCESS_KEY: "harnessSecretAccessKey0123456789abcdefgh",
      GOOGLE_OAUTH_ACCESS_TOKEN: GOOGLE_TOKEN,
      TOKENFORM_KUBECONFIG: JSON.stringify({
        clusters: [{ name: "test", cluster: { server: KUBE_SERVER } }],
        users: [{ name: "tokenform", user: { token: KUBE_TOKEN } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "tokenform" } }],
        "current-context": "test",
      }),
    },
    githubBaseUrl: GITHUB_API,
    gitlabUrl: GITLAB_URL,
    github: { writeIntervalMs: 0 },
    vault: { retry: { baseDelayMs: 1, maxDelayMs: 5 } },
    awsSecretsManager: { maxAttempts: 1 },
    kubernetes: { retry: { baseDelayMs: 1, maxDelayMs: 5 } },
    googleSecretManager: { retry: { baseDelayMs: 1, maxDelayMs: 5 } },
  });
  return {
    dir,
    outDir: join(dir, "out"),
    dbPath,
    url: service.url,
    api,
    sinks,
    service,
    async [Symbol.asyncDispose]() {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
