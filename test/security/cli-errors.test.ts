/**
 * Mistaken input at the CLI's front door: each bad URL, port or unreachable dependency ends the real CLI
 * (spawned from source) with one line naming the input and what to do — exit 1, or 2 for a bad flag value
 * — and never a stack trace or "this is a bug".
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli, runCliAsync } from "../support/cli.js";
import { startHarness } from "../support/harness.js";

/** A token the CLI accepts as TOKENFORM_API_TOKEN; the service never sees it in these cases. */
const TOKEN = "mcp_adm_not-a-real-key-but-long-enough";
/** Commander's usage hint after a usage error (a second line by design). */
const USAGE_HINT = "(run `tokenform --help` for usage)";

/** The run failed with `status` and printed exactly one error line, which matches `line`. */
function expectOneLine(run: CliRun, status: number, line: RegExp): void {
  const lines = run.stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && l !== USAGE_HINT && !l.startsWith("Planning against"));
  expect(run.stderr).not.toMatch(/this is a bug|^\s+at /m);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(run.status, run.stderr).toBe(status);
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dir: string;
/** A valid spec: each case fails on its connection, not on the spec. */
let SPEC: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-cli-errors-"));
  SPEC = join(dir, "tokens.yaml");
  await writeFile(
    SPEC,
    [
      "apiVersion: tokenform.dev/v1",
      "kind: TokenSet",
      "metadata: { owner: security/cli-errors, name: cli-errors }",
      "tokens:",
      "  - name: probe",
      "    scopes: [tools:call]",
      "    deliver: [{ file: { path: probe.env } }]",
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the API URL", () => {
  it("TOKENFORM_API_URL without a scheme says to write http://", () => {
    const run = runCli(["plan", SPEC], {
      cwd: dir,
      env: { TOKENFORM_API_URL: "127.0.0.1:8787", TOKENFORM_API_TOKEN: TOKEN },
    });
    expectOneLine(
      run,
      1,
      /^Error: TOKENFORM_API_URL "127\.0\.0\.1:8787" is not a URL: write http:\/\/127\.0\.0\.1:8787$/,
    );
  });

  it("TOKENFORM_API_URL that is not a URL at all names the variable and an example", () => {
    const run = runCli(["plan", SPEC], {
      cwd: dir,
      env: { TOKENFORM_API_URL: "not a url", TOKENFORM_API_TOKEN: TOKEN },
    });
    expectOneLine(run, 1, /^Error: TOKENFORM_API_URL "not a url" is not a URL: .*http:\/\/127\.0\.0\.1:8787/);
  });

  it("--api-url without a scheme is a usage error naming the flag", () => {
    const run = runCli(["plan", "--api-url", "localhost:8787", SPEC], {
      cwd: dir,
      env: { TOKENFORM_API_TOKEN: TOKEN },
    });
    expectOneLine(run, 2, /--api-url.*'localhost:8787'.*write http:\/\/localhost:8787/);
  });

  it("a trailing /v1 or /v1/ is tolerated", async () => {
    await using h = await startHarness();
    for (const suffix of ["/v1", "/v1/"]) {
      const run = await runCliAsync(["tokens", "list", "--format", "json"], {
        cwd: dir,
        env: { TOKENFORM_API_URL: `${h.url}${suffix}`, TOKENFORM_API_TOKEN: h.service.adminToken.reveal() },
      });
      expect(run.stderr).not.toContain("no route");
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toBeInstanceOf(Array);
    }
  });

  it("an unreachable service names its URL and what to check", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = runCli(["plan", SPEC], {
      cwd: dir,
      env: { TOKENFORM_API_URL: url, TOKENFORM_API_TOKEN: TOKEN },
    });
    expectOneLine(
      run,
      1,
      new RegExp(
        `^Error: .*cannot reach the token service at ${url} \\(ECONNREFUSED\\): check that it is running`,
      ),
    );
  });
});

describe("tokenform serve", () => {
  it("--port abc is a usage error naming the flag", () => {
    const run = runCli(["serve", "--db", join(dir, "port.db"), "--port", "abc"], { cwd: dir });
    expectOneLine(run, 2, /--port.*'abc'.*expected a port number from 0 to 65535/);
  });

  it("a busy port names the address and --port", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const { port } = busy.address() as { port: number };
    try {
      const run = await runCliAsync(["serve", "--db", join(dir, "busy.db"), "--port", String(port)], {
        cwd: dir,
      });
      expectOneLine(
        run,
        1,
        new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use.*--port`),
      );
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it("a bad --log-level is a usage error; a bad TOKENFORM_LOG_LEVEL names the variable", () => {
    expectOneLine(
      runCli(["serve", "--db", join(dir, "log.db"), "--port", "0", "--log-level", "loud"], { cwd: dir }),
      2,
      /--log-level.*'loud'.*Not a log level: use one of fatal, error, warn, info, debug, trace, silent/,
    );
    expectOneLine(
      runCli(["serve", "--db", join(dir, "log.db"), "--port", "0"], {
        cwd: dir,
        env: { TOKENFORM_LOG_LEVEL: "loud" },
      }),
      1,
      /^Error: log level "loud" \(--log-level or TOKENFORM_LOG_LEVEL\) is not a log level/,
    );
  });

  it("a --host that is not this machine's names --host", async () => {
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine, and binding to it sends nothing.
    const run = await runCliAsync(
      ["serve", "--db", join(dir, "host.db"), "--host", "192.0.2.7", "--port", "0"],
      {
        cwd: dir,
      },
    );
    expectOneLine(
      run,
      1,
      /^Error: cannot listen on 192\.0\.2\.7:0: .*not an address of this machine.*--host/,
    );
  });

  it("a malformed TOKENFORM_BOOTSTRAP_TOKEN names the variable, not its value", () => {
    const typo = "mcp_adm_0123456789abcdefghijklmnopqrstuvwxyZ";
    const run = runCli(["serve", "--db", join(dir, "bootstrap.db"), "--port", "0"], {
      cwd: dir,
      env: { TOKENFORM_BOOTSTRAP_TOKEN: typo },
    });
    expectOneLine(
      run,
      1,
      /^Error: the bootstrap token \(TOKENFORM_BOOTSTRAP_TOKEN\) is not a valid admin token/,
    );
    expect(run.stderr).not.toContain(typo.slice(8));
  });

  it("PostgreSQL that is down names the database (without its password) and what to check", async () => {
    const url = `postgres://tokenform:hunter2-secret@127.0.0.1:${await closedPort()}/tokenform`;
    const run = await runCliAsync(["serve", "--db", url, "--port", "0"], { cwd: dir });
    expectOneLine(
      run,
      1,
      /^Error: cannot connect to PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/tokenform \(ECONNREFUSED\): check that it is running and that --db/,
    );
    expect(run.stderr + run.stdout).not.toContain("hunter2-secret");
  });
});

describe("tokenform gateway", () => {
  it("a TOKENFORM_API_URL without a scheme names the variable", () => {
    const run = runCli(["gateway", "--upstream", "http://127.0.0.1:9/mcp"], {
      cwd: dir,
      env: { TOKENFORM_API_URL: "127.0.0.1:8787" },
    });
    expectOneLine(
      run,
      1,
      /^Error: TOKENFORM_API_URL "127\.0\.0\.1:8787" is not a URL: write http:\/\/127\.0\.0\.1:8787$/,
    );
  });

  it("--port abc is a usage error, and a busy port names the address and --port", async () => {
    expectOneLine(
      runCli(["gateway", "--upstream", "http://127.0.0.1:9/mcp", "--port", "abc"], { cwd: dir }),
      2,
      /--port.*'abc'.*expected a port number/,
    );
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const { port } = busy.address() as { port: number };
    try {
      const run = await runCliAsync(
        [
          "gateway",
          "--upstream",
          "http://127.0.0.1:9/mcp",
          "--db",
          join(dir, "gateway.db"),
          "--port",
          String(port),
        ],
        { cwd: dir },
      );
      expectOneLine(
        run,
        1,
        new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
      );
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
