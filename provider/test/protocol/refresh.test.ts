/**
 * A refresh of many tokens costs one list, not one read each (reads.ts): the provider executable is
 * configured against the real token service through a loopback proxy that counts every request (and asks
 * for pages of 5, so the list's pagination is exercised), then refreshes N resources the way Terraform
 * does — ReadResource calls, ten at a time. A token another owner has taken, and one deleted outside, are
 * each read on their own and refresh as a single read would; after a write the process reads afresh.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { OWNER_LABEL } from "../../../src/api/schemas.js";
import { startService } from "../../../src/service/index.js";
import { diagnostics as diagnosticsFromProto } from "../../src/protocol/fromproto.js";
import { decodeValue, encodeValue } from "../../src/runtime/codec.js";
import { impliedType } from "../../src/runtime/schema.js";
import type { TfObject } from "../../src/runtime/values.js";
import { providerSchema, tokenResourceSchema } from "../../src/schema.js";
import { providerBundle } from "../support/bundle.js";
import { createClientIdentity, type PluginProcess, startPlugin } from "../support/plugin-client.js";

const TOKEN = impliedType(tokenResourceSchema.block);
const PROVIDER = impliedType(providerSchema.block);
const OWNER = "refresh/tests";
const N = 12;
const PAGE = 5;

let service: Awaited<ReturnType<typeof startService>>;
let api: TokenformClient;
let plugin: PluginProcess;
let proxy: Server;
let dir: string;
/** `METHOD path?query` of every request the provider made, as the service received it. */
const seen: string[] = [];

/** Forwards to the service, recording each request and asking list requests for pages of `PAGE`. */
function countingProxy(target: URL): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", target);
    if (url.pathname === "/v1/tokens" && url.searchParams.has("limit")) {
      url.searchParams.set("limit", String(PAGE));
    }
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    const upstream = httpRequest(
      url,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tokenform-protocol-refresh-"));
  service = await startService({ dbPath: join(dir, "tokens.db"), port: 0 });
  api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  proxy = countingProxy(new URL(service.url));
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const [bundle, identity] = await Promise.all([providerBundle(), createClientIdentity()]);
  plugin = await startPlugin({
    command: bundle,
    identity,
    env: { TOKENFORM_API_URL: "", TOKENFORM_API_TOKEN: "" },
  });
});

afterAll(async () => {
  await plugin?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The state Terraform holds for a token: its id and name (a refresh fills in the rest). */
function stateOf(id: string, name: string): { msgpack: Uint8Array } {
  return { msgpack: encodeValue({ id, name, file: [], github_secret: [], gitlab_variable: [] }, TOKEN) };
}

/** ReadResource for each state, ten at a time as Terraform's default parallelism does. */
async function refresh(states: Array<{ msgpack: Uint8Array }>): Promise<Array<TfObject | null>> {
  const out: Array<TfObject | null> = [];
  for (let i = 0; i < states.length; i += 10) {
    const batch = await Promise.all(
      states
        .slice(i, i + 10)
        .map((current_state) => plugin.call("ReadResource", { type_name: "tokenform_token", current_state })),
    );
    for (const res of batch) {
      expect(diagnosticsFromProto(res.diagnostics)).toEqual([]);
      out.push(decodeValue((res.new_state as { msgpack: Uint8Array }).msgpack, TOKEN) as TfObject | null);
    }
  }
  return out;
}

describe("refreshing many tokens", () => {
  it("lists the owner's tokens once, page by page, and reads on its own only what the list lacks", async () => {
    const { url } = { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
    const configured = await plugin.call("ConfigureProvider", {
      terraform_version: "1.11.4",
      config: {
        msgpack: encodeValue(
          { owner: OWNER, endpoint: url, api_token: service.adminToken.reveal() },
          PROVIDER,
        ),
      },
    });
    expect(diagnosticsFromProto(configured.diagnostics)).toEqual([]);
    const mine = [];
    for (let i = 0; i < N; i++) {
      const issued = await api.createToken({
        name: `refresh-${i}`,
        scopes: ["contexts:read"],
        labels: { [OWNER_LABEL]: OWNER },
      });
      mine.push(issued.token);
    }
    // In state, but no longer this owner's: another configuration took it.
    const taken = (
      await api.createToken({
        name: "refresh-taken",
        scopes: ["contexts:read"],
        labels: { [OWNER_LABEL]: "other/team" },
      })
    ).token;
    // In state, but deleted outside Terraform.
    const deleted = (
      await api.createToken({
        name: "refresh-deleted",
        scopes: ["contexts:read"],
        labels: { [OWNER_LABEL]: OWNER },
      })
    ).token;
    await api.deleteToken(deleted.id);
    seen.length = 0;

    const states = [...mine, taken, deleted].map((t) => stateOf(t.id, t.name));
    const refreshed = await refresh(states);

    const lists = seen.filter((r) => r.startsWith("GET /v1/tokens?"));
    const reads = seen.filter((r) => r.startsWith("GET /v1/tokens/"));
    // The owner holds N tokens: ceil(N / PAGE) pages of one list, then one read for each token it lacks.
    expect(lists).toHaveLength(Math.ceil(N / PAGE));
    for (const l of lists) expect(decodeURIComponent(l)).toContain(`selector=${OWNER_LABEL}=${OWNER}`);
    expect(reads.sort()).toEqual([`GET /v1/tokens/${deleted.id}`, `GET /v1/tokens/${taken.id}`].sort());
    expect(seen).toHaveLength(lists.length + reads.length);

    expect(refreshed.slice(0, N).map((s) => s?.name)).toEqual(mine.map((t) => t.name));
    expect(refreshed.slice(0, N).every((s) => s?.owner === OWNER)).toBe(true);
    expect(refreshed[N]).toMatchObject({ id: taken.id, owner: "other/team" });
    expect(refreshed[N + 1]).toBeNull();

    // A second refresh in the same process answers from the same list: no request at all.
    seen.length = 0;
    await refresh(states.slice(0, N));
    expect(seen).toEqual([]);
  });

  it("reads from the service once the process has changed anything", async () => {
    const target = (await api.listAllTokens({ selector: `${OWNER_LABEL}=${OWNER}` })).find(
      (t) => t.name === "refresh-0",
    )!;
    // A change outside Terraform after the list: the snapshot still shows the token enabled.
    await api.updateToken(target.id, { enabled: false });
    seen.length = 0;
    expect((await refresh([stateOf(target.id, target.name)]))[0]).toMatchObject({ enabled: true });
    expect(seen).toEqual([]);

    // Any ApplyResourceChange drops the snapshot (here a destroy of a token that is already gone).
    const destroyed = await plugin.call("ApplyResourceChange", {
      type_name: "tokenform_token",
      prior_state: { msgpack: encodeValue({ id: "tok_gone", name: "gone", on_remove: "delete" }, TOKEN) },
      planned_state: { msgpack: encodeValue(null, TOKEN) },
      config: { msgpack: encodeValue(null, TOKEN) },
    });
    expect(diagnosticsFromProto(destroyed.diagnostics)).toEqual([]);
    seen.length = 0;
    expect((await refresh([stateOf(target.id, target.name)]))[0]).toMatchObject({ enabled: false });
    expect(seen).toEqual([`GET /v1/tokens/${target.id}`]);
  });
});
