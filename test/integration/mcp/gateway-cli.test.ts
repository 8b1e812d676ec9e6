/**
 * `tokenform gateway` as users start it — a child process of the real CLI — in front of an unguarded SDK
 * server: verifying in-process on a database another process manages (a key deleted there is refused on
 * the very next request), or remotely against a token service; JSON logs on stdout without a key;
 * SIGTERM stops it with exit code 0.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { startService } from "../../../src/service/index.js";
import { cliChildren, runCliAsync, spawnCli } from "../../support/cli.js";
import { counters, sdkClient, startMcpHttp } from "../../support/mcp.js";

afterAll(() => {
  for (const child of cliChildren) if (child.exitCode === null) child.kill("SIGKILL");
});

const gateway = (args: string[], env: Record<string, string> = {}) =>
  spawnCli(["gateway", "--port", "0", ...args], {
    env: { TOKENFORM_API_URL: "", TOKENFORM_API_TOKEN: "", ...env },
    ready: (entry) => (entry.msg === "gateway listening" ? String(entry.url) : undefined),
  });

describe("tokenform gateway (the CLI)", () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("verifies in-process on a shared database: a key deleted by another process is refused at once", async () => {
    dir = await mkdtemp(join(tmpdir(), "tokenform-gateway-"));
    const dbPath = join(dir, "tokens.db");
    const service = await startService({ dbPath, port: 0 });
    const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    const issued = await api.createToken({ name: "alice-cursor-dev", scopes: ["tools:call"] });
    await using upstream = await startMcpHttp({ stateful: true }, counters());
    const gw = await gateway(["--upstream", upstream.url, "--db", dbPath]);

    const client = await sdkClient(gw.url, { Authorization: `Bearer ${issued.secret.reveal()}` });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      "get_status",
      "search_docs",
      "slow_report",
    ]);
    await client.callTool({ name: "get_status", arguments: {} });
    await api.deleteToken(issued.token.id);
    await expect(client.callTool({ name: "get_status", arguments: {} })).rejects.toMatchObject({ code: 401 });
    await client.close();

    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    const log = gw.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log.some((e) => e.msg === "request" && e.tokenId === issued.token.id && e.status === 200)).toBe(
      true,
    );
    expect(log.some((e) => e.msg === "request" && e.status === 401)).toBe(true);
    expect(gw.stdout.join("\n")).not.toContain(issued.secret.reveal());
    expect(log.map((e) => e.msg)).toContain("gateway stopped");
    await api.close();
    await service.close();
  });

  it("refuses to start, in one line, when the token service will not let it verify keys", async () => {
    const remoteDir = await mkdtemp(join(tmpdir(), "tokenform-gateway-denied-"));
    const service = await startService({ dbPath: join(remoteDir, "tokens.db"), port: 0 });
    try {
      const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
      const agent = await api.createToken({ name: "not-an-admin", type: "agent", scopes: ["tools:call"] });
      const run = await runCliAsync(["gateway", "--upstream", "http://127.0.0.1:9/mcp", "--port", "0"], {
        cwd: remoteDir,
        env: { TOKENFORM_API_URL: service.url, TOKENFORM_API_TOKEN: agent.secret.reveal() },
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /^Error: the token service at http:\/\/127\.0\.0\.1:\d+ does not let this gateway verify keys: /,
      );
      expect(run.stderr).toContain(
        "Hint: TOKENFORM_API_TOKEN must be an admin key of the account with tokens:verify",
      );
      expect(run.stderr).not.toContain("    at ");
      expect(run.stderr + run.stdout).not.toContain(agent.secret.reveal());
      await api.close();
    } finally {
      await service.close();
      await rm(remoteDir, { recursive: true, force: true });
    }
  });

  it("verifies with a remote token service from TOKENFORM_API_URL and a tokens:verify key", async () => {
    const remoteDir = await mkdtemp(join(tmpdir(), "tokenform-gateway-remote-"));
    const service = await startService({ dbPath: join(remoteDir, "tokens.db"), port: 0 });
    try {
      const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
      const verifier = await api.createToken({ name: "gateway", type: "admin", scopes: ["tokens:verify"] });
      const agent = await api.createToken({ name: "deploy-agent", type: "agent", scopes: ["tools:call"] });
      await using upstream = await startMcpHttp({ stateful: false }, counters());
      const gw = await gateway(["--upstream", upstream.url], {
        TOKENFORM_API_URL: service.url,
        TOKENFORM_API_TOKEN: verifier.secret.reveal(),
      });
      const client = await sdkClient(gw.url, { "X-API-Key": agent.secret.reveal() });
      await client.callTool({ name: "restart_service", arguments: { service: "db" } });
      await client.close();
      gw.child.kill("SIGTERM");
      expect(await gw.exited).toBe(0);
      expect(gw.stdout.join("\n")).not.toContain(verifier.secret.reveal());
      expect(JSON.parse(gw.stdout[0]!)).toMatchObject({ msg: "verifying keys with the token service" });
      await api.close();
    } finally {
      await service.close();
      await rm(remoteDir, { recursive: true, force: true });
    }
  });

  it("with --cache-ttl keeps verdicts of the remote service and follows its invalidations: a deleted key is refused right after", async () => {
    const remoteDir = await mkdtemp(join(tmpdir(), "tokenform-gateway-cached-"));
    const service = await startService({
      dbPath: join(remoteDir, "tokens.db"),
      port: 0,
      usageFlushMs: 60_000,
    });
    try {
      const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
      const verifier = await api.createToken({ name: "gateway", type: "admin", scopes: ["tokens:verify"] });
      const agent = await api.createToken({ name: "deploy-agent", type: "agent", scopes: ["tools:call"] });
      await using upstream = await startMcpHttp({ stateful: false }, counters());
      const gw = await gateway(["--upstream", upstream.url, "--cache-ttl", "60s"], {
        TOKENFORM_API_URL: service.url,
        TOKENFORM_API_TOKEN: verifier.secret.reveal(),
      });
      const following = () =>
        gw.stdout.some((line) => line.includes("following token service invalidations"));
      for (let i = 0; i < 500 && !following(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(following()).toBe(true);

      const client = await sdkClient(gw.url, { "X-API-Key": agent.secret.reveal() });
      for (let i = 0; i < 3; i++) await client.callTool({ name: "get_status", arguments: {} });
      await service.flushUsage();
      // Fewer verifications than requests reached the service: the gateway answered the rest from its cache.
      expect((await api.getToken(agent.token.id)).requestCount).toBeLessThan(4);

      await api.deleteToken(agent.token.id);
      let refused: unknown;
      for (let i = 0; i < 200 && refused === undefined; i++) {
        refused = await client.callTool({ name: "get_status", arguments: {} }).then(
          () => undefined,
          (error: unknown) => error,
        );
      }
      expect(refused).toMatchObject({ code: 401 });
      await client.close();
      gw.child.kill("SIGTERM");
      expect(await gw.exited).toBe(0);
      expect(gw.stdout.join("\n")).not.toContain(verifier.secret.reveal());
      expect(gw.stdout.join("\n")).not.toContain(agent.secret.reveal());
      await api.close();
    } finally {
      await service.close();
      await rm(remoteDir, { recursive: true, force: true });
    }
  });
});
