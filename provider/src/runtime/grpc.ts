/**
 * A small gRPC server for unary calls over HTTP/2 with mutual TLS, on node:http2 — the transport go-plugin
 * expects. It knows framing, status codes and trailers; message encoding is the caller's (each method is
 * `bytes → bytes`). Unregistered methods (go-plugin's GRPCBroker and GRPCStdio streams, the health
 * service, RPCs this provider does not implement) answer UNIMPLEMENTED, which Terraform tolerates.
 *
 * Why not @grpc/grpc-js: loading it costs 50–80 ms at every start on these machines and Terraform starts
 * the provider 3–5 times per command; the unary subset the plugin protocol uses is this file. The tests
 * talk to it with @grpc/grpc-js as the client, and Terraform talks to it with grpc-go.
 */
import { once } from "node:events";
import http2 from "node:http2";

/** gRPC status codes used here (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A failure to answer with a specific gRPC status. */
export class GrpcError extends Error {
  override readonly name = "GrpcError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Per-call context given to a method. */
export interface CallContext {
  /** Aborted when the client cancels the call or the connection drops. */
  signal: AbortSignal;
  /** Runs `callback` once the answer to this call has been sent (or the call ended otherwise). */
  afterReply(callback: () => void): void;
}

/** A unary method: request message bytes to response message bytes. */
export type UnaryMethod = (request: Uint8Array, context: CallContext) => Promise<Uint8Array>;

/** Options of the server. */
export interface GrpcServerOptions {
  /** Methods by full path, e.g. `/tfplugin6.Provider/GetProviderSchema`. */
  methods: ReadonlyMap<string, UnaryMethod>;
  /** Server certificate and key (PEM). */
  certPem: string;
  keyPem: string;
  /** The only client certificate accepted (PEM); it is also the trust root for client authentication. */
  clientCertPem: string;
  /** Where problems that cannot be answered to a client are reported (stderr in the provider). */
  log: (message: string) => void;
}

/** Largest request accepted: Terraform's own gRPC limit for provider messages is 256 MiB; plans are KiBs. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** gRPC length-prefixed message header: 1 byte compressed flag + 4 bytes big-endian length. */
const FRAME_HEADER = 5;

function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER);
  return out;
}

/** Extracts the single message of a unary request body. */
function unframe(body: Buffer): Uint8Array {
  if (body.length < FRAME_HEADER) throw new GrpcError(Status.INVALID_ARGUMENT, "request has no message");
  if (body[0] !== 0) throw new GrpcError(Status.UNIMPLEMENTED, "compressed messages are not supported");
  const length = body.readUInt32BE(1);
  if (body.length !== FRAME_HEADER + length) {
    throw new GrpcError(Status.INVALID_ARGUMENT, "a unary request must carry exactly one message");
  }
  return body.subarray(FRAME_HEADER);
}

/** Percent-encodes a grpc-message value as the gRPC HTTP/2 spec asks. */
function encodeMessage(text: string): string {
  return encodeURIComponent(text.slice(0, 4096));
}

export class GrpcServer {
  readonly #server: http2.Http2SecureServer;
  readonly #sessions = new Set<http2.ServerHttp2Session>();

  constructor(readonly options: GrpcServerOptions) {
    this.#server = http2.createSecureServer({
      cert: options.certPem,
      key: options.keyPem,
      ca: options.clientCertPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["h2"],
    });
    this.#server.on("session", (session) => {
      this.#sessions.add(session);
      session.on("close", () => this.#sessions.delete(session));
      session.on("error", (err) => options.log(`gRPC session error: ${err.message}`));
    });
    this.#server.on("tlsClientError", (err) => options.log(`TLS handshake refused: ${err.message}`));
    this.#server.on("stream", (stream, headers) => this.#onStream(stream, headers));
  }

  /** Listens on a unix socket path. */
  async listen(socketPath: string): Promise<void> {
    this.#server.listen(socketPath);
    await once(this.#server, "listening");
  }

  /** Stops accepting connections and closes the open ones once their calls have finished. */
  close(): void {
    this.#server.close();
    for (const session of this.#sessions) session.close();
  }

  #onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const path = String(headers[":path"] ?? "");
    // The call's abort signal is made when a method first asks for it: most calls never do, and an
    // AbortController per call (aborted at every close) showed among a plan's top CPU frames.
    let controller: AbortController | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      controller?.abort();
    };
    let after: Array<() => void> | undefined;
    stream.on("close", () => {
      end();
      if (after) for (const callback of after) callback();
    });
    stream.on("error", end);
    const method = this.options.methods.get(path);
    if (
      headers[":method"] !== "POST" ||
      !String(headers["content-type"] ?? "").startsWith("application/grpc")
    ) {
      this.#fail(stream, Status.INVALID_ARGUMENT, "not a gRPC request");
      return;
    }
    if (!method) {
      // Drain whatever the client sends (streams such as GRPCBroker/StartStream) and refuse.
      stream.resume();
      this.#fail(stream, Status.UNIMPLEMENTED, `method ${path} is not implemented by this provider`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_MESSAGE_BYTES) {
        this.#fail(stream, 8 /* RESOURCE_EXHAUSTED */, "request too large");
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () => {
      if (stream.headersSent || stream.destroyed) return;
      let request: Uint8Array;
      try {
        request = unframe(Buffer.concat(chunks));
      } catch (err) {
        this.#fail(stream, err instanceof GrpcError ? err.code : Status.INTERNAL, (err as Error).message);
        return;
      }
      const call: CallContext = {
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (ended) controller.abort();
          }
          return controller.signal;
        },
        afterReply: (callback) => {
          after ??= [];
          after.push(callback);
        },
      };
      method(request, call).then(
        (response) => this.#reply(stream, response),
        (err: unknown) => {
          if (err instanceof GrpcError) this.#fail(stream, err.code, err.message);
          else {
            const message = err instanceof Error ? err.message : String(err);
            this.options.log(`gRPC method ${path} failed: ${message}`);
            this.#fail(stream, Status.INTERNAL, message);
          }
        },
      );
    });
  }

  #reply(stream: http2.ServerHttp2Stream, response: Uint8Array): void {
    if (stream.destroyed || stream.headersSent) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(Status.OK) }));
    stream.end(frame(response));
  }

  /** Answers "trailers-only": one HEADERS frame carrying the status, ending the stream. */
  #fail(stream: http2.ServerHttp2Stream, code: number, message: string): void {
    if (stream.destroyed || stream.headersSent) return;
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc+proto",
        "grpc-status": String(code),
        "grpc-message": encodeMessage(message),
      },
      { endStream: true },
    );
  }
}
