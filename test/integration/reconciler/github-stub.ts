/**
 * A small stand-in for GitHub's REST API on loopback, for runs of the bundled Action in a child process
 * (nock cannot reach into another process). It serves the documented shapes of the calls the plan job
 * makes — a pull request's files, its comments (list, create, edit), its labels (list, add, remove) — checks the `Authorization` header,
 * and records every request. Used by the bundle test and the Action benchmark.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the stub received. */
export interface StubRequest {
  method: string;
  /** Path and query. */
  url: string;
  authorization?: string;
  body?: unknown;
}

/** A comment as the stub stores it. */
export interface StubComment {
  id: number;
  body: string;
}

/** What the stub serves and what it saw. */
export interface GithubStub {
  /** Base URL to pass as `GITHUB_API_URL`. */
  url: string;
  requests: StubRequest[];
  comments: StubComment[];
  /** The pull request's label names. */
  labels: string[];
  /** Files returned by `GET /repos/{o}/{r}/pulls/{n}/files`. */
  files: Array<{ filename: string; status: string; patch?: string }>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "x-github-api-version-selected": "2022-11-28",
  });
  res.end(text);
}

function commentJson(base: string, comment: StubComment) {
  return {
    id: comment.id,
    node_id: `IC_${comment.id}`,
    url: `${base}/repos/acme/platform-infra/issues/comments/${comment.id}`,
    html_url: `https://github.com/acme/platform-infra/pull/42#issuecomment-${comment.id}`,
    body: comment.body,
    user: { login: "github-actions[bot]", id: 41898282, type: "Bot" },
    created_at: "2026-01-12T09:46:00Z",
    updated_at: "2026-01-12T09:46:00Z",
    author_association: "NONE",
  };
}

function labelJson(name: string) {
  return { id: name.length, node_id: `LA_${name}`, name, color: "ededed", default: false, description: null };
}

/** The issue-labels calls (list, add, remove one); false when `path` is not one of them. */
function labelRoute(method: string, path: string, body: unknown, labels: string[], res: ServerResponse) {
  if (/^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/labels$/.test(path)) {
    if (method === "POST") {
      for (const name of (body as { labels?: string[] }).labels ?? [])
        if (!labels.includes(name)) labels.push(name);
    }
    send(res, 200, labels.map(labelJson));
    return true;
  }
  const one = /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/labels\/([^/]+)$/.exec(path);
  if (method === "DELETE" && one) {
    const at = labels.indexOf(decodeURIComponent(one[1] ?? ""));
    if (at < 0) {
      send(res, 404, { message: "Label does not exist" });
      return true;
    }
    labels.splice(at, 1);
    send(res, 200, labels.map(labelJson));
    return true;
  }
  return false;
}

/** Starts the stub on 127.0.0.1; `token` is the only credential it accepts. */
export async function startGithubStub(token: string): Promise<GithubStub> {
  let nextId = 5000;
  let base = "";
  // Mutable state shared by the handler and the caller (who may set `files` after starting).
  const stub: GithubStub = {
    url: "",
    requests: [],
    comments: [],
    labels: [],
    files: [],
    close: async () => {},
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = req.url ?? "/";
    stub.requests.push({
      method: req.method ?? "GET",
      url,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    if (req.headers.authorization !== `token ${token}`) {
      send(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      return;
    }
    const path = url.split("?")[0] ?? "";
    if (req.method === "GET" && /^\/repos\/[^/]+\/[^/]+\/pulls\/\d+\/files$/.test(path)) {
      send(
        res,
        200,
        stub.files.map((f) => ({
          sha: "bbcd538c8e72b8c175046e27cc8f907076331401",
          additions: 1,
          deletions: 0,
          changes: 1,
          ...f,
        })),
      );
      return;
    }
    if (req.method === "GET" && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) {
      send(
        res,
        200,
        stub.comments.map((c) => commentJson(base, c)),
      );
      return;
    }
    if (req.method === "POST" && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) {
      const comment = { id: nextId++, body: String((body as { body?: unknown }).body ?? "") };
      stub.comments.push(comment);
      send(res, 201, commentJson(base, comment));
      return;
    }
    const edit = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(path);
    if (req.method === "PATCH" && edit) {
      const comment = stub.comments.find((c) => c.id === Number(edit[1]));
      if (!comment) {
        send(res, 404, { message: "Not Found" });
        return;
      }
      comment.body = String((body as { body?: unknown }).body ?? "");
      send(res, 200, commentJson(base, comment));
      return;
    }
    if (labelRoute(req.method ?? "GET", path, body, stub.labels, res)) return;
    send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.url = base;
  stub.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return stub;
}
