/**
 * The RPCs that talk to the token service, called directly with our go-plugin client against the real
 * service on a loopback port: ConfigureProvider (and its diagnostics), ImportResourceState, ReadResource
 * (including a token deleted outside), ValidateDataResourceConfig, ReadDataSource, and a destroy through
 * ApplyResourceChange.
 */
import { mkdtempSync, rmSync } from "node:fs";
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
import { providerSchema, tokenResourceSchema, tokensDataSourceSchema } from "../../src/schema.js";
import { providerBundle } from "../support/bundle.js";
import { createClientIdentity, type PluginProcess, startPlugin } from "../support/plugin-client.js";

const TOKEN = impliedType(tokenResourceSchema.block);
const DATA = impliedType(tokensDataSourceSchema.block);
const PROVIDER = impliedType(providerSchema.block);
const OWNER = "protocol/tests";

let service: Awaited<ReturnType<typeof startService>>;
let api: TokenformClient;
let plugin: PluginProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tokenform-protocol-service-"));
  service = await startService({ dbPath: join(dir, "tokens.db"), port: 0 });
  api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  const [bundle, identity] = await Promise.all([providerBundle(), createClientIdentity()]);
  // No TOKENFORM_* in the environment: the provider block must say everything.
  const env = { TOKENFORM_API_URL: "", TOKENFORM_API_TOKEN: "" };
  plugin = await startPlugin({ command: bundle, identity, env });
});

afterAll(async () => {
  await plugin?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const configure = (config: TfObject) =>
  plugin.call("ConfigureProvider", {
    terraform_version: "1.11.4",
    config: { msgpack: encodeValue(config, PROVIDER) },
  });

describe("against the token service", () => {
  it("explains a provider block without endpoint or token", async () => {
    const res = await configure({ owner: OWNER });
    const diags = diagnosticsFromProto(res.diagnostics);
    expect(diags.map((d) => d.path)).toEqual([[{ attribute: "endpoint" }], [{ attribute: "api_token" }]]);
    expect(diags[0]!.detail).toMatch(/TOKENFORM_API_URL/);
  });

  it("imports, refreshes, lists and destroys a token", async () => {
    const res = await configure({
      owner: OWNER,
      endpoint: service.url,
      api_token: service.adminToken.reveal(),
    });
    expect(diagnosticsFromProto(res.diagnostics)).toEqual([]);
    const issued = await api.createToken({
      name: "protocol-one",
      scopes: ["contexts:read"],
      labels: { [OWNER_LABEL]: OWNER, team: "x" },
    });

    const imported = await plugin.call("ImportResourceState", {
      type_name: "tokenform_token",
      id: issued.token.id,
    });
    expect(diagnosticsFromProto(imported.diagnostics)).toEqual([]);
    const [resource] = imported.imported_resources as Array<{
      type_name: string;
      state: { msgpack: Uint8Array };
    }>;
    const state = decodeValue(resource!.state.msgpack, TOKEN) as TfObject;
    expect(state).toMatchObject({
      id: issued.token.id,
      name: "protocol-one",
      labels: { team: "x" },
      generation: 1,
      file: [],
    });

    const read = await plugin.call("ReadResource", {
      type_name: "tokenform_token",
      current_state: resource!.state,
    });
    const refreshed = decodeValue((read.new_state as { msgpack: Uint8Array }).msgpack, TOKEN) as TfObject;
    expect(refreshed).toMatchObject({
      id: issued.token.id,
      fingerprint: issued.secret.fingerprint,
      status: "active",
    });

    const badFilter = await plugin.call("ValidateDataResourceConfig", {
      type_name: "tokenform_tokens",
      config: { msgpack: encodeValue({ status: "sleeping" }, DATA) },
    });
    expect(diagnosticsFromProto(badFilter.diagnostics).map((d) => d.path)).toEqual([
      [{ attribute: "status" }],
    ]);
    const listed = await plugin.call("ReadDataSource", {
      type_name: "tokenform_tokens",
      config: { msgpack: encodeValue({ labels: { team: "x" } }, DATA) },
    });
    const data = decodeValue((listed.state as { msgpack: Uint8Array }).msgpack, DATA) as TfObject;
    expect(data.ids).toEqual([issued.token.id]);
    expect((data.tokens as TfObject[])[0]).toMatchObject({
      name: "protocol-one",
      owner: OWNER,
      request_count: 0,
      last_used_at: null,
    });

    const destroyed = await plugin.call("ApplyResourceChange", {
      type_name: "tokenform_token",
      prior_state: { msgpack: encodeValue({ ...refreshed, on_remove: "delete" }, TOKEN) },
      planned_state: { msgpack: encodeValue(null, TOKEN) },
      config: { msgpack: encodeValue(null, TOKEN) },
    });
    // The destroy says what on_remove did (removal.ts), as a warning.
    expect(diagnosticsFromProto(destroyed.diagnostics)).toMatchObject([
      { severity: "warning", summary: 'Token protocol-one deleted (on_remove = "delete")' },
    ]);
    expect(decodeValue((destroyed.new_state as { msgpack: Uint8Array }).msgpack, TOKEN)).toBeNull();
    await expect(api.getToken(issued.token.id)).rejects.toMatchObject({ code: "not_found" });

    // Gone outside Terraform: refresh answers null, so the next plan creates it again.
    const gone = await plugin.call("ReadResource", {
      type_name: "tokenform_token",
      current_state: resource!.state,
    });
    expect(decodeValue((gone.new_state as { msgpack: Uint8Array }).msgpack, TOKEN)).toBeNull();
    expect(diagnosticsFromProto(gone.diagnostics)).toEqual([]);
  });

  it("refuses to import an id the service does not know", async () => {
    const res = await plugin.call("ImportResourceState", {
      type_name: "tokenform_token",
      id: "tok_doesnotexist",
    });
    expect(res.imported_resources ?? []).toEqual([]);
    expect(diagnosticsFromProto(res.diagnostics)[0]!.summary).toMatch(/does not exist/);
  });
});
