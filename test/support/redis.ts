/**
 * A throwaway Redis server for tests: `redis-server` on a free loopback port with persistence off
 * (`--save '' --appendonly no`), in a temp dir, stopped and removed on dispose. `stop()` and `start()`
 * kill and restart it on the same port (the failure tests). A missing `redis-server` binary is an error,
 * never a skip: `.ci/run` installs it (Debian: apt-get install -y redis-server).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** A running throwaway Redis. */
export interface RedisServer extends AsyncDisposable {
  port: number;
  /** `redis://127.0.0.1:PORT/DB` (default database 0). */
  url(db?: number): string;
  /** Kills the server (SIGKILL: no goodbye to clients). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  dispose(): Promise<void>;
}

/** Milliseconds to wait for the server to accept connections. */
const START_TIMEOUT_MS = 15_000;

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function binary(): string {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === "") {
    throw new Error(
      "redis-server not found on PATH. The scale-out tests need a real Redis: install it (Debian/Ubuntu: apt-get install -y redis-server); .ci/run does.",
    );
  }
  return path;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

/** Resolves once `PING` on 127.0.0.1:port answers `+PONG`; bounded by START_TIMEOUT_MS. */
async function waitForPong(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.setTimeout(500);
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `redis-server did not answer on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${log()}`,
  );
}

/** Starts a throwaway Redis on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
  const executable = binary();
  const dir = await mkdtemp(join(tmpdir(), "tokenform-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = "";
  const launch = async (): Promise<void> => {
    output = "";
    const started = spawn(
      executable,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    started.stdout?.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
    started.stderr?.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
    running.add(started);
    child = started;
    await waitForPong(port, started, () => output);
  };
  const stop = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
    current.kill("SIGKILL");
    await exited;
    running.delete(current);
  };
  try {
    await launch();
  } catch (error) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const dispose = async (): Promise<void> => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    stop,
    start: launch,
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}

/**
 * One throwaway Redis for a test file, as `usePostgres` gives one cluster: started in `beforeAll`,
 * disposed in `afterAll`. Returns a getter (the server exists only once `beforeAll` has run).
 */
export function useRedis(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return () => {
    if (!server) throw new Error("useRedis: the Redis server is not started (beforeAll has not run)");
    return server;
  };
}
