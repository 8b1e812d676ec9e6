/**
 * Per-test harness for the token service suites: a real service on a loopback port over a real SQLite file
 * in a temp dir, a manual clock, an admin API client, and a raw HTTP helper for status-code assertions.
 * `await using h = await serviceHarness()` tears it all down.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { TokenformClient } from "../../../src/api/client.js";
import type { SecretValue } from "../../../src/api/secret.js";
import { ManualClock } from "../../../src/service/clock.js";
import { type RunningService, type ServiceOptions, startService } from "../../../src/service/index.js";

/** A raw HTTP answer. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when empty or not JSON); `any` because tests assert it field by field. */
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are asserted field by field.
  body: any;
  text: string;
}

export interface RawRequest {
  /** Sent as `Authorization: Bearer …` unless `headers` sets auth itself. */
  token?: string | SecretValue;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ServiceHarness extends AsyncDisposable {
  dir: string;
  dbPath: string;
  service: RunningService;
  url: string;
  clock: ManualClock;
  admin: TokenformClient;
  adminToken: SecretValue;
  /** Makes a raw request and returns status, headers and parsed body. */
  http(method: string, path: string, req?: RawRequest): Promise<RawResponse>;
  /** A client authenticated with `token`. */
  client(token: string | SecretValue): TokenformClient;
}

/** The start of an event stream up to its first event (the stream is then closed). */
async function firstEvent(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  let text = "";
  for await (const chunk of body) {
    text += chunk.toString();
    if (text.includes("\nevent: ") || text.startsWith("event: ")) break;
  }
  body.destroy();
  return text;
}

/** Sends one raw request to `url` (no retries); an event stream is read up to its first event. */
export async function rawRequest(
  url: string,
  method: string,
  path: string,
  req: RawRequest = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.token !== undefined) {
    headers.authorization = `Bearer ${typeof req.token === "string" ? req.token : req.token.reveal()}`;
  }
  let body: string | undefined;
  if (req.body !== undefined) {
    body = typeof req.body === "string" ? req.body : JSON.stringify(req.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await request(`${url}${path}`, { method: method as "GET", headers, body });
  const text = String(res.headers["content-type"]).startsWith("text/event-stream")
    ? await firstEvent(res.body)
    : await res.body.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

export async function serviceHarness(options: Partial<ServiceOptions> = {}): Promise<ServiceHarness> {
  const dir = await mkdtemp(join(tmpdir(), "tokenform-service-"));
  const dbPath = join(dir, ".tokenform", "tokenform.db");
  const clock =
    options.clock instanceof ManualClock ? options.clock : new ManualClock(Date.UTC(2030, 0, 1, 12));
  const service = await startService({
    dbPath,
    port: 0,
    host: "127.0.0.1",
    clock,
    sweepIntervalMs: 0,
    rateLimits: { keyPerMinute: 1000, accountPerHour: null },
    ...options,
  });
  const clients: TokenformClient[] = [];
  const client = (token: string | SecretValue) => {
    const c = new TokenformClient({ baseUrl: service.url, token, retries: 0 });
    clients.push(c);
    return c;
  };
  const admin = client(service.adminToken);
  return {
    dir,
    dbPath,
    service,
    url: service.url,
    clock,
    admin,
    adminToken: service.adminToken,
    client,
    http: (method, path, req) => rawRequest(service.url, method, path, req),
    async [Symbol.asyncDispose]() {
      for (const c of clients) await c.close();
      await service.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
