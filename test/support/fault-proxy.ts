/**
 * A loopback HTTP proxy in front of the token service that injects one fault into the N-th request:
 * a 500, a 429 with Retry-After, or a hang (no answer until the client gives up). Counts every request.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "500" | "429" | "hang";

export interface FaultProxy extends AsyncDisposable {
  url: string;
  /** Requests seen so far. */
  count(): number;
  /** Inject `fault` into request number `n` (1-based, counted from now). */
  failAt(n: number, fault: Fault): void;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let seen = 0;
  let rule: { at: number; fault: Fault } | undefined;
  const hung = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer(async (req, res) => {
    seen += 1;
    const payload = await body(req);
    if (rule && seen === rule.at) {
      if (rule.fault === "hang") {
        hung.add(res);
        return;
      }
      const status = Number(rule.fault);
      res.writeHead(status, {
        "content-type": "application/json",
        ...(status === 429 ? { "retry-after": "1" } : {}),
      });
      res.end(
        JSON.stringify({
          error: {
            code: status === 429 ? "rate_limited" : "internal",
            message: "injected fault",
            type: "api_error",
          },
        }),
      );
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const upstream = await fetch(new URL(req.url ?? "/", target), {
      method: req.method ?? "GET",
      headers,
      ...(payload.length > 0 ? { body: payload } : {}),
    });
    const out = Buffer.from(await upstream.arrayBuffer());
    const responseHeaders: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") responseHeaders[k] = v;
    });
    res.writeHead(upstream.status, responseHeaders);
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => seen,
    failAt(n, fault) {
      rule = { at: seen + n, fault };
    },
    async [Symbol.asyncDispose]() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
