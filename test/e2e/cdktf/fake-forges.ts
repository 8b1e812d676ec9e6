/**
 * A loopback stand-in for the parts of GitHub's and GitLab's REST APIs the sinks use, for end-to-end runs
 * where the sinks live in the provider process (started by Terraform), out of reach of nock. GitHub
 * (`/github`, for GITHUB_API_URL): repository and environment secrets — public key, create/update, read.
 * Its key pair is real, so each sealed secret is opened and kept: the test greps every output for the
 * issued secrets. GitLab (`/gitlab`, for GITLAB_URL): project variables — read, create, update.
 * Every request must carry the credential the sinks send.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sodium from "libsodium-wrappers";

/** The credential both fakes expect (GITHUB_TOKEN / GITLAB_TOKEN). */
export const FORGE_TOKEN = "forge-test-credential";

/** One secret written to a fake: where, and the plaintext value (opened from GitHub's sealed box). */
export interface ForgeWrite {
  destination: string;
  value: string;
}

export interface FakeForges {
  /** GITHUB_API_URL for the sinks. */
  githubUrl: string;
  /** GITLAB_URL for the sinks. */
  gitlabUrl: string;
  /** Every write, in order. */
  writes: ForgeWrite[];
  /** Requests the fakes did not recognise (a test asserts there are none). */
  unexpected: string[];
  close(): Promise<void>;
}

const GITHUB_SECRET =
  /^\/github\/repos\/([^/]+)\/([^/]+)\/(?:environments\/([^/]+)\/secrets|actions\/secrets)\/([^/]+)$/;
const GITLAB_VARIABLE = /^\/gitlab\/api\/v4\/projects\/([^/]+)\/variables(?:\/([^/]+))?$/;

export async function startFakeForges(): Promise<FakeForges> {
  await sodium.ready;
  const keys = sodium.crypto_box_keypair();
  const publicKey = sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL);
  const writes: ForgeWrite[] = [];
  const unexpected: string[] = [];
  const github = new Map<string, string>();
  const gitlab = new Map<string, Record<string, unknown>>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await readBody(req);
    const send = (status: number, data?: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(data === undefined ? "" : JSON.stringify(data));
    };
    const auth = `${req.headers.authorization ?? ""} ${req.headers["private-token"] ?? ""}`;
    if (!auth.includes(FORGE_TOKEN)) return send(401, { message: "Bad credentials" });

    if (url.pathname.startsWith("/github/")) {
      if (url.pathname.endsWith("/secrets/public-key") && req.method === "GET") {
        return send(200, { key_id: "568250167242549743", key: publicKey });
      }
      const m = GITHUB_SECRET.exec(url.pathname);
      if (m) {
        const [, owner, repo, environment, name] = m;
        const destination = `github:${owner}/${repo}${environment ? `/env/${environment}` : ""}/${name}`;
        if (req.method === "PUT") {
          const { encrypted_value } = JSON.parse(body) as { encrypted_value: string };
          const sealed = sodium.from_base64(encrypted_value, sodium.base64_variants.ORIGINAL);
          const value = sodium.to_string(
            sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey),
          );
          const existed = github.has(destination);
          github.set(destination, value);
          writes.push({ destination, value });
          return send(existed ? 204 : 201);
        }
        if (req.method === "GET") {
          return github.has(destination)
            ? send(200, { name, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" })
            : send(404, { message: "Not Found" });
        }
        if (req.method === "DELETE") {
          github.delete(destination);
          return send(204);
        }
      }
    }

    const v = GITLAB_VARIABLE.exec(url.pathname);
    if (v) {
      const project = decodeURIComponent(v[1]!);
      const scope = url.searchParams.get("filter[environment_scope]") ?? "*";
      if (req.method === "POST" && !v[2]) {
        const input = JSON.parse(body) as Record<string, unknown> & { key: string; value: string };
        const id = `gitlab:${project}/${input.environment_scope ?? "*"}/${input.key}`;
        if (gitlab.has(id)) return send(400, { message: { key: [`(${input.key}) has already been taken`] } });
        gitlab.set(id, input);
        writes.push({ destination: id, value: input.value });
        return send(201, variableView(input));
      }
      const id = `gitlab:${project}/${scope}/${decodeURIComponent(v[2] ?? "")}`;
      const existing = gitlab.get(id);
      if (req.method === "GET") {
        return existing
          ? send(200, variableView(existing))
          : send(404, { message: "404 Variable Not Found" });
      }
      if (req.method === "PUT") {
        if (!existing) return send(404, { message: "404 Variable Not Found" });
        const input = JSON.parse(body) as Record<string, unknown> & { value: string };
        const next = { ...existing, ...input };
        gitlab.set(id, next);
        writes.push({ destination: id, value: input.value });
        return send(200, variableView(next));
      }
      if (req.method === "DELETE") {
        gitlab.delete(id);
        return send(existing ? 204 : 404, existing ? undefined : { message: "404 Variable Not Found" });
      }
    }
    unexpected.push(`${req.method} ${url.pathname}`);
    return send(404, { message: "Not Found" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      unexpected.push(`${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    githubUrl: `${base}/github`,
    gitlabUrl: `${base}/gitlab`,
    writes,
    unexpected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A GitLab variable as the API shows it (the value included, as GitLab does for maintainers). */
function variableView(v: Record<string, unknown>): Record<string, unknown> {
  return {
    variable_type: "env_var",
    protected: false,
    masked: false,
    hidden: false,
    raw: false,
    environment_scope: "*",
    description: null,
    ...v,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}
