/**
 * One suite of store behaviours, run against every `TokenStore`: SQLite (a file in a temp dir) and
 * PostgreSQL (a throwaway cluster started once for this file, a fresh database per test). Both must
 * answer the same calls the same way — round trips, optimistic versions, conflicts, cursors, audit order,
 * usage accounting, due work, account isolation — and hold up with two store instances on one database.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Client } from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newAuditId, newTokenId } from "../../../src/service/ids.js";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { SqliteStore } from "../../../src/service/store/sqlite.js";
import {
  type AuditRecord,
  type PickupRecord,
  SESSION_LABEL,
  type SecretRecord,
  type SecretState,
  StoreConflictError,
  type StoredToken,
  type TokenFilter,
  type TokenRecord,
  type TokenStore,
  type UsageDelta,
} from "../../../src/service/store/types.js";
import { usePostgres } from "../../support/postgres.js";

const NOW = Date.UTC(2030, 0, 1, 12);
const HOUR = 3_600_000;
const ACME = "acme";
const OTHER = "other";

/** How a suite reaches one kind of store: a new empty database, a store on it, raw SQL against it. */
interface Backend {
  name: string;
  /** A new empty database; returns where it is (file path or URL). */
  create(): Promise<string>;
  open(location: string): TokenStore;
  /** Runs raw SQL (tests poke at the schema, e.g. a migration from the future). */
  exec(location: string, sql: string): Promise<void>;
}

const postgres = usePostgres();
let sqliteDir = "";
let sqliteCounter = 0;

beforeAll(async () => {
  sqliteDir = await mkdtemp(join(tmpdir(), "tokenform-store-contract-"));
});

afterAll(async () => {
  await rm(sqliteDir, { recursive: true, force: true });
});

const backends: Backend[] = [
  {
    name: "SqliteStore",
    create: async () => join(sqliteDir, `store-${++sqliteCounter}.db`),
    open: (path) => new SqliteStore({ path }),
    async exec(path, sql) {
      const db = new Database(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  },
  {
    name: "PostgresStore",
    create: () => postgres().createDatabase(),
    open: (connectionString) => new PostgresStore({ connectionString }),
    async exec(connectionString, sql) {
      const client = new Client({ connectionString });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  },
];

/** A secret record with a random digest (what `Digester` would keep for some raw key). */
function secret(state: SecretState, generation: number, extra: Partial<SecretRecord> = {}): SecretRecord {
  const digest = createHash("sha256").update(randomBytes(32)).digest("base64");
  return {
    digest,
    displayPrefix: `mcp_sk_${digest.slice(0, 4)}`,
    fingerprint: `sha256:${createHash("sha256").update(digest).digest("hex").slice(0, 16)}`,
    generation,
    state,
    expiresAt: null,
    overlapSeconds: null,
    createdAt: NOW,
    ...extra,
  };
}

/** A token record of `account` with one current secret; `overrides` replace fields. */
function token(name: string, overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: newTokenId(),
    account: ACME,
    name,
    description: `${name} token`,
    type: "mcp",
    scopes: ["contexts:read"],
    readOnly: true,
    labels: {},
    ipAllowlist: [],
    tools: null,
    destinations: [],
    ratePerMinute: null,
    ratePerHour: null,
    enabled: true,
    pending: false,
    pendingExpiresAt: null,
    expiresAt: null,
    deliveries: [],
    createdAt: NOW,
    createdBy: "bootstrap-admin",
    updatedAt: NOW,
    rotatedAt: NOW,
    lastGeneration: 1,
    holder: null,
    pickup: null,
    version: 1,
    secrets: [secret("current", 1)],
    ...overrides,
  };
}

function audit(target: TokenRecord | null, action: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: newAuditId(),
    account: target?.account ?? ACME,
    at: NOW,
    actor: "bootstrap-admin",
    actorTokenId: null,
    action,
    targetId: target?.id ?? null,
    targetName: target?.name ?? null,
    changes: { name: { from: null, to: target?.name ?? null } },
    sourceIp: "203.0.113.7",
    ...extra,
  };
}

function filter(extra: Partial<TokenFilter> = {}): TokenFilter {
  return { requirements: [], now: NOW, ...extra };
}

function usage(tokenId: string, extra: Partial<UsageDelta> = {}): UsageDelta {
  return {
    tokenId,
    requests: 0,
    failures: 0,
    lastUsedAt: null,
    lastUsedIp: null,
    hours: new Map(),
    ...extra,
  };
}

/** The record part of a stored token (what was written), without seq and usage counters. */
function recordOf(stored: StoredToken): TokenRecord {
  const { seq: _s, lastUsedAt: _l, lastUsedIp: _i, requestCount: _r, failedAttempts: _f, ...record } = stored;
  return record;
}

const names = (tokens: StoredToken[]) => tokens.map((t) => t.name);

describe.each(backends)("TokenStore contract: $name", (backend) => {
  const opened: TokenStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  /** Opens (and later closes) a store on `location` and applies migrations. */
  async function open(location: string): Promise<TokenStore> {
    const store = backend.open(location);
    opened.push(store);
    await store.init();
    return store;
  }

  /** A store on a new database with accounts `acme` and `other`. */
  async function fresh(): Promise<{ store: TokenStore; location: string }> {
    const location = await backend.create();
    const store = await open(location);
    const prefixes = { mcp: "mcp_sk_", agent: "mcp_ag_", admin: "mcp_adm_" };
    await store.createAccount({ name: ACME, prefixes, createdAt: NOW });
    await store.createAccount({ name: OTHER, prefixes: { ...prefixes, mcp: "oth_sk_" }, createdAt: NOW + 1 });
    return { store, location };
  }

  it("applies its migrations once, and refuses a database from a newer tokenform", async () => {
    const location = await backend.create();
    // Instances that start together on a new database migrate it once between them.
    const [store] = await Promise.all([open(location), open(location), open(location)]);
    expect(await store.countAccounts()).toBe(0);
    await store.createAccount({
      name: ACME,
      prefixes: { mcp: "a_sk_", agent: "a_ag_", admin: "a_adm_" },
      createdAt: NOW,
    });
    await store.close();
    // Re-initialising an up-to-date database changes nothing.
    const again = await open(location);
    expect(await again.countAccounts()).toBe(1);
    await again.close();
    await backend.exec(
      location,
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)",
    );
    await expect(open(location)).rejects.toThrow(/schema version 99, newer than this tokenform/);
  });

  it("keeps accounts with their prefixes; a duplicate account is a StoreConflictError", async () => {
    const { store } = await fresh();
    expect(await store.countAccounts()).toBe(2);
    expect(await store.getAccount(OTHER)).toEqual({
      name: OTHER,
      prefixes: { mcp: "oth_sk_", agent: "mcp_ag_", admin: "mcp_adm_" },
      createdAt: NOW + 1,
      ratePerHour: null,
    });
    expect(await store.getAccount("nobody")).toBeUndefined();
    const duplicate = store.createAccount({
      name: ACME,
      prefixes: { mcp: "x_", agent: "y_", admin: "z_" },
      createdAt: NOW,
    });
    await expect(duplicate).rejects.toBeInstanceOf(StoreConflictError);
    await expect(duplicate).rejects.toMatchObject({ field: "account" });
  });

  it("keeps an account's own hourly limit: a number, unlimited, or back to the server default; audited", async () => {
    const { store } = await fresh();
    const audit = (to: unknown) => ({
      id: `aud_${String(to)}`,
      account: OTHER,
      at: NOW,
      actor: "bootstrap-admin",
      actorTokenId: null,
      action: "account.update",
      targetId: null,
      targetName: OTHER,
      changes: { "rateLimit.perHour": { from: null, to } },
      sourceIp: null,
    });
    for (const perHour of [2500, "unlimited", null] as const) {
      expect(await store.setAccountRateLimit(OTHER, perHour, audit(perHour))).toBe(true);
      expect((await store.getAccount(OTHER))?.ratePerHour).toBe(perHour);
    }
    expect((await store.getAccount(ACME))?.ratePerHour).toBeNull();
    expect(await store.setAccountRateLimit("nobody", 5, audit("nobody"))).toBe(false);
    const entries = await store.listAudit(OTHER, { beforeSeq: null, limit: 10 });
    expect(entries.map((e) => e.changes["rateLimit.perHour"]?.to)).toEqual([null, "unlimited", 2500]);
  });

  it("inserts a token and reads every field back exactly, with its audit entry", async () => {
    const { store } = await fresh();
    const record = token("backend-ci", {
      description: "CI for the backend — «ünïcode» 'quotes' \"double\"",
      type: "agent",
      scopes: ["tools:call", "contexts:read"],
      readOnly: false,
      // Key order is kept as written.
      labels: { zeta: "1", "app.kubernetes.io/team": "backend", alpha: "x" },
      ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
      ratePerMinute: 100,
      ratePerHour: 1000,
      pendingExpiresAt: NOW + 900_000,
      expiresAt: NOW + 180 * 24 * HOUR,
      deliveries: [
        {
          destination: "github:acme/backend:MCP_API_KEY",
          generation: 2,
          fingerprint: "sha256:0123456789abcdef",
          deliveredAt: "2030-01-01T12:00:00.000Z",
          target: { kind: "github", repository: "acme/backend", nested: { b: 1, a: [1, "two", null] } },
        },
      ],
      createdAt: NOW - 5,
      updatedAt: NOW - 4,
      rotatedAt: NOW - 3,
      lastGeneration: 3,
      version: 7,
      secrets: [
        secret("previous", 1, { expiresAt: NOW + 48 * HOUR, createdAt: NOW - 10 }),
        secret("next", 3, { overlapSeconds: 3600 }),
        secret("current", 2),
      ],
    });
    const entry = audit(record, "token.create", { changes: { scopes: { from: null, to: record.scopes } } });
    const stored = await store.insertToken(record, entry);
    expect(stored.seq).toBeGreaterThan(0);
    expect(stored).toMatchObject({ lastUsedAt: null, lastUsedIp: null, requestCount: 0, failedAttempts: 0 });
    // Secrets come back newest generation first.
    const expected = { ...record, secrets: [...record.secrets].sort((a, b) => b.generation - a.generation) };
    expect(recordOf(stored)).toEqual(expected);
    expect(Object.keys(stored.labels)).toEqual(["zeta", "app.kubernetes.io/team", "alpha"]);
    expect(await store.getToken(ACME, record.id)).toEqual(stored);
    expect(await store.getToken(OTHER, record.id)).toBeUndefined();
    expect(await store.getToken(ACME, "tok_missing")).toBeUndefined();
    const [logged] = await store.listAudit(ACME, { beforeSeq: null, limit: 10 });
    expect(logged).toEqual({ ...entry, seq: expect.any(Number) });
  });

  it("saves with optimistic versions: the expected version wins, a stale or unknown one does not", async () => {
    const { store } = await fresh();
    const record = token("rotating", { labels: { team: "a" } });
    const inserted = await store.insertToken(record, null);
    await store.applyUsage([usage(record.id, { requests: 3, lastUsedAt: NOW, lastUsedIp: "10.0.0.1" })]);

    const rolled: TokenRecord = {
      ...record,
      description: "rolled",
      labels: { team: "b", tier: "gold" },
      version: 2,
      lastGeneration: 2,
      updatedAt: NOW + 1,
      secrets: [secret("current", 2), { ...record.secrets[0]!, state: "previous", expiresAt: NOW + HOUR }],
    };
    const saved = await store.saveToken(rolled, 1, audit(record, "token.roll"));
    expect(saved.ok).toBe(true);
    if (!saved.ok) return;
    expect(recordOf(saved.value)).toEqual(rolled);
    // Settings writes leave usage counters and insertion order alone.
    expect(saved.value).toMatchObject({ seq: inserted.seq, requestCount: 3, lastUsedIp: "10.0.0.1" });
    expect(await store.findBySecret(record.secrets[0]!.digest)).toMatchObject({
      secret: { state: "previous" },
    });

    // A writer that read version 1 loses, and changes nothing (no audit entry either).
    const stale = await store.saveToken(
      { ...record, description: "stale", version: 2 },
      1,
      audit(record, "x"),
    );
    expect(stale).toEqual({ ok: false, reason: "version_mismatch" });
    expect((await store.getToken(ACME, record.id))?.description).toBe("rolled");
    expect((await store.listAudit(ACME, { beforeSeq: null, limit: 10 })).map((a) => a.action)).toEqual([
      "token.roll",
    ]);

    expect(await store.saveToken({ ...token("ghost"), version: 2 }, 1, null)).toEqual({
      ok: false,
      reason: "not_found",
    });
    // Another account's id is "not found", never a version mismatch.
    expect(await store.saveToken({ ...rolled, account: OTHER, version: 3 }, 2, null)).toEqual({
      ok: false,
      reason: "not_found",
    });
    // Dropping a secret makes it unknown at once.
    const dropped = await store.saveToken({ ...rolled, secrets: [rolled.secrets[0]!], version: 3 }, 2, null);
    expect(dropped.ok).toBe(true);
    expect(await store.findBySecret(record.secrets[0]!.digest)).toBeUndefined();
  });

  it("refuses a duplicate name in an account as StoreConflictError, atomically; other accounts may reuse it", async () => {
    const { store } = await fresh();
    const first = token("shared");
    await store.insertToken(first, audit(first, "token.create"));
    const clash = token("shared");
    const attempt = store.insertToken(clash, audit(clash, "token.create"));
    await expect(attempt).rejects.toBeInstanceOf(StoreConflictError);
    await expect(attempt).rejects.toMatchObject({ field: "name", message: /shared.*acme/ });
    // Nothing of the failed insert remains: no token, no secret, no audit entry.
    expect(await store.getToken(ACME, clash.id)).toBeUndefined();
    expect(await store.findBySecret(clash.secrets[0]!.digest)).toBeUndefined();
    expect(await store.listAudit(ACME, { beforeSeq: null, limit: 10 })).toHaveLength(1);

    const elsewhere = await store.insertToken(token("shared", { account: OTHER }), null);
    expect(elsewhere.account).toBe(OTHER);

    const second = token("second");
    await store.insertToken(second, null);
    const rename = store.saveToken(
      { ...second, name: "shared", version: 2 },
      1,
      audit(second, "token.update"),
    );
    await expect(rename).rejects.toMatchObject({ name: "StoreConflictError", field: "name" });
    expect((await store.getToken(ACME, second.id))?.name).toBe("second");
    expect(await store.listAudit(ACME, { beforeSeq: null, limit: 10 })).toHaveLength(1);
  });

  it("keeps human names, unique per account ignoring case (Unicode too); a name may change its own case", async () => {
    const { store } = await fresh();
    const cursor = token("Cursor MCP");
    await store.insertToken(cursor, null);
    await store.insertToken(token("CI/CD Pipeline"), null);
    await store.insertToken(token("Käse"), null);
    for (const name of ["cursor mcp", "CURSOR MCP", "ci/cd pipeline", "KÄSE"]) {
      const clash = token(name);
      await expect(store.insertToken(clash, null), name).rejects.toMatchObject({
        name: "StoreConflictError",
        field: "name",
      });
    }
    // Another account may use the same name in any case.
    expect((await store.insertToken(token("cursor mcp", { account: OTHER }), null)).name).toBe("cursor mcp");
    const recased = await store.saveToken({ ...cursor, name: "cursor MCP", version: 2 }, 1, null);
    expect(recased).toMatchObject({ ok: true, value: { name: "cursor MCP" } });
    const other = token("other");
    await store.insertToken(other, null);
    await expect(store.saveToken({ ...other, name: "käse", version: 2 }, 1, null)).rejects.toMatchObject({
      field: "name",
    });
    // Looking a name up finds it in any case, in the account asked only.
    const found = await store.listTokens(ACME, filter({ name: "CURSOR mcp" }), null, 10);
    expect(found.map((t) => t.name)).toEqual(["cursor MCP"]);
  });

  it("deletes a token with its secrets and usage, at the expected version and in its account only", async () => {
    const { store } = await fresh();
    const record = token("doomed", { labels: { team: "x" }, secrets: [secret("current", 1)] });
    await store.insertToken(record, null);
    await store.applyUsage([
      usage(record.id, { requests: 1, hours: new Map([[NOW, { requests: 1, failures: 0 }]]) }),
    ]);

    expect(await store.deleteToken(ACME, record.id, 5, null)).toEqual({
      ok: false,
      reason: "version_mismatch",
    });
    expect(await store.deleteToken(OTHER, record.id, null, null)).toEqual({ ok: false, reason: "not_found" });
    expect(await store.getToken(ACME, record.id)).toBeDefined();

    const deleted = await store.deleteToken(ACME, record.id, 1, audit(record, "token.delete"));
    expect(deleted.ok).toBe(true);
    if (!deleted.ok) return;
    // The deleted token comes back whole (the sweeper and audit use it).
    expect(recordOf(deleted.value)).toEqual(record);
    expect(deleted.value.requestCount).toBe(1);
    expect(await store.getToken(ACME, record.id)).toBeUndefined();
    expect(await store.findBySecret(record.secrets[0]!.digest)).toBeUndefined();
    expect(await store.usageBuckets(record.id, 0)).toEqual([]);
    expect(
      await store.listTokens(ACME, filter({ requirements: [{ op: "exists", key: "team" }] }), null, 10),
    ).toEqual([]);
    expect(await store.deleteToken(ACME, record.id, null, null)).toEqual({ ok: false, reason: "not_found" });
    expect((await store.listAudit(ACME, { beforeSeq: null, limit: 10 })).map((a) => a.action)).toEqual([
      "token.delete",
    ]);
    // The name is free again.
    expect((await store.insertToken(token("doomed"), null)).name).toBe("doomed");
  });

  it("finds a token by any of its secrets' digests, in any account", async () => {
    const { store } = await fresh();
    const current = secret("current", 2);
    const previous = secret("previous", 1, { expiresAt: NOW + HOUR });
    const record = token("multi", { secrets: [current, previous] });
    await store.insertToken(record, null);
    const other = token("theirs", { account: OTHER });
    await store.insertToken(other, null);

    const byCurrent = await store.findBySecret(current.digest);
    expect(byCurrent?.token.id).toBe(record.id);
    expect(byCurrent?.secret).toEqual(current);
    expect(byCurrent?.token.secrets).toHaveLength(2);
    expect((await store.findBySecret(previous.digest))?.secret).toEqual(previous);
    expect((await store.findBySecret(other.secrets[0]!.digest))?.token.account).toBe(OTHER);
    expect(await store.findBySecret(secret("current", 1).digest)).toBeUndefined();
  });

  it("lists tokens in insertion order with status, type and label filters, and pages by seq", async () => {
    const { store } = await fresh();
    const add = (name: string, overrides: Partial<TokenRecord> = {}) =>
      store.insertToken(token(name, overrides), null);
    await add("active-a", { labels: { team: "backend", env: "ci" } });
    await add("disabled-b", { enabled: false, labels: { team: "frontend" } });
    await add("expired-c", { expiresAt: NOW - 1, labels: { team: "backend" } });
    await add("pending-d", { pending: true, pendingExpiresAt: NOW + 60_000 });
    await add("lapsed-e", { pending: true, pendingExpiresAt: NOW });
    await add("agent-f", { type: "agent", expiresAt: NOW + 1, labels: { env: "prod" } });
    await add("admin-g", { type: "admin", labels: { team: "backend", env: "prod" } });
    await store.insertToken(token("elsewhere", { account: OTHER, labels: { team: "backend" } }), null);

    const list = async (extra: Partial<TokenFilter> = {}) =>
      names(await store.listTokens(ACME, filter(extra), null, 100));
    // A lapsed pending token is gone for every purpose; other accounts are never listed.
    expect(await list()).toEqual(["active-a", "disabled-b", "expired-c", "pending-d", "agent-f", "admin-g"]);
    expect(await list({ status: "active" })).toEqual(["active-a", "agent-f", "admin-g"]);
    expect(await list({ status: "disabled" })).toEqual(["disabled-b"]);
    expect(await list({ status: "expired" })).toEqual(["expired-c"]);
    expect(await list({ status: "pending" })).toEqual(["pending-d"]);
    // `now` decides: later, agent-f has expired and pending-d has lapsed.
    expect(await list({ status: "expired", now: NOW + 1 })).toEqual(["expired-c", "agent-f"]);
    expect(await list({ now: NOW + 60_000 })).not.toContain("pending-d");
    expect(await list({ type: "agent" })).toEqual(["agent-f"]);
    expect(await list({ type: "admin", status: "active" })).toEqual(["admin-g"]);

    const req = (requirements: TokenFilter["requirements"]) => list({ requirements });
    expect(await req([{ op: "eq", key: "team", value: "backend" }])).toEqual([
      "active-a",
      "expired-c",
      "admin-g",
    ]);
    expect(await req([{ op: "neq", key: "team", value: "backend" }])).toEqual([
      "disabled-b",
      "pending-d",
      "agent-f",
    ]);
    expect(await req([{ op: "exists", key: "env" }])).toEqual(["active-a", "agent-f", "admin-g"]);
    expect(await req([{ op: "absent", key: "team" }])).toEqual(["pending-d", "agent-f"]);
    expect(
      await req([
        { op: "eq", key: "team", value: "backend" },
        { op: "eq", key: "env", value: "prod" },
      ]),
    ).toEqual(["admin-g"]);
    expect(await req([{ op: "eq", key: "team", value: "nobody" }])).toEqual([]);

    // Cursor paging: pages of two, each after the last seq seen, cover the listing exactly once.
    const seen: string[] = [];
    let after: number | null = null;
    for (let page = 0; page < 10; page++) {
      const rows: StoredToken[] = await store.listTokens(ACME, filter(), after, 2);
      if (rows.length === 0) break;
      expect(rows.length).toBeLessThanOrEqual(2);
      seen.push(...names(rows));
      after = rows.at(-1)!.seq;
    }
    expect(seen).toEqual(await list());
    const all = await store.listTokens(ACME, filter(), null, 100);
    expect(all.map((t) => t.seq)).toEqual([...all.map((t) => t.seq)].sort((a, b) => a - b));
    expect(names(await store.listTokens(OTHER, filter(), null, 100))).toEqual(["elsewhere"]);
  });

  it("lists audit entries newest first, per account, by target, actor and action, and pages before a seq", async () => {
    const { store } = await fresh();
    const a = token("a");
    const b = token("b");
    await store.insertToken(a, audit(a, "token.create", { at: NOW }));
    await store.insertToken(b, audit(b, "token.create", { at: NOW + 1 }));
    await store.saveToken(
      { ...a, enabled: false, version: 2 },
      1,
      audit(a, "token.disable", { at: NOW + 2, actor: "ops" }),
    );
    await store.insertToken(token("c", { account: OTHER }), audit(null, "token.create", { account: OTHER }));
    await store.deleteToken(ACME, b.id, null, audit(b, "token.delete", { at: NOW + 3, sourceIp: null }));

    const all = await store.listAudit(ACME, { beforeSeq: null, limit: 100 });
    expect(all.map((e) => `${e.action}:${e.targetName}`)).toEqual([
      "token.delete:b",
      "token.disable:a",
      "token.create:b",
      "token.create:a",
    ]);
    expect(all.every((e) => e.account === ACME)).toBe(true);
    expect(all[0]!.sourceIp).toBeNull();
    expect(all[1]!.changes).toEqual({ name: { from: null, to: "a" } });

    const forA = await store.listAudit(ACME, { targetId: a.id, beforeSeq: null, limit: 100 });
    expect(forA.map((e) => e.action)).toEqual(["token.disable", "token.create"]);

    // Actor and action filters match exactly, combine with each other and the target, and page.
    const byAction = await store.listAudit(ACME, { action: "token.create", beforeSeq: null, limit: 100 });
    expect(byAction.map((e) => e.targetName)).toEqual(["b", "a"]);
    const byActor = await store.listAudit(ACME, { actor: "ops", beforeSeq: null, limit: 100 });
    expect(byActor.map((e) => e.action)).toEqual(["token.disable"]);
    expect(
      await store.listAudit(ACME, {
        actor: "bootstrap-admin",
        action: "token.disable",
        beforeSeq: null,
        limit: 100,
      }),
    ).toEqual([]);
    expect(
      (
        await store.listAudit(ACME, { actor: "bootstrap-admin", targetId: a.id, beforeSeq: null, limit: 100 })
      ).map((e) => e.action),
    ).toEqual(["token.create"]);
    expect(
      await store.listAudit(ACME, { action: "token.create", beforeSeq: byAction[0]!.seq, limit: 100 }),
    ).toEqual([byAction[1]]);
    expect(await store.listAudit(ACME, { action: "token.create%", beforeSeq: null, limit: 100 })).toEqual([]);
    expect(await store.listAudit(OTHER, { actor: "ops", beforeSeq: null, limit: 100 })).toEqual([]);

    const firstPage = await store.listAudit(ACME, { beforeSeq: null, limit: 3 });
    const secondPage = await store.listAudit(ACME, { beforeSeq: firstPage.at(-1)!.seq, limit: 3 });
    expect([...firstPage, ...secondPage]).toEqual(all);
    expect(await store.listAudit(ACME, { targetId: a.id, beforeSeq: forA[0]!.seq, limit: 10 })).toEqual([
      forA[1],
    ]);
    expect((await store.listAudit(OTHER, { beforeSeq: null, limit: 10 })).map((e) => e.account)).toEqual([
      OTHER,
    ]);
  });

  it("accumulates usage in one transaction: counters, last use, hourly buckets; deleted tokens are dropped", async () => {
    const { store } = await fresh();
    const t1 = token("one");
    const t2 = token("two");
    const gone = token("gone");
    for (const t of [t1, t2, gone]) await store.insertToken(t, null);
    await store.deleteToken(ACME, gone.id, null, null);
    const h0 = NOW - (NOW % HOUR);

    await store.applyUsage([]);
    await store.applyUsage([
      usage(t1.id, {
        requests: 5,
        failures: 1,
        lastUsedAt: NOW + 10,
        lastUsedIp: "203.0.113.9",
        hours: new Map([
          [h0, { requests: 4, failures: 1 }],
          [h0 + HOUR, { requests: 1, failures: 0 }],
        ]),
      }),
      usage(t2.id, { failures: 2, hours: new Map([[h0, { requests: 0, failures: 2 }]]) }),
      usage(gone.id, { requests: 9, lastUsedAt: NOW, hours: new Map([[h0, { requests: 9, failures: 0 }]]) }),
    ]);
    // A later batch adds up; an older last use does not overwrite a newer one.
    await store.applyUsage([
      usage(t1.id, {
        requests: 2,
        lastUsedAt: NOW + 5,
        lastUsedIp: "198.51.100.1",
        hours: new Map([[h0 + HOUR, { requests: 2, failures: 0 }]]),
      }),
      usage(t2.id, { requests: 1, lastUsedAt: NOW + 20, lastUsedIp: "2001:db8::1" }),
    ]);
    // Two deltas of one token in a batch are both counted.
    await store.applyUsage([
      usage(t2.id, { requests: 1, hours: new Map([[h0, { requests: 1, failures: 0 }]]) }),
      usage(t2.id, { requests: 1, hours: new Map([[h0, { requests: 1, failures: 0 }]]) }),
    ]);

    expect(await store.getToken(ACME, t1.id)).toMatchObject({
      requestCount: 7,
      failedAttempts: 1,
      lastUsedAt: NOW + 10,
      lastUsedIp: "203.0.113.9",
      version: 1,
    });
    expect(await store.getToken(ACME, t2.id)).toMatchObject({
      requestCount: 3,
      failedAttempts: 2,
      lastUsedAt: NOW + 20,
      lastUsedIp: "2001:db8::1",
    });
    expect(await store.usageBuckets(t1.id, 0)).toEqual([
      { start: h0, requests: 4, failures: 1 },
      { start: h0 + HOUR, requests: 3, failures: 0 },
    ]);
    expect(await store.usageBuckets(t1.id, h0 + 1)).toEqual([{ start: h0 + HOUR, requests: 3, failures: 0 }]);
    expect(await store.usageBuckets(t2.id, h0)).toEqual([{ start: h0, requests: 2, failures: 2 }]);
    expect(await store.usageBuckets(gone.id, 0)).toEqual([]);
  });

  it("keeps the client addresses each token was used from: first/last seen and count, the most recent 20", async () => {
    const { store } = await fresh();
    const t = token("addressed");
    const other = token("other");
    await store.insertToken(t, null);
    await store.insertToken(other, null);
    const use = (firstSeen: number, lastSeen: number, count: number) => ({ firstSeen, lastSeen, count });
    await store.applyUsage([
      usage(t.id, { addresses: new Map([["10.0.0.1", use(NOW, NOW + 5, 3)]]) }),
      usage(other.id, { addresses: new Map([["192.0.2.9", use(NOW, NOW, 1)]]) }),
    ]);
    // Two deltas of one token in one batch, and a later flush: earliest first, latest last, counts added.
    await store.applyUsage([
      usage(t.id, { addresses: new Map([["10.0.0.1", use(NOW - 10, NOW + 1, 1)]]) }),
      usage(t.id, { addresses: new Map([["10.0.0.2", use(NOW + 20, NOW + 20, 1)]]) }),
    ]);
    await store.applyUsage([usage(t.id, { addresses: new Map([["10.0.0.1", use(NOW + 30, NOW + 40, 2)]]) })]);
    expect(await store.tokenAddresses(t.id)).toEqual([
      { ip: "10.0.0.1", firstSeen: NOW - 10, lastSeen: NOW + 40, count: 6 },
      { ip: "10.0.0.2", firstSeen: NOW + 20, lastSeen: NOW + 20, count: 1 },
    ]);
    expect(await store.tokenAddresses(other.id)).toEqual([
      { ip: "192.0.2.9", firstSeen: NOW, lastSeen: NOW, count: 1 },
    ]);

    // 25 new addresses: only the 20 most recently seen are kept, the oldest (10.0.0.1, 10.0.0.2) dropped.
    const many = new Map(
      Array.from({ length: 25 }, (_, i) => [`198.51.100.${i}`, use(NOW + 100 + i, NOW + 100 + i, 1)]),
    );
    await store.applyUsage([usage(t.id, { addresses: many })]);
    const kept = await store.tokenAddresses(t.id);
    expect(kept.map((a) => a.ip)).toEqual(Array.from({ length: 20 }, (_, i) => `198.51.100.${24 - i}`));
    expect(await store.tokenAddresses(other.id)).toHaveLength(1);

    // A deleted token's addresses go with it.
    await store.deleteToken(ACME, t.id, null, null);
    expect(await store.tokenAddresses(t.id)).toEqual([]);
  });

  it("settles a same-millisecond last use by the usage-merge rule, whatever the flush or batch order", async () => {
    // Bug fixed: the use flushed last won a tie, so the IP stored depended on which instance flushed first.
    const { store } = await fresh();
    const [a, b, c, d, e] = await Promise.all(
      ["flushed-a-b", "flushed-b-a", "batch-a-b", "batch-b-a", "ip-then-none"].map((n) =>
        store.insertToken(token(n), null),
      ),
    );
    const first = { lastUsedAt: NOW, lastUsedIp: "198.51.100.7" };
    const last = { lastUsedAt: NOW, lastUsedIp: "203.0.113.9" }; // sorts last: wins the tie
    await store.applyUsage([usage(a!.id, { requests: 1, ...first }), usage(b!.id, { requests: 1, ...last })]);
    await store.applyUsage([usage(a!.id, { requests: 1, ...last }), usage(b!.id, { requests: 1, ...first })]);
    await store.applyUsage([
      usage(c!.id, { requests: 1, ...first }),
      usage(c!.id, { requests: 1, ...last }),
      usage(d!.id, { requests: 1, ...last }),
      usage(d!.id, { requests: 1, ...first }),
      usage(e!.id, { requests: 1, ...last }),
    ]);
    await store.applyUsage([usage(e!.id, { requests: 1, lastUsedAt: NOW, lastUsedIp: null })]);
    for (const t of [a, b, c, d, e]) {
      expect(await store.getToken(ACME, t!.id)).toMatchObject({ requestCount: 2, ...last });
    }
  });

  it("lists due work: lapsed pending deadlines, lapsed overlaps, expired session keys", async () => {
    const { store } = await fresh();
    const add = (name: string, overrides: Partial<TokenRecord> = {}) =>
      store.insertToken(token(name, overrides), null);
    await add("plain", { expiresAt: NOW - 1 });
    await add("pending-lapsed", { pending: true, pendingExpiresAt: NOW });
    await add("pending-later", { pending: true, pendingExpiresAt: NOW + 1 });
    await add("overlap-lapsed", {
      secrets: [secret("current", 2), secret("previous", 1, { expiresAt: NOW - HOUR })],
    });
    await add("overlap-later", {
      secrets: [secret("current", 2), secret("previous", 1, { expiresAt: NOW + 1 })],
    });
    await add("roll-lapsed", {
      pendingExpiresAt: NOW - 1,
      secrets: [secret("next", 2, { overlapSeconds: 60 }), secret("current", 1)],
    });
    await add("session-over", { labels: { [SESSION_LABEL]: "true" }, expiresAt: NOW });
    await add("session-live", { labels: { [SESSION_LABEL]: "true" }, expiresAt: NOW + 1 });
    await store.insertToken(
      token("other-lapsed", { account: OTHER, pending: true, pendingExpiresAt: NOW - 5 }),
      null,
    );

    const due = await store.listDue(NOW, 100);
    expect(names(due)).toEqual([
      "pending-lapsed",
      "overlap-lapsed",
      "roll-lapsed",
      "session-over",
      "other-lapsed",
    ]);
    expect(due[1]!.secrets).toHaveLength(2);
    expect(names(await store.listDue(NOW, 2))).toEqual(["pending-lapsed", "overlap-lapsed"]);
    expect(names(await store.listDue(NOW + 1, 100))).toEqual([
      "pending-lapsed",
      "pending-later",
      "overlap-lapsed",
      "overlap-later",
      "roll-lapsed",
      "session-over",
      "session-live",
      "other-lapsed",
    ]);
  });

  it("isolates accounts on every read and write", async () => {
    const { store } = await fresh();
    const mine = token("mine", { labels: { team: "a" } });
    await store.insertToken(mine, audit(mine, "token.create"));
    expect(await store.getToken(OTHER, mine.id)).toBeUndefined();
    expect(await store.listTokens(OTHER, filter(), null, 10)).toEqual([]);
    expect(await store.listAudit(OTHER, { beforeSeq: null, limit: 10 })).toEqual([]);
    expect(await store.listAudit(OTHER, { targetId: mine.id, beforeSeq: null, limit: 10 })).toEqual([]);
    expect(await store.deleteToken(OTHER, mine.id, null, null)).toEqual({ ok: false, reason: "not_found" });
    expect(await store.saveToken({ ...mine, account: OTHER, version: 2 }, 1, null)).toEqual({
      ok: false,
      reason: "not_found",
    });
    expect(recordOf((await store.getToken(ACME, mine.id))!)).toEqual(mine);
  });

  it("keeps one holder per destination: free claims are taken, another owner's refused, the same owner's handed over", async () => {
    const { store } = await fresh();
    const owned = (owner: string) => ({ "tokenform.dev/owner": owner });
    const a = token("a", {
      labels: owned("team/a"),
      destinations: ["github:repo/acme/x/KEY", "file://h1/k.env"],
    });
    await store.insertToken(a, null);
    expect((await store.getToken(ACME, a.id))?.destinations).toEqual([
      "file://h1/k.env",
      "github:repo/acme/x/KEY",
    ]);
    // Another owner (or no owner) cannot take it; nothing of the attempt is written.
    for (const labels of [owned("team/b"), {}]) {
      const b = token(`b${Object.keys(labels).length}`, { labels, destinations: ["github:repo/acme/x/KEY"] });
      const attempt = store.insertToken(b, audit(b, "token.create"));
      await expect(attempt).rejects.toMatchObject({
        name: "StoreConflictError",
        field: "destination",
        holder: { id: a.id, name: "a", owner: "team/a" },
        message: "github:repo/acme/x/KEY is held by token a (owner team/a)",
      });
      expect(await store.getToken(ACME, b.id)).toBeUndefined();
    }
    // Another account may use the same id; the same owner's token takes it over (a hand-over).
    await store.insertToken(token("far", { account: OTHER, destinations: ["github:repo/acme/x/KEY"] }), null);
    const heir = token("heir", { labels: owned("team/a"), destinations: ["github:repo/acme/x/KEY"] });
    await store.insertToken(heir, null);
    expect((await store.getToken(ACME, a.id))?.destinations).toEqual(["file://h1/k.env"]);
    const found = await store.listTokens(
      ACME,
      { requirements: [], destination: "github:repo/acme/x/KEY", now: NOW },
      null,
      10,
    );
    expect(found.map((t) => t.name)).toEqual(["heir"]);
    // Saving with fewer claims releases them; deleting the token releases the rest.
    const saved = await store.saveToken({ ...a, destinations: [], version: 2 }, 1, null);
    expect(saved.ok && saved.value.destinations).toEqual([]);
    await store.deleteToken(ACME, heir.id, null, null);
    const free = token("free", { labels: owned("team/z"), destinations: ["github:repo/acme/x/KEY"] });
    expect((await store.insertToken(free, null)).destinations).toEqual(["github:repo/acme/x/KEY"]);
  });

  it("lets exactly one of two racing claims from two instances win", async () => {
    const { store: first, location } = await fresh();
    const second = await open(location);
    const claimants = [first, second].map((store, i) => ({
      store,
      record: token(`racer-${i}`, {
        labels: { "tokenform.dev/owner": `team/${i}` },
        destinations: ["gitlab:project/p/*/K"],
      }),
    }));
    const results = await Promise.allSettled(
      claimants.map(({ store, record }) => store.insertToken(record, null)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const holders = await first.listTokens(
      ACME,
      { requirements: [], destination: "gitlab:project/p/*/K", now: NOW },
      null,
      10,
    );
    expect(holders).toHaveLength(1);
  });

  it("records a signed request once across instances and restarts; expired records are taken over and pruned", async () => {
    const { store: first, location } = await fresh();
    const second = await open(location);
    const racing = await Promise.all(
      [first, second, first, second].map((store) =>
        store.claimSignature("tok_a", "ab12", NOW + 300_000, NOW),
      ),
    );
    expect(racing.filter(Boolean)).toHaveLength(1);
    // Another token's identical signature is its own; after a restart the record is still there.
    expect(await first.claimSignature("tok_b", "ab12", NOW + 300_000, NOW)).toBe(true);
    await first.close();
    const reopened = await open(location);
    expect(await reopened.claimSignature("tok_a", "ab12", NOW + 300_000, NOW + 1)).toBe(false);
    // Once expired, a record no longer blocks (the timestamp check refuses such a request anyway) and is pruned.
    expect(await reopened.claimSignature("tok_a", "ab12", NOW + 900_000, NOW + 300_000)).toBe(true);
    expect(await reopened.pruneSignatures(NOW + 300_000)).toBe(1);
    expect(await second.claimSignature("tok_a", "ab12", NOW + 900_000, NOW + 300_001)).toBe(false);
    expect(await second.pruneSignatures(NOW + 900_000)).toBe(1);
  });

  it("keeps pickup sessions: by code per account or by device digest, one winner per version, pruned once expired", async () => {
    const { store: first, location } = await fresh();
    const second = await open(location);
    const holderToken = token("alice-cursor", {
      holder: "alice@example.com",
      pickup: {
        client: "cursor",
        server: "acme-tools",
        url: "https://mcp.example.com/mcp",
        header: "bearer",
        openedAt: NOW,
        overlapSeconds: 3600,
        releasedAt: null,
        deliveredAt: null,
      },
    });
    const stored = await first.insertToken(holderToken, null);
    expect(stored.holder).toBe("alice@example.com");
    expect(stored.pickup).toEqual(holderToken.pickup);
    expect(
      (
        await second.listTokens(ACME, { requirements: [], holder: "alice@example.com", now: NOW }, null, 10)
      ).map((t) => t.name),
    ).toEqual(["alice-cursor"]);
    const digest = createHash("sha256").update("tfpk_device").digest("base64");
    const session: PickupRecord = {
      id: "pku_1",
      account: ACME,
      userCode: "WDJBMJHT",
      deviceDigest: digest,
      holder: "alice@example.com",
      tokenIds: [stored.id],
      state: "waiting",
      createdAt: NOW,
      expiresAt: NOW + 900_000,
      requesterIp: "127.0.0.1",
      approvedBy: null,
      approvedAt: null,
      claimedAt: null,
      deliveredAt: null,
      version: 1,
    };
    await first.insertPickup(session, audit(null, "pickup.open"));
    // The same user code in the account is refused; another account may draw it.
    await expect(
      first.insertPickup({ ...session, id: "pku_2", deviceDigest: "AAAA" }, null),
    ).rejects.toBeInstanceOf(StoreConflictError);
    await first.insertPickup({ ...session, id: "pku_3", account: OTHER, deviceDigest: "BBBB" }, null);
    expect(await second.findPickup({ account: ACME, userCode: "WDJBMJHT" })).toEqual(session);
    expect(await second.findPickup({ deviceDigest: digest })).toEqual(session);
    expect(await second.findPickup({ account: ACME, userCode: "BCDFGHJK" })).toBeUndefined();
    await first.insertPickup(
      { ...session, id: "pku_4", userCode: "BCDFGHJK", deviceDigest: "CCCC", requesterIp: null },
      null,
    );
    expect(await second.countWaitingPickups(ACME, "alice@example.com", "127.0.0.1", NOW)).toEqual({
      total: 2,
      fromAddress: 1,
    });
    expect(await second.countWaitingPickups(ACME, "alice@example.com", null, NOW)).toEqual({
      total: 2,
      fromAddress: 1,
    });
    expect(await second.countWaitingPickups(ACME, "alice@example.com", "::1", NOW)).toEqual({
      total: 2,
      fromAddress: 0,
    });
    expect(await second.countWaitingPickups(ACME, "alice@example.com", "127.0.0.1", NOW + 900_000)).toEqual({
      total: 0,
      fromAddress: 0,
    });
    expect(await second.countWaitingPickups(ACME, "bob", "127.0.0.1", NOW)).toEqual({
      total: 0,
      fromAddress: 0,
    });
    const approved = {
      ...session,
      state: "approved" as const,
      approvedBy: "admin",
      approvedAt: NOW + 1,
      version: 2,
    };
    const racing = await Promise.all([
      first.savePickup(approved, 1, null),
      second.savePickup(approved, 1, null),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(await first.findPickup({ deviceDigest: digest })).toEqual(approved);
    expect(await first.prunePickups(NOW + 899_999)).toBe(0);
    expect(await second.prunePickups(NOW + 900_000)).toBe(3);
    expect(await first.findPickup({ deviceDigest: digest })).toBeUndefined();
  });

  it("turns the deliveries of an older database into claims when it migrates (oldest token first; files aside)", async () => {
    const { store, location } = await fresh();
    const delivered = (destination: string) => ({
      destination,
      generation: 1,
      fingerprint: "sha256:0000000000000000",
      deliveredAt: new Date(NOW).toISOString(),
    });
    const older = token("older", {
      deliveries: [delivered("github:repo/acme/x/KEY"), delivered("file:/k.env#K")],
    });
    const newer = token("newer", { deliveries: [delivered("github:repo/acme/x/KEY")] });
    for (const t of [older, newer]) await store.insertToken(t, null);
    await store.close();
    // Back to the schema of the release before claims, then start again.
    await backend.exec(
      location,
      "DROP TABLE destination_claims; DELETE FROM schema_migrations WHERE version = 3;",
    );
    const migrated = await open(location);
    expect((await migrated.getToken(ACME, older.id))?.destinations).toEqual(["github:repo/acme/x/KEY"]);
    expect((await migrated.getToken(ACME, newer.id))?.destinations).toEqual([]);
  });

  it("holds up with two store instances on one database: one of two racing saves wins, usage adds up", async () => {
    const { store: first, location } = await fresh();
    const second = await open(location);
    const record = token("contended");
    await first.insertToken(record, null);
    // Both read version 1 and write version 2 at the same moment.
    const results = await Promise.all(
      [first, second].map((store, i) =>
        store.saveToken({ ...record, description: `writer ${i}`, version: 2 }, 1, audit(record, `w${i}`)),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: "version_mismatch" }]);
    const winner = results.findIndex((r) => r.ok);
    expect((await second.getToken(ACME, record.id))?.description).toBe(`writer ${winner}`);
    expect((await first.listAudit(ACME, { beforeSeq: null, limit: 10 })).map((a) => a.action)).toEqual([
      `w${winner}`,
    ]);

    const h0 = NOW - (NOW % HOUR);
    const batch = () => [
      usage(record.id, { requests: 1, hours: new Map([[h0, { requests: 1, failures: 0 }]]) }),
    ];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? first : second).applyUsage(batch())),
    );
    expect((await first.getToken(ACME, record.id))?.requestCount).toBe(10);
    expect(await second.usageBuckets(record.id, 0)).toEqual([{ start: h0, requests: 10, failures: 0 }]);

    // Names stay unique across instances.
    const racing = await Promise.allSettled(
      [first, second].map((s) => s.insertToken(token("same-name"), null)),
    );
    expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const [rejected] = racing.filter((r) => r.status === "rejected");
    expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
  });
});
