/**
 * Serving one provider process the go-plugin way: check the handshake environment, create the TLS
 * identity, listen on a unix socket, print the handshake line, then answer RPCs until Terraform calls
 * GRPCController/Shutdown. The handlers are loaded on the first RPC, after the handshake, so start-up does
 * no more than it must.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactKnownSecrets } from "../../../src/api/secret.js";
import {
  CONTROLLER_SERVICE,
  PROVIDER_METHOD_NAMES,
  PROVIDER_SERVICE,
  type ProviderMethodName,
} from "../rpc/names.js";
import { GrpcServer, type UnaryMethod } from "./grpc.js";
import { handshakeLine, NotLaunchedByTerraform, readHandshakeEnv } from "./handshake.js";
import { createServerIdentity } from "./tls.js";

/** Where the process talks to the world; `process` in production, fakes in tests. */
export interface ServeIo {
  env: NodeJS.ProcessEnv;
  /** Receives exactly one line: the handshake. */
  stdout: NodeJS.WritableStream;
  /** Logs and the "run me from Terraform" message. */
  stderr: NodeJS.WritableStream;
  /** Ends the process. */
  exit(code: number): void;
}

/** Loads the method implementations (bytes → bytes) on first use. */
export type MethodLoader = () =>
  | Promise<Record<ProviderMethodName, UnaryMethod>>
  | Record<ProviderMethodName, UnaryMethod>;

/** How long Shutdown waits for open calls to finish before the process exits regardless. */
const SHUTDOWN_GRACE_MS = 200;

/**
 * Runs the plugin server; resolves once listening (the process then lives on the server). `answers` are
 * encoded responses known before any call (the schema, computed at build time): those methods answer
 * without loading the rest.
 */
export async function serve(
  io: ServeIo,
  load: MethodLoader,
  answers: Partial<Record<ProviderMethodName, Uint8Array>> = {},
): Promise<void> {
  let env: ReturnType<typeof readHandshakeEnv>;
  try {
    env = readHandshakeEnv(io.env);
  } catch (err) {
    if (err instanceof NotLaunchedByTerraform) {
      io.stderr.write(`${err.message}\n`);
      io.exit(1);
      return;
    }
    throw err;
  }
  // Terraform forwards Ctrl-C as StopProvider; the signal itself must not kill an apply half-way.
  process.on("SIGINT", () => {});

  // Log lines go to stderr (Terraform shows them with TF_LOG), with any secret this process saw redacted.
  const log = (message: string) => io.stderr.write(redactKnownSecrets(`[tokenform-provider] ${message}\n`));
  const identity = createServerIdentity();
  const dir = mkdtempSync(join(env.socketDir ?? tmpdir(), "tokenform-plugin-"));
  const socketPath = join(dir, "plugin.sock");
  // The socket's directory goes with the process: on exit, and on SIGTERM or SIGHUP (Terraform's kill
  // after a timeout, a closed terminal), which would otherwise end the process without an exit event.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on("exit", removeDir);
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      removeDir();
      process.exit(128 + (signal === "SIGTERM" ? 15 : 1));
    });
  }

  let loaded: Promise<Record<ProviderMethodName, UnaryMethod>> | undefined;
  const methods = new Map<string, UnaryMethod>();
  for (const name of PROVIDER_METHOD_NAMES) {
    const answer = answers[name];
    if (answer !== undefined) {
      methods.set(`/${PROVIDER_SERVICE}/${name}`, async () => answer);
      continue;
    }
    methods.set(`/${PROVIDER_SERVICE}/${name}`, async (request, call) => {
      loaded ??= Promise.resolve().then(load);
      return (await loaded)[name](request, call);
    });
  }
  const server = new GrpcServer({
    methods,
    certPem: identity.certPem,
    keyPem: identity.keyPem,
    clientCertPem: env.clientCertPem,
    log,
  });
  methods.set(`/${CONTROLLER_SERVICE}/Shutdown`, async (_request, call) => {
    // Answer first (plugin.Empty is zero bytes), then stop; Terraform SIGKILLs after 2 s otherwise.
    call.afterReply(() => {
      server.close();
      setTimeout(() => io.exit(0), SHUTDOWN_GRACE_MS).unref();
    });
    return new Uint8Array(0);
  });
  await server.listen(socketPath);
  io.stdout.write(`${handshakeLine(socketPath, identity.certDer)}\n`);
  // Nothing but the handshake may ever reach stdout: anything a library prints goes to stderr instead.
  if (io.stdout === process.stdout) {
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  }
}
