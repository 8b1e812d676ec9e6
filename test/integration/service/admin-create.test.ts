/**
 * An operator without an admin key: `serve` on an existing database says how to mint one, `tokenform
 * admin create` mints one directly in the database (the secret alone on stdout, audited as created by the
 * command), and a `--db` whose directory does not exist is an error instead of a silently created tree.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { OPERATOR_ACTOR } from "../../../src/service/admin.js";
import { PostgresStore, startService } from "../../../src/service/index.js";
import { cliChildren, runCli, runCliAsync, spawnCli } from "../../support/cli.js";
import { startPostgres } from "../../support/postgres.js";

afterAll(() => {
  for (const child of cliChildren) if (child.exitCode === null) child.kill("SIGKILL");
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-admin-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("tokenform serve --db", () => {
  it("refuses a database whose directory does not exist, in one line, and creates nothing", () => {
    const missing = join(dir, "no-such-dir", "deeper", "x.db");
    const run = runCli(["serve", "--db", missing, "--port", "0"], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      `Error: cannot create the SQLite database ${missing}: the directory ${join(dir, "no-such-dir", "deeper")} does not exist; create it first or choose another --db (or TOKENFORM_DB)`,
    ]);
    expect(existsSync(join(dir, "no-such-dir"))).toBe(false);
  });

  it("on an existing database, says how to mint an admin key", async () => {
    const dbPath = join(dir, "existing.db");
    const first = await startService({ dbPath, sweepIntervalMs: 0 });
    await first.close();
    const served = await spawnCli(["serve", "--db", dbPath, "--port", "0"], {
      env: { TOKENFORM_BOOTSTRAP_TOKEN: "" },
      ready: (entry) => (entry.msg === "token service listening" ? String(entry.url) : undefined),
    });
    await expect.poll(() => served.stderr.join("\n")).toContain("admin create");
    expect(served.stderr).toEqual([
      `tokenform: existing database — no admin key is printed. To mint one: tokenform admin create --db ${dbPath}`,
    ]);
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
  });
});

describe("tokenform admin create", () => {
  it("mints a working admin key in the database, prints it once on stdout, and audits it", async () => {
    const dbPath = join(dir, "mint.db");
    const pepper = "server-side-pepper";
    const first = await startService({ dbPath, pepper, sweepIntervalMs: 0 });
    await first.close();

    const run = runCli(
      [
        "admin",
        "create",
        "--db",
        dbPath,
        "--name",
        "ops-recovery",
        "--scopes",
        "tokens:read",
        "tokens:write",
      ],
      { cwd: dir, env: { TOKENFORM_PEPPER: pepper } },
    );
    expect(run.status, run.stderr).toBe(0);
    const secret = run.stdout.trim();
    expect(secret).toMatch(/^mcp_adm_[A-Za-z0-9]{36}$/);
    expect(run.stderr).not.toContain(secret);
    expect(run.stderr).toContain('admin key "ops-recovery"');

    const service = await startService({ dbPath, pepper, sweepIntervalMs: 0, sessionAdminKey: false });
    try {
      const api = new TokenformClient({ baseUrl: service.url, token: secret, retries: 0 });
      const me = await api.whoami();
      expect(me).toMatchObject({ name: "ops-recovery", account: "default" });
      const audit = await api.audit({});
      const created = audit.items.find((e) => e.action === "token.create" && e.targetName === "ops-recovery");
      expect(created?.actor).toBe(OPERATOR_ACTOR);
      await api.close();
    } finally {
      await service.close();
    }
  });

  it("works on PostgreSQL too: --db postgres://…, and a new database's first admin key is the one printed", async () => {
    await using pg = await startPostgres();
    const url = await pg.createDatabase();
    const run = await runCliAsync(["admin", "create", "--db", url], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const secret = run.stdout.trim();
    expect(run.stderr).toContain('new database — created account "default"');
    const service = await startService({
      store: new PostgresStore({ connectionString: url }),
      sweepIntervalMs: 0,
      sessionAdminKey: false,
    });
    try {
      const api = new TokenformClient({ baseUrl: service.url, token: secret, retries: 0 });
      expect(await api.whoami()).toMatchObject({ name: "bootstrap-admin", account: "default" });
      await api.close();
    } finally {
      await service.close();
    }
    const again = await runCliAsync(["admin", "create", "--db", url, "--name", "second"], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('in account "default", admin key "second"');
  });

  it("refuses what it cannot do in one line: no database there, an unknown account", () => {
    const nowhere = runCli(["admin", "create", "--db", join(dir, "none.db")], { cwd: dir });
    expect(nowhere.status).toBe(1);
    expect(nowhere.stderr.trim().split("\n")).toHaveLength(1);
    expect(nowhere.stderr).toMatch(/^Error: no database at .*none\.db/);
    expect(nowhere.stdout).toBe("");
    expect(existsSync(join(dir, "none.db"))).toBe(false);

    const unknown = runCli(["admin", "create", "--db", join(dir, "mint.db"), "--account", "nope"], {
      cwd: dir,
    });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toEqual(["Error: admin create: account nope does not exist"]);
    expect(unknown.stdout).toBe("");
  });
});
