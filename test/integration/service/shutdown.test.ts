/**
 * `tokenform serve` as a child process: graceful shutdown on SIGTERM flushes every usage count (the flush
 * timer is set far beyond the test, so only the shutdown flush can have written them), the restarted
 * server sees them, and the JSON logs on stdout never contain a secret.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { cliChildren, spawnCli } from "../../support/cli.js";

afterAll(() => {
  for (const child of cliChildren) if (child.exitCode === null) child.kill("SIGKILL");
});

const serve = (dbPath: string, env: Record<string, string>) =>
  spawnCli(["serve", "--db", dbPath, "--port", "0"], {
    env: { TOKENFORM_USAGE_FLUSH_MS: "600000", ...env },
    ready: (entry) => (entry.msg === "token service listening" ? String(entry.url) : undefined),
  });

describe("tokenform serve", () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loses no usage counts on SIGTERM and logs no secrets", async () => {
    dir = await mkdtemp(join(tmpdir(), "tokenform-serve-"));
    const dbPath = join(dir, "tokenform.db");
    const bootstrap = generateToken("mcp_adm_");
    const first = await serve(dbPath, { TOKENFORM_BOOTSTRAP_TOKEN: bootstrap });
    // A provided bootstrap key is never printed.
    expect(first.stderr.join("\n")).not.toContain("mcp_adm_");
    const api = new TokenformClient({ baseUrl: first.url, token: bootstrap, retries: 0 });
    const issued = await api.createToken({ name: "counted", scopes: ["tools:call"] });
    const raw = issued.secret.reveal();
    for (let i = 0; i < 40; i++) await api.verify({ token: raw, scopes: ["tools:call"], ip: "192.0.2.1" });
    for (let i = 0; i < 7; i++) await api.verify({ token: raw, scopes: ["files:write"] });
    // At the default level only refused requests get an access line: one that carried a real key.
    const refused = await fetch(`${first.url}/v1/nowhere`, {
      headers: { authorization: `Bearer ${bootstrap}` },
    });
    expect(refused.status).toBe(404);
    await api.close();

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const logs = first.stdout.join("\n");
    expect(logs).toContain('"msg":"shutting down"');
    expect(logs).toContain('"authorization":"[redacted]"');
    expect(logs).not.toContain(raw);
    expect(logs).not.toContain(bootstrap);
    expect(logs).not.toContain(raw.slice(7));

    const second = await serve(dbPath, {});
    const api2 = new TokenformClient({ baseUrl: second.url, token: bootstrap, retries: 0 });
    expect(await api2.getToken(issued.token.id)).toMatchObject({
      requestCount: 40,
      failedAttempts: 7,
      lastUsedIp: "192.0.2.1",
    });
    const usage = await api2.usage(issued.token.id);
    expect(usage.hourly.reduce((n, b) => n + b.requests, 0)).toBe(40);
    await api2.close();
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("prints a generated bootstrap key once, on stderr, clearly labelled", async () => {
    const where = await mkdtemp(join(tmpdir(), "tokenform-serve-"));
    try {
      const served = await serve(join(where, "db.sqlite"), { TOKENFORM_BOOTSTRAP_TOKEN: "" });
      await expect.poll(() => served.stderr.join("\n")).toContain("shown only this once");
      const printed = served.stderr.join("\n");
      const key = /mcp_adm_[A-Za-z0-9]{36}/.exec(printed)?.[0];
      expect(key).toBeDefined();
      expect(printed).toContain("shown only this once");
      expect(served.stdout.join("\n")).not.toContain(key!);
      const api = new TokenformClient({ baseUrl: served.url, token: key!, retries: 0 });
      expect((await api.whoami()).name).toBe("bootstrap-admin");
      await api.close();
      served.child.kill("SIGTERM");
      expect(await served.exited).toBe(0);
      const again = await serve(join(where, "db.sqlite"), { TOKENFORM_BOOTSTRAP_TOKEN: "" });
      expect(again.stderr.join("\n")).not.toContain("mcp_adm_");
      again.child.kill("SIGTERM");
      expect(await again.exited).toBe(0);
    } finally {
      await rm(where, { recursive: true, force: true });
    }
  });
});
