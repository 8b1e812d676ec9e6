/**
 * The cap on concurrent connections per remote address (`MAX_CONNECTIONS_PER_ADDRESS` by default): one
 * client cannot hold every socket of the service. A connection over the cap is not dropped silently: its
 * first request is answered `429 rate_limited` with `Connection: close` (see server.ts), and the socket
 * is closed after that answer. Counted by the socket's own address (a reverse proxy in front counts as
 * one client: raise the cap there).
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

export class ConnectionCap {
  readonly #open = new Map<string, number>();
  readonly #over = new WeakSet<Socket>();

  constructor(readonly max: number) {}

  /** Counts the connections `server` accepts from now on. */
  attach(server: Server): void {
    server.on("connection", (socket: Socket) => this.#admit(socket));
  }

  /** True when `socket` was accepted beyond the cap: its request must be refused and the socket closed. */
  over(socket: Socket): boolean {
    return this.#over.has(socket);
  }

  /** Connections currently counted for `address` (tests, diagnostics). */
  openFrom(address: string): number {
    return this.#open.get(address) ?? 0;
  }

  #admit(socket: Socket): void {
    const address = socket.remoteAddress ?? "";
    const open = this.#open.get(address) ?? 0;
    if (open >= this.max) {
      this.#over.add(socket);
      return;
    }
    this.#open.set(address, open + 1);
    socket.once("close", () => {
      const left = (this.#open.get(address) ?? 1) - 1;
      if (left <= 0) this.#open.delete(address);
      else this.#open.set(address, left);
    });
  }
}
