/**
 * `listen`: binds an HTTP server for the token service and the gateway, turning what the operator can fix
 * (a busy port, a privileged port, a host that is not this machine's) into a one-line `ConfigError`
 * naming the flag to change; anything else is passed on as it is.
 */
import type { Server } from "node:http";
import { ConfigError } from "../errors.js";

/** The `ConfigError` for a failed bind, or the error itself when the operator cannot fix it. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return new ConfigError(
        `cannot listen on ${where}: the port is already in use; stop what is listening there, or choose another port with --port`,
        1,
        { cause: error },
      );
    case "EACCES":
      return new ConfigError(
        `cannot listen on ${where}: permission denied; choose a port above 1023 with --port`,
        1,
        { cause: error },
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ConfigError(
        `cannot listen on ${where}: ${JSON.stringify(host)} is not an address of this machine; choose one with --host (e.g. 127.0.0.1 or 0.0.0.0)`,
        1,
        { cause: error },
      );
    default:
      return error;
  }
}

/** Starts `server` listening on `host:port` (0: any free port); rejects with `listenError`'s error. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => reject(listenError(error, host, port));
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
}
