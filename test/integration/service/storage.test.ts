/**
 * What lands on disk: the SQLite file (and its WAL) never holds a raw secret; the database directory is
 * git-ignored; migrations are versioned; bootstrap and session keys behave as documented; a pepper changes
 * the digests; accounts are isolated and created programmatically.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { ManualClock } from "../../../src/service/clock.js";
import { startService } from "../../../src/service/index.js";
import { SqliteStore } from "../../../src/service/store/sqlite.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { serviceHarness } from "./harness.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tokenform-storage-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function bytesOf(path: string): Buffer {
  return existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
}

describe("storage", () => {
  it("keeps no raw secret in the database file or its WAL", async () => {
    await using h = await serviceHarness();
    const secrets: string[] = [h.adminToken.reveal()];
    for (let i = 0; i < 20; i++) {
      const issued = await h.admin.createToken({ name: `t-${i}`, pending: i % 3 === 0 });
      secrets.push(issued.secret.reveal());
      if (i % 4 === 0)
        secrets.push((await h.admin.rollToken(issued.token.id, { overlap: "1h" })).secret.reveal());
      await h.admin.verify({ token: issued.secret.reveal() });
    }
    await h.service.flushUsage();
    const files = [h.dbPath, `${h.dbPath}-wal`, `${h.dbPath}-shm`].map(bytesOf);
    expect(files[0]!.length + files[1]!.length).toBeGreaterThan(0);
    for (const bytes of files) {
      const text = bytes.toString("latin1");
      for (const secret of secrets) {
        expect(text.includes(secret)).toBe(false);
        // Not even the random body without its prefix.
        expect(text.includes(secret.slice(secret.lastIndexOf("_") + 1))).toBe(false);
      }
    }
    await h.service.close();
    const closed = bytesOf(h.dbPath).toString("latin1");
    for (const secret of secrets)
      expect(closed.includes(secret.slice(secret.lastIndexOf("_") + 1))).toBe(false);
  });

  it("creates .tokenform/ with a .gitignore of * and applies versioned migrations once", async () => {
    const dir = await tempDir();
    const dbPath = join(dir, ".tokenform", "tokenform.db");
    const first = await startService({ dbPath, sweepIntervalMs: 0 });
    await first.close();
    expect(await readFile(join(dir, ".tokenform", ".gitignore"), "utf8")).toMatch(/^\*$/m);
    const store = new SqliteStore({ path: dbPath });
    await store.init();
    expect(store.appliedMigrations()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await store.close();
    const db = new Database(dbPath);
    expect((db.pragma("journal_mode", { simple: true }) as string).toLowerCase()).toBe("wal");
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)").run();
    db.close();
    await expect(startService({ dbPath, sweepIntervalMs: 0 })).rejects.toThrow(/newer than this tokenform/);
  });

  it("seeds the first admin key from a bootstrap token, and refuses one that is not a valid admin token", async () => {
    const dir = await tempDir();
    const dbPath = join(dir, "t.db");
    const bootstrap = generateToken("mcp_adm_");
    await expect(startService({ dbPath, bootstrapToken: generateToken("mcp_sk_") })).rejects.toThrow(
      /not a valid admin token/,
    );
    const typo = bootstrap.slice(0, -1) + (bootstrap.endsWith("A") ? "B" : "A");
    await expect(startService({ dbPath, bootstrapToken: typo })).rejects.toThrow(/checksum/);
    const service = await startService({ dbPath, bootstrapToken: bootstrap, sweepIntervalMs: 0 });
    expect(service.adminTokenSource).toBe("provided");
    const api = new TokenformClient({ baseUrl: service.url, token: bootstrap, retries: 0 });
    expect((await api.whoami()).name).toBe("bootstrap-admin");
    await api.close();
    await service.close();
    // Restarting with the same bootstrap token reuses it; without one a session key is minted and removed on close.
    const again = await startService({ dbPath, bootstrapToken: bootstrap, sweepIntervalMs: 0 });
    expect(again.adminTokenSource).toBe("provided");
    await again.close();
    const session = await startService({ dbPath, sweepIntervalMs: 0 });
    expect(session.adminTokenSource).toBe("session");
    const sessionApi = new TokenformClient({ baseUrl: session.url, token: session.adminToken, retries: 0 });
    const me = await sessionApi.whoami();
    expect(me.name).toMatch(/^embedded-session-/);
    await sessionApi.close();
    await session.close();
    const last = await startService({ dbPath, bootstrapToken: bootstrap, sweepIntervalMs: 0 });
    const lastApi = new TokenformClient({ baseUrl: last.url, token: bootstrap, retries: 0 });
    expect((await lastApi.listAllTokens()).map((t) => t.name)).toEqual(["bootstrap-admin"]);
    await lastApi.close();
    await last.close();
    const none = await startService({ dbPath, sweepIntervalMs: 0, sessionAdminKey: false });
    expect(none.adminTokenSource).toBe("none");
    expect(() => none.adminToken).toThrow(/no admin key/);
    await none.close();
  });

  it("sweeps session keys left behind by a process that died", async () => {
    const dir = await tempDir();
    const dbPath = join(dir, "t.db");
    const clock = new ManualClock();
    const bootstrap = generateToken("mcp_adm_");
    const first = await startService({ dbPath, bootstrapToken: bootstrap, clock, sweepIntervalMs: 0 });
    await first.close();
    const crashed = await startService({ dbPath, clock, sweepIntervalMs: 0 });
    const leftover = crashed.adminToken.reveal();
    // Simulate a crash: the store goes away before the session clean-up could run (close() then fails).
    await crashed.store.close();
    await expect(crashed.close()).rejects.toThrow();
    clock.advance({ seconds: 24 * 3600 });
    const later = await startService({ dbPath, bootstrapToken: bootstrap, clock, sweepIntervalMs: 0 });
    expect((await later.verifier.verify({ token: leftover })).code).toBe("EXPIRED");
    expect(await later.sweep()).toBe(1);
    expect((await later.verifier.verify({ token: leftover })).code).toBe("NOT_FOUND");
    await later.close();
  });

  it("peppers digests: the same key does not verify under a different pepper", async () => {
    const dir = await tempDir();
    const dbPath = join(dir, "t.db");
    const service = await startService({ dbPath, pepper: "server-side-secret", sweepIntervalMs: 0 });
    const raw = service.adminToken.reveal();
    expect((await service.verifier.verify({ token: raw })).valid).toBe(true);
    await service.close();
    const wrong = await startService({
      dbPath,
      pepper: "another",
      sweepIntervalMs: 0,
      sessionAdminKey: false,
    });
    expect((await wrong.verifier.verify({ token: raw })).code).toBe("NOT_FOUND");
    await wrong.close();
    const right = await startService({
      dbPath,
      pepper: "server-side-secret",
      sweepIntervalMs: 0,
      sessionAdminKey: false,
    });
    expect((await right.verifier.verify({ token: raw })).valid).toBe(true);
    await right.close();
  });

  it("creates accounts programmatically with their own prefixes and isolates them", async () => {
    await using h = await serviceHarness();
    const acme = await h.service.createAccount("acme", { prefixes: { mcp: "acme_sk_", admin: "acme_adm_" } });
    expect(acme.adminToken.reveal()).toMatch(/^acme_adm_/);
    const api = h.client(acme.adminToken);
    const issued = await api.createToken({ name: "shared-name" });
    expect(issued.secret.reveal()).toMatch(/^acme_sk_/);
    // Names are unique per account, not globally.
    expect((await h.admin.createToken({ name: "shared-name" })).token.account).toBe("default");
    await expect(h.service.createAccount("acme")).rejects.toMatchObject({ code: "conflict" });
    await expect(h.service.createAccount("Not Valid")).rejects.toMatchObject({ code: "unprocessable" });
    expect((await api.whoami()).account).toBe("acme");
    expect((await h.admin.listAllTokens()).every((t) => t.account === "default")).toBe(true);
  });
});
