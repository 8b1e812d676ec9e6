/**
 * Slow and abusive connections to the token service, on raw sockets: headers and bodies that trickle in
 * are cut off at the configured timeouts (small ones here; the test's own waits are bounded), a client
 * hanging up mid-body is a debug line rather than an error, and one address cannot hold more than its
 * share of connections (the extra one is answered 429 and closed).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/service/index.js";
import { serviceHarness } from "../integration/service/harness.js";
import { runCli, spawnCli } from "../support/cli.js";

/** Opens a raw connection to `url`'s host and port. */
function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything the server sends until it closes the connection, or `undefined` if it has not within `ms`. */
function readUntilClosed(socket: Socket, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    socket.on("error", () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** Reads until the first complete HTTP response head and body (by Content-Length) has arrived. */
function readResponse(socket: Socket, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = "";
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const head = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text);
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

const TIMEOUTS = { headersTimeoutMs: 300, bodyTimeoutMs: 600 };
/** How long the test waits for a timeout configured well below it (the old defaults took 30 to 60 s). */
const BOUND_MS = 8_000;

describe("slow clients", () => {
  it("trickled headers: the connection is closed at the headers timeout", async () => {
    await using h = await serviceHarness(TIMEOUTS);
    const socket = await open(h.url);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const ticker = setInterval(() => socket.writable && socket.write("X-Slow: 1\r\n"), 100);
    const answer = await readUntilClosed(socket, BOUND_MS);
    clearInterval(ticker);
    expect(answer, "the server did not close the connection").toBeDefined();
    if (answer !== "") expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("trickled body: 408 as a JSON error, and the connection is closed", async () => {
    await using h = await serviceHarness(TIMEOUTS);
    const socket = await open(h.url);
    socket.write(
      `POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"token":"`,
    );
    const ticker = setInterval(() => socket.writable && socket.write("a"), 100);
    const answer = await readUntilClosed(socket, BOUND_MS);
    clearInterval(ticker);
    expect(answer, "the server did not close the connection").toBeDefined();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('"code":"request_timeout"');
  });
});

describe("bodies in pieces", () => {
  it("a body sent with its headers, after them, or split across writes is read the same", async () => {
    await using h = await serviceHarness(TIMEOUTS);
    const { secret } = await h.admin.createToken({ name: "pieces", scopes: ["tools:call"] });
    const body = JSON.stringify({ token: secret.reveal(), scopes: ["tools:call"] });
    const head = `POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.adminToken.reveal()}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const pause = () => new Promise((r) => setTimeout(r, 50));
    const sends: Array<(socket: Socket) => Promise<void>> = [
      async (socket) => void socket.write(head + body),
      async (socket) => {
        socket.write(head);
        await pause();
        socket.write(body);
      },
      async (socket) => {
        socket.write(head + body.slice(0, 10));
        await pause();
        socket.write(body.slice(10, 30));
        await pause();
        socket.write(body.slice(30));
      },
    ];
    for (const send of sends) {
      const socket = await open(h.url);
      const answer = readUntilClosed(socket, BOUND_MS);
      await send(socket);
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 200/);
      expect(text).toContain('"valid":true');
    }
  });
});

describe("aborted bodies", () => {
  it("are a debug line, not an error", async () => {
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
    await using h = await serviceHarness({ logger: createLogger({ level: "debug", destination: sink }) });
    for (let i = 0; i < 3; i++) {
      const socket = await open(h.url);
      socket.write(
        `POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"tok`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await new Promise((resolve) => socket.once("close", resolve));
    }
    // The service answers the next request once the aborted ones are handled.
    expect((await h.http("GET", "/healthz")).status).toBe(200);
    await h.service.close();
    const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(entries.filter((e) => e.level >= 50)).toEqual([]);
    expect(entries.filter((e) => e.level === 20 && /closed the connection/.test(e.msg))).toHaveLength(3);
  });
});

describe("connections per client address", () => {
  it("beyond the cap are answered 429 and closed; a slot frees when a connection closes", async () => {
    await using h = await serviceHarness({ maxConnectionsPerAddress: 2 });
    const held = [await open(h.url), await open(h.url)];
    await using _cleanup = {
      async [Symbol.asyncDispose]() {
        for (const socket of held) socket.destroy();
      },
    };
    const request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    // Let the server count the held connections before the third arrives.
    const first = readResponse(held[0]!, BOUND_MS);
    held[0]!.write(request);
    expect(await first).toMatch(/^HTTP\/1\.1 200/);

    const extra = await open(h.url);
    extra.write(request);
    const refused = await readUntilClosed(extra, BOUND_MS);
    expect(refused).toMatch(/^HTTP\/1\.1 429/);
    expect(refused).toContain('"code":"rate_limited"');
    expect(refused).toContain("too many connections from your address");

    held[1]!.destroy();
    await new Promise((resolve) => held[1]!.once("close", resolve));
    // The server sees the close on its side a moment later; retry a few times, boundedly.
    let status: string | undefined;
    for (let attempt = 0; attempt < 50 && !status?.startsWith("HTTP/1.1 200"); attempt++) {
      const again = await open(h.url);
      const answer = readResponse(again, BOUND_MS);
      again.write(request);
      status = await answer;
      again.destroy();
      if (!status?.startsWith("HTTP/1.1 200")) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe("tokenform serve's flags", () => {
  it("--body-timeout and --max-connections-per-address bound slow clients as configured", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tokenform-limits-serve-"));
    const served = await spawnCli(
      [
        "serve",
        "--db",
        join(dir, "t.db"),
        "--port",
        "0",
        "--body-timeout",
        "1s",
        "--headers-timeout",
        "1s",
      ].concat(["--max-connections-per-address", "1"]),
      { ready: (entry) => (entry.msg === "token service listening" ? String(entry.url) : undefined) },
    );
    try {
      const socket = await open(served.url);
      // The one connection this address may hold: a body that trickles in is cut off at 1 s.
      const extra = await open(served.url);
      extra.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      const refused = await readUntilClosed(extra, BOUND_MS);
      expect(refused).toMatch(/^HTTP\/1\.1 429/);
      socket.write(
        `POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"token":"`,
      );
      const ticker = setInterval(() => socket.writable && socket.write("a"), 100);
      const answer = await readUntilClosed(socket, BOUND_MS);
      clearInterval(ticker);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      served.child.kill("SIGTERM");
      await served.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a bad duration or count is a usage error naming the flag", () => {
    for (const [flag, value] of [
      ["--headers-timeout", "soon"],
      ["--body-timeout", "0s"],
      ["--max-connections-per-address", "-1"],
    ] as const) {
      const run = runCli(["serve", "--db", "unused.db", flag, value], { cwd: tmpdir() });
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain(flag);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
