/**
 * Plays Terraform's part of go-plugin for tests and the benchmark: spawns the provider executable with the
 * handshake environment and a client certificate of our own, parses the handshake line, and talks
 * tfplugin6 to it with @grpc/grpc-js over the unix socket with mutual TLS — an independent gRPC
 * implementation checking the provider's own server.
 */
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { webcrypto } from "node:crypto";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as x509 from "@peculiar/x509";
import { parseHandshakeLine } from "../../src/runtime/handshake.js";

const PROTO_DIR = new URL("../../src/proto/", import.meta.url).pathname;

/** A client certificate like Terraform's (ECDSA P-521, self-signed). */
export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

export async function createClientIdentity(): Promise<ClientIdentity> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: "ECDSA", namedCurve: "P-521", hash: "SHA-512" };
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0102",
    name: "CN=localhost,O=HashiCorp",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.clientAuth,
        x509.ExtendedKeyUsage.serverAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "localhost" }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString("pem"), keyPem };
}

/** The environment Terraform starts a provider with. */
export function pluginEnv(clientCertPem: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
    PLUGIN_PROTOCOL_VERSIONS: "5,6",
    PLUGIN_MIN_PORT: "10000",
    PLUGIN_MAX_PORT: "25000",
    PLUGIN_CLIENT_CERT: clientCertPem,
    ...extra,
  };
}

type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void;

/** A running provider and a gRPC client connected to it. */
export interface PluginProcess {
  child: ChildProcess;
  /** Everything the provider wrote to stdout (must be exactly the handshake line). */
  stdout(): string;
  stderr(): string;
  /** Calls a tfplugin6.Provider method. */
  call(method: string, request?: object): Promise<Record<string, unknown>>;
  /** Calls a method of another service (e.g. `plugin.GRPCController`, `Shutdown`). */
  callService(service: string, method: string, request?: object): Promise<Record<string, unknown>>;
  /** Calls GRPCController/Shutdown and waits for the process to exit; returns its exit code. */
  shutdown(): Promise<number | null>;
  /** Kills the process if it is still running and closes clients. */
  close(): Promise<void>;
}

let packageDefinition: protoLoader.PackageDefinition | undefined;

function definitions(): grpc.GrpcObject {
  packageDefinition ??= protoLoader.loadSync(["tfplugin6.proto", "plugin.proto"], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(packageDefinition);
}

/** Spawns `command args…` as Terraform would and connects. Rejects when no handshake arrives in time. */
export async function startPlugin(options: {
  command: string;
  args?: string[];
  identity: ClientIdentity;
  env?: NodeJS.ProcessEnv;
  /** Give up waiting for the handshake after this long (default 20 s: the machine may be busy). */
  timeoutMs?: number;
}): Promise<PluginProcess> {
  const child = spawn(options.command, options.args ?? [], {
    env: pluginEnv(options.identity.certPem, options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const first = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no handshake within ${options.timeoutMs ?? 20_000} ms; stderr: ${err}`)),
      options.timeoutMs ?? 20_000,
    );
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`provider exited (${code}) before the handshake; stderr: ${err}`));
    });
  });
  lines.on("line", (line) => {
    out += `${line}\n`;
  });
  const line = await first;
  const hs = parseHandshakeLine(line);
  const serverPem = `-----BEGIN CERTIFICATE-----\n${hs.certDer.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
  const credentials = grpc.credentials.createSsl(
    Buffer.from(serverPem),
    Buffer.from(options.identity.keyPem),
    Buffer.from(options.identity.certPem),
  );
  const channelOptions = {
    "grpc.ssl_target_name_override": "localhost",
    "grpc.default_authority": "localhost",
  };
  const defs = definitions();
  const tfplugin6 = defs.tfplugin6 as grpc.GrpcObject;
  const plugin = defs.plugin as grpc.GrpcObject;
  const Provider = tfplugin6.Provider as grpc.ServiceClientConstructor;
  const Controller = plugin.GRPCController as grpc.ServiceClientConstructor;
  const target = `unix://${hs.socketPath}`;
  const clients: Record<string, grpc.Client> = {
    "tfplugin6.Provider": new Provider(target, credentials, channelOptions),
    "plugin.GRPCController": new Controller(target, credentials, channelOptions),
  };
  const exited = once(child, "exit") as Promise<[number | null]>;

  const callService = (service: string, method: string, request: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const client = clients[service];
      if (!client) {
        reject(new Error(`no client for ${service}`));
        return;
      }
      const fn = (client as unknown as Record<string, Unary>)[method];
      if (!fn) {
        reject(new Error(`no method ${service}/${method}`));
        return;
      }
      fn.call(client, request, (e, res) => (e ? reject(e) : resolve(res)));
    });

  const closeClients = () => {
    for (const c of Object.values(clients)) c.close();
  };

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    call: (method, request) => callService("tfplugin6.Provider", method, request),
    callService,
    async shutdown() {
      await callService("plugin.GRPCController", "Shutdown", {});
      const [code] = await exited;
      closeClients();
      return code;
    },
    async close() {
      closeClients();
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM lets the provider remove its socket directory; SIGKILL only if it does not go.
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        const [code] = await exited;
        clearTimeout(timer);
        if (code === null) rmSync(dirname(hs.socketPath), { recursive: true, force: true });
      }
    },
  };
}
