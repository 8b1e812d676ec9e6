/**
 * go-plugin's handshake: the environment Terraform starts a provider with, and the one line the provider
 * prints on stdout to say where it listens (`1|6|unix|<socket>|grpc|<server cert>`). Nothing else may ever
 * be written to stdout; logs go to stderr.
 */

/** go-plugin's magic cookie for Terraform providers: proof that Terraform (not a person) started us. */
export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/** go-plugin's core protocol version (the first field of the handshake line). */
export const CORE_PROTOCOL_VERSION = 1;
/** The plugin protocol this provider speaks: tfplugin6. */
export const APP_PROTOCOL_VERSION = 6;

/** What Terraform told us when it started the provider. */
export interface HandshakeEnv {
  /** PEM certificate of Terraform's client; the only client the server accepts. */
  clientCertPem: string;
  /** Directory for the unix socket, when Terraform chose one (go-plugin's PLUGIN_UNIX_SOCKET_DIR). */
  socketDir?: string;
}

/** Why the environment is not a Terraform plugin launch, phrased for a person who ran the binary. */
export class NotLaunchedByTerraform extends Error {
  override readonly name = "NotLaunchedByTerraform";
}

/** Reads and checks the handshake environment. */
export function readHandshakeEnv(env: NodeJS.ProcessEnv): HandshakeEnv {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    throw new NotLaunchedByTerraform(
      "This binary is a Terraform provider plugin and is not meant to be run directly.\n" +
        "Install it with `tokenform provider install` and use it from Terraform " +
        '(source = "registry.terraform.io/tokenform/tokenform").',
    );
  }
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? "").split(",").map((v) => v.trim());
  if (!versions.includes(String(APP_PROTOCOL_VERSION))) {
    throw new NotLaunchedByTerraform(
      `This provider speaks plugin protocol ${APP_PROTOCOL_VERSION}, but Terraform offered ` +
        `${env.PLUGIN_PROTOCOL_VERSIONS || "none"}; Terraform 1.0 or later is required.`,
    );
  }
  const clientCertPem = env.PLUGIN_CLIENT_CERT;
  if (!clientCertPem?.includes("BEGIN CERTIFICATE")) {
    throw new NotLaunchedByTerraform(
      "PLUGIN_CLIENT_CERT is not set: this provider only runs with Terraform's automatic mTLS.",
    );
  }
  return { clientCertPem, ...(env.PLUGIN_UNIX_SOCKET_DIR ? { socketDir: env.PLUGIN_UNIX_SOCKET_DIR } : {}) };
}

/** The handshake line (without newline): the server certificate is DER, standard base64 with no padding. */
export function handshakeLine(socketPath: string, certDer: Buffer): string {
  const cert = certDer.toString("base64").replace(/=+$/, "");
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|unix|${socketPath}|grpc|${cert}`;
}

/** Parses a handshake line (used by tests and the benchmark, which play Terraform's part). */
export function parseHandshakeLine(line: string): { socketPath: string; certDer: Buffer; protocol: number } {
  const parts = line.trim().split("|");
  if (parts.length !== 6 || parts[2] !== "unix" || parts[4] !== "grpc") {
    throw new Error(`not a go-plugin gRPC handshake line: ${JSON.stringify(line.slice(0, 80))}`);
  }
  return { protocol: Number(parts[1]), socketPath: parts[3]!, certDer: Buffer.from(parts[5]!, "base64") };
}
