/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, `pg_ctl start` on a free loopback
 * port (listen_addresses 127.0.0.1, its Unix socket inside the temp dir, trust auth, fsync off), a fresh
 * database per test via `createDatabase()`, and `pg_ctl stop` plus removal of the temp dir on dispose.
 * `await using pg = await startPostgres()` or start it in `beforeAll` and dispose in `afterAll`.
 *
 * initdb and postgres refuse to run as root. As root (CI), they run as the `postgres` OS user through
 * `runuser -u postgres --`; when that user does not exist a system user `tokenform-pg` is created with
 * `useradd` and owns the temp dir. Missing server binaries are an error, never a skip.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  accessSync,
  appendFileSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
} from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll } from "vitest";

/** A running throwaway cluster. */
export interface PostgresCluster extends AsyncDisposable {
  /** Temp dir holding the data directory, socket and log. */
  dir: string;
  port: number;
  /** PostgreSQL's version as `initdb --version` prints it. */
  version: string;
  /** Connection URL of `database` (default `postgres`) as the superuser `postgres` (trust auth). */
  url(database?: string): string;
  /** Creates a new empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server and deletes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** OS user that runs the server when the tests run as root and no `postgres` user exists. */
const FALLBACK_USER = "tokenform-pg";
/** Seconds `pg_ctl` waits for start-up or shutdown (a loaded 2-core CI machine can be slow). */
const PG_CTL_WAIT_SECONDS = 60;
/** Attempts at a free port: another process may take the port between probing and binding. */
const PORT_ATTEMPTS = 3;

let databaseCounter = 0;
const running = new Set<{ pgCtl: string; data: string; runAs: string | null }>();
// Best effort for a worker that exits without disposing (a failing beforeAll): never leave a server behind.
process.once("exit", () => {
  for (const cluster of running) {
    spawnSync(...command(cluster.runAs, cluster.pgCtl, ["stop", "-D", cluster.data, "-m", "immediate"]), {
      stdio: "ignore",
    });
  }
});

/** Where a server binary is: on PATH, else the newest `/usr/lib/postgresql/<major>/bin` (Debian layout). */
function findBinary(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const candidate = join(base, major, "bin", name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error(
    `PostgreSQL server binary ${name} not found on PATH or under /usr/lib/postgresql/*/bin. ` +
      "The PostgreSQL store tests need a real server: install it (Debian/Ubuntu: apt-get install -y postgresql).",
  );
}

/** The command line that runs `binary args` as `runAs` (null = as this process). */
function command(runAs: string | null, binary: string, args: string[]): [string, string[]] {
  return runAs === null ? [binary, args] : ["runuser", ["-u", runAs, "--", binary, ...args]];
}

function userExists(name: string): boolean {
  return spawnSync("id", ["-u", name], { stdio: "ignore" }).status === 0;
}

/** As root: the OS user to run the server as (created when missing). Otherwise null. */
function serverUser(): string | null {
  if (process.getuid?.() !== 0) return null;
  if (userExists("postgres")) return "postgres";
  if (!userExists(FALLBACK_USER)) {
    const made = spawnSync(
      "useradd",
      ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
      { encoding: "utf8" },
    );
    // Another test file may have created it at the same moment.
    if (made.status !== 0 && !userExists(FALLBACK_USER)) {
      throw new Error(`running as root and could not create the OS user ${FALLBACK_USER}: ${made.stderr}`);
    }
  }
  return FALLBACK_USER;
}

/** Runs a command to completion; throws with its output when it fails. */
function run(runAs: string | null, binary: string, args: string[], cwd: string): string {
  const [file, argv] = command(runAs, binary, args);
  const result = spawnSync(file, argv, { cwd, encoding: "utf8", timeout: (PG_CTL_WAIT_SECONDS + 30) * 1000 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${[file, ...argv].join(" ")} exited with ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/** A port that was free on 127.0.0.1 a moment ago. */
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

/** Starts a throwaway PostgreSQL cluster. */
export async function startPostgres(): Promise<PostgresCluster> {
  const initdb = findBinary("initdb");
  const pgCtl = findBinary("pg_ctl");
  findBinary("postgres");
  const version = execFileSync(initdb, ["--version"], { encoding: "utf8" }).trim();
  const runAs = serverUser();
  const dir = await mkdtemp(join(tmpdir(), "tokenform-pg-"));
  const data = join(dir, "data");
  const socket = join(dir, "socket");
  const log = join(dir, "postgres.log");
  const entry = { pgCtl, data, runAs };
  try {
    mkdirSync(socket);
    if (runAs !== null) {
      execFileSync("chown", ["-R", `${runAs}:`, dir]);
      // The server user must reach the temp dir through its parents (tmpdir() is /tmp unless TMPDIR says otherwise).
      const reach = spawnSync("runuser", ["-u", runAs, "--", "test", "-w", dir]);
      if (reach.status !== 0) {
        throw new Error(`${runAs} cannot write ${dir}: point TMPDIR at a directory every user can traverse`);
      }
    } else chmodSync(dir, 0o700);
    run(
      runAs,
      initdb,
      ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
      dir,
    );
    const settings = [
      "",
      "# tokenform test cluster: loopback only, socket in the temp dir, no durability (throwaway data).",
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socket}'`,
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "",
    ];
    appendFileSync(join(data, "postgresql.conf"), settings.join("\n"));
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        run(
          runAs,
          pgCtl,
          ["start", "-D", data, "-l", log, "-w", "-t", String(PG_CTL_WAIT_SECONDS), "-o", `-p ${port}`],
          dir,
        );
        running.add(entry);
        break;
      } catch (error) {
        const text = existsSync(log) ? await readFile(log, "utf8") : "";
        if (attempt < PORT_ATTEMPTS && /could not bind|Address already in use/i.test(text)) continue;
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\n--- postgres.log ---\n${text}`,
        );
      }
    }
    let stopped: Promise<void> | undefined;
    const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        try {
          run(runAs, pgCtl, ["stop", "-D", data, "-m", "fast", "-w", "-t", String(PG_CTL_WAIT_SECONDS)], dir);
        } finally {
          running.delete(entry);
          await rm(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    };
    return {
      dir,
      port,
      version,
      url,
      async createDatabase() {
        const name = `tokenform_test_${process.pid}_${++databaseCounter}`;
        const client = new Client({ connectionString: url() });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    if (running.has(entry)) {
      spawnSync(...command(runAs, pgCtl, ["stop", "-D", data, "-m", "immediate"]), { stdio: "ignore" });
      running.delete(entry);
    }
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * One throwaway cluster for the calling file (or describe block): started before its tests, stopped after.
 * The returned function gives the cluster, or throws why it could not start — so every PostgreSQL test
 * fails with that reason (a throwing hook would only mark them skipped) while the others still run.
 */
export function usePostgres(): () => PostgresCluster {
  let cluster: PostgresCluster | undefined;
  let failure: unknown;
  beforeAll(async () => {
    cluster = await startPostgres().catch((error: unknown) => {
      failure = error;
      return undefined;
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw failure;
    return cluster;
  };
}
