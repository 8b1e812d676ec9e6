/**
 * A loopback TCP proxy for connection-loss tests: forwards every connection to `127.0.0.1:targetPort`, and
 * `freeze()` makes the connections open at that moment go silent — nothing is forwarded either way and
 * nothing is closed, as when a network path dies without a FIN or RST. Connections opened later forward
 * normally. Closed on dispose.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy extends AsyncDisposable {
  port: number;
  /** Silences every connection open now (new ones still work). */
  freeze(): void;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on("data", (data) => {
      if (!pair.frozen) upstream.write(data);
    });
    upstream.on("data", (data) => {
      if (!pair.frozen) client.write(data);
    });
    const close = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dispose = async () => {
    for (const pair of open) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    port,
    freeze: () => {
      for (const pair of open) pair.frozen = true;
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  } as TcpProxy & { dispose(): Promise<void> };
}
