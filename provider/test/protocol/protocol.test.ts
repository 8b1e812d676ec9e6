/**
 * The plugin protocol against the bundled provider executable, with our own go-plugin client
 * (@grpc/grpc-js over the unix socket, mutual TLS): handshake, every RPC that needs no token service,
 * unknown and refined-unknown values, exact big numbers, StopProvider, SIGINT and Shutdown.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { decode as plainDecode, encode as plainEncode } from "@msgpack/msgpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installProvider } from "../../src/install.js";
import { diagnostics as diagnosticsFromProto } from "../../src/protocol/fromproto.js";
import { decodeValue, encodeValue } from "../../src/runtime/codec.js";
import { parseHandshakeLine } from "../../src/runtime/handshake.js";
import { impliedType } from "../../src/runtime/schema.js";
import { type TfObject, UNKNOWN, Unknown } from "../../src/runtime/values.js";
import { providerSchema, providersSchemaJson, tokenResourceSchema } from "../../src/schema.js";
import { providerBundle } from "../support/bundle.js";
import { tokenConfig } from "../support/config.js";
import {
  type ClientIdentity,
  createClientIdentity,
  type PluginProcess,
  startPlugin,
} from "../support/plugin-client.js";

const TOKEN_TYPE = impliedType(tokenResourceSchema.block);
const PROVIDER_TYPE = impliedType(providerSchema.block);
const dv = (value: TfObject | null) => ({ msgpack: encodeValue(value, TOKEN_TYPE) });
const decoded = (message: unknown) =>
  decodeValue((message as { msgpack: Uint8Array }).msgpack, TOKEN_TYPE) as TfObject;

let bundle: string;
let identity: ClientIdentity;
let plugin: PluginProcess;

beforeAll(async () => {
  [bundle, identity] = await Promise.all([providerBundle(), createClientIdentity()]);
  plugin = await startPlugin({ command: bundle, identity });
});

afterAll(async () => {
  await plugin?.close();
});

/** A valid configuration with every attribute present (as Terraform sends it). */
const config = tokenConfig;

describe("handshake", () => {
  it("prints exactly one go-plugin line with the socket and an unpadded DER certificate", () => {
    const lines = plugin.stdout().split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    const hs = parseHandshakeLine(lines[0]!);
    expect(lines[0]!.split("|").slice(0, 3)).toEqual(["1", "6", "unix"]);
    expect(existsSync(hs.socketPath)).toBe(true);
    expect(lines[0]!.endsWith("=")).toBe(false);
  });

  it("refuses a client whose certificate is not Terraform's", async () => {
    const stranger = await createClientIdentity();
    const hs = parseHandshakeLine(plugin.stdout().split("\n")[0]!);
    const serverPem = `-----BEGIN CERTIFICATE-----\n${hs.certDer.toString("base64")}\n-----END CERTIFICATE-----\n`;
    const client = new grpc.Client(
      `unix://${hs.socketPath}`,
      grpc.credentials.createSsl(
        Buffer.from(serverPem),
        Buffer.from(stranger.keyPem),
        Buffer.from(stranger.certPem),
      ),
      { "grpc.ssl_target_name_override": "localhost" },
    );
    const outcome = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        "/tfplugin6.Provider/GetMetadata",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        { deadline: Date.now() + 5000 },
        (err) => resolve(err),
      );
    });
    client.close();
    expect(outcome?.code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe("schema", () => {
  it("serves the same schema `tokenform provider schema` prints, with the capabilities", async () => {
    const res = await plugin.call("GetProviderSchema");
    expect(res.server_capabilities).toMatchObject({ get_provider_schema_optional: true, plan_destroy: true });
    const resources = res.resource_schemas as Record<
      string,
      { block: { attributes: Array<{ name: string; type: Buffer }> } }
    >;
    const json = providersSchemaJson("0").provider_schemas["registry.terraform.io/tokenform/tokenform"]!;
    const fromGrpc = Object.fromEntries(
      resources.tokenform_token!.block.attributes.map((a) => [a.name, JSON.parse(a.type.toString())]),
    );
    const fromJson = Object.fromEntries(
      Object.entries(json.resource_schemas.tokenform_token!.block.attributes!).map(([k, v]) => [k, v.type]),
    );
    expect(fromGrpc).toEqual(fromJson);
    expect(Object.keys(res.data_source_schemas as object)).toEqual(["tokenform_tokens"]);
    const apiToken = (
      res.provider as { block: { attributes: Array<{ name: string; sensitive?: boolean }> } }
    ).block.attributes.find((a) => a.name === "api_token");
    expect(apiToken?.sensitive).toBe(true);
  });

  it("answers GetMetadata", async () => {
    const res = await plugin.call("GetMetadata");
    expect(res.resources).toEqual([{ type_name: "tokenform_token" }]);
    expect(res.data_sources).toEqual([{ type_name: "tokenform_tokens" }]);
  });

  it("answers UNIMPLEMENTED for methods it does not serve", async () => {
    const hs = parseHandshakeLine(plugin.stdout().split("\n")[0]!);
    const serverPem = `-----BEGIN CERTIFICATE-----\n${hs.certDer.toString("base64")}\n-----END CERTIFICATE-----\n`;
    const client = new grpc.Client(
      `unix://${hs.socketPath}`,
      grpc.credentials.createSsl(
        Buffer.from(serverPem),
        Buffer.from(identity.keyPem),
        Buffer.from(identity.certPem),
      ),
      { "grpc.ssl_target_name_override": "localhost" },
    );
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        "/tfplugin6.Provider/GetFunctions",
        (x: Buffer) => x,
        (x: Buffer) => x,
        Buffer.alloc(0),
        (e) => resolve(e),
      );
    });
    client.close();
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe("validation", () => {
  it("accepts a valid token configuration", async () => {
    const res = await plugin.call("ValidateResourceConfig", {
      type_name: "tokenform_token",
      config: dv(config()),
    });
    expect(diagnosticsFromProto(res.diagnostics)).toEqual([]);
  });

  it("reports spec errors on the Terraform attribute they concern", async () => {
    const res = await plugin.call("ValidateResourceConfig", {
      type_name: "tokenform_token",
      config: dv(
        config({
          name: "Not\u202eA Slug",
          rotation: { every: "ninety days", overlap: null },
          rate_limit: { per_minute: -1, per_hour: null },
          github_secret: [
            {
              repository: "acme/backend",
              secret: "MCP_KEY",
              environment: null,
              organization: null,
              visibility: null,
              repositories: null,
            },
            {
              repository: "acme/backend",
              secret: "9BAD",
              environment: null,
              organization: null,
              visibility: null,
              repositories: null,
            },
          ],
          labels: { "tokenform.dev/owner": "someone" },
        }),
      ),
    });
    const diags = diagnosticsFromProto(res.diagnostics);
    const paths = diags.map((d) => JSON.stringify(d.path));
    expect(diags.every((d) => d.severity === "error")).toBe(true);
    expect(paths).toContain(JSON.stringify([{ attribute: "name" }]));
    expect(paths).toContain(JSON.stringify([{ attribute: "rotation" }, { attribute: "every" }]));
    expect(paths).toContain(JSON.stringify([{ attribute: "rate_limit" }, { attribute: "per_minute" }]));
    expect(paths).toContain(
      JSON.stringify([{ attribute: "github_secret" }, { index: 1 }, { attribute: "secret" }]),
    );
    expect(paths.some((p) => p.startsWith(JSON.stringify([{ attribute: "labels" }]).slice(0, -1)))).toBe(
      true,
    );
  });

  it("does not report values that are unknown until apply (plain or refined)", async () => {
    const refined = new Unknown(plainEncode({ 1: false }));
    const res = await plugin.call("ValidateResourceConfig", {
      type_name: "tokenform_token",
      config: dv(config({ name: refined, rotation: { every: UNKNOWN, overlap: null }, scopes: UNKNOWN })),
    });
    expect(diagnosticsFromProto(res.diagnostics)).toEqual([]);
  });

  it("checks the provider block", async () => {
    const res = await plugin.call("ValidateProviderConfig", {
      config: {
        msgpack: encodeValue({ endpoint: "ftp://x", owner: "bad owner!", api_token: UNKNOWN }, PROVIDER_TYPE),
      },
    });
    const diags = diagnosticsFromProto(res.diagnostics);
    expect(diags.map((d) => d.path)).toEqual([[{ attribute: "endpoint" }], [{ attribute: "owner" }]]);
  });
});

describe("planning", () => {
  it("plans a create with computed attributes unknown and defaults filled in", async () => {
    const cfg = config();
    const res = await plugin.call("PlanResourceChange", {
      type_name: "tokenform_token",
      prior_state: dv(null),
      proposed_new_state: dv(cfg),
      config: dv(cfg),
    });
    expect(diagnosticsFromProto(res.diagnostics)).toEqual([]);
    const planned = decoded(res.planned_state);
    for (const name of ["id", "fingerprint", "display_prefix", "generation", "status", "delivered"]) {
      expect(planned[name]).toBeInstanceOf(Unknown);
    }
    expect(planned).toMatchObject({
      type: "mcp",
      read_only: true,
      enabled: true,
      description: "",
      on_remove: "disable-then-delete",
      removal_grace: "7d",
      expires_at: null,
    });
  });

  it("keeps unknown and refined-unknown configuration values unknown, refinements intact", async () => {
    const refinement = plainEncode({ 1: false, 2: "ci-" });
    const cfg = config({ name: new Unknown(refinement), description: UNKNOWN });
    const res = await plugin.call("PlanResourceChange", {
      type_name: "tokenform_token",
      prior_state: dv(null),
      proposed_new_state: dv(cfg),
      config: dv(cfg),
    });
    const raw = plainDecode((res.planned_state as { msgpack: Uint8Array }).msgpack, {
      extensionCodec: undefined,
    }) as Record<string, { type: number; data: Uint8Array }>;
    expect(raw.name!.type).toBe(12);
    expect(Buffer.from(raw.name!.data)).toEqual(Buffer.from(refinement));
    expect(raw.description!.type).toBe(0);
  });

  it("round-trips numbers beyond float64 and int64 exactly", async () => {
    const cfg = config({ rate_limit: { per_minute: 2n ** 63n - 1n, per_hour: 18446744073709551615n } });
    const res = await plugin.call("PlanResourceChange", {
      type_name: "tokenform_token",
      prior_state: dv(null),
      proposed_new_state: dv(cfg),
      config: dv(cfg),
    });
    expect(decoded(res.planned_state).rate_limit).toEqual({
      per_minute: 2n ** 63n - 1n,
      per_hour: 18446744073709551615n,
    });
    // A decimal Terraform sends as a string comes back as the same string.
    const asText = plainEncode({
      ...Object.fromEntries(Object.keys(TOKEN_TYPE[1] as object).map((k) => [k, null])),
      name: "x",
      rate_limit: { per_minute: "1e400", per_hour: null },
      github_secret: [],
      gitlab_variable: [],
      file: [],
    });
    const res2 = await plugin.call("PlanResourceChange", {
      type_name: "tokenform_token",
      prior_state: dv(null),
      proposed_new_state: { msgpack: asText },
      config: { msgpack: asText },
    });
    const raw = plainDecode((res2.planned_state as { msgpack: Uint8Array }).msgpack) as {
      rate_limit: { per_minute: unknown };
    };
    expect(raw.rate_limit.per_minute).toBe("1e400");
  });

  it("plans a destroy as null and warns when the token will be kept", async () => {
    const prior = config({ id: "tok_1", on_remove: "orphan" });
    const res = await plugin.call("PlanResourceChange", {
      type_name: "tokenform_token",
      prior_state: dv(prior),
      proposed_new_state: dv(null),
      config: dv(null),
    });
    expect(decoded(res.planned_state)).toBeNull();
    expect(diagnosticsFromProto(res.diagnostics)).toMatchObject([
      { severity: "warning", summary: expect.stringMatching(/will be released: left in the service/) },
    ]);
  });
});

describe("state upgrade", () => {
  it("echoes the stored JSON byte for byte, big numbers included", async () => {
    const json = Buffer.from('{"id":"tok_1","name":"x","generation":123456789012345678901234567890}');
    const res = await plugin.call("UpgradeResourceState", {
      type_name: "tokenform_token",
      version: 0,
      raw_state: { json },
    });
    expect(Buffer.from((res.upgraded_state as { json: Buffer }).json)).toEqual(json);
    expect(res.diagnostics ?? []).toEqual([]);
  });
});

describe("lifecycle", () => {
  it("ignores SIGINT, answers StopProvider, and exits promptly on Shutdown", async () => {
    const p = await startPlugin({ command: bundle, identity });
    try {
      p.child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 100));
      expect(p.child.exitCode).toBeNull();
      expect(await p.call("StopProvider")).toEqual({});
      const socketDir = dirname(parseHandshakeLine(p.stdout().split("\n")[0]!).socketPath);
      expect(await p.shutdown()).toBe(0);
      expect(existsSync(socketDir)).toBe(false);
      expect(p.stdout().split("\n").filter(Boolean)).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it.each(["SIGTERM", "SIGHUP"] as const)(
    "removes its socket directory when killed with %s mid-run",
    async (signal) => {
      const p = await startPlugin({ command: bundle, identity });
      try {
        await p.call("GetProviderSchema");
        const socketDir = dirname(parseHandshakeLine(p.stdout().split("\n")[0]!).socketPath);
        expect(existsSync(socketDir)).toBe(true);
        const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
          p.child.once("exit", (code, sig) => resolve(sig ?? code)),
        );
        p.child.kill(signal);
        expect(await exited).toBe(signal === "SIGTERM" ? 143 : 129);
        expect(existsSync(socketDir)).toBe(false);
      } finally {
        await p.close();
      }
    },
  );

  it("runs inside ES-module projects: extensionless, and installed in a mirror as _v<version>", async () => {
    const project = mkdtempSync(join(tmpdir(), "tokenform-esm-project-"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
    const extensionless = join(project, "terraform-provider-tokenform");
    copyFileSync(bundle, extensionless);
    chmodSync(extensionless, 0o755);
    const installed = installProvider({ bundle, dir: join(project, "mirror"), version: "0.0.1" });
    try {
      for (const command of [extensionless, installed.path]) {
        const p = await startPlugin({ command, identity });
        try {
          const res = await p.call("ValidateResourceConfig", {
            type_name: "tokenform_token",
            config: dv(config()),
          });
          expect(diagnosticsFromProto(res.diagnostics), command).toEqual([]);
          expect(await p.shutdown(), command).toBe(0);
        } finally {
          await p.close();
        }
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("tells a person who runs it directly what it is, and prints its schema on request", () => {
    const direct = spawnSync(process.execPath, [bundle], {
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(direct.status).toBe(1);
    expect(direct.stdout).toBe("");
    expect(direct.stderr).toMatch(/not meant to be run directly/);
    const schema = spawnSync(process.execPath, [bundle, "schema"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(schema.status).toBe(0);
    const parsed = JSON.parse(schema.stdout) as ReturnType<typeof providersSchemaJson>;
    expect(parsed).toEqual(
      providersSchemaJson(parsed.provider_versions["registry.terraform.io/tokenform/tokenform"]!),
    );
  });
});
