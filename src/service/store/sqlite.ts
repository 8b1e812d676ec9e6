/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode with foreign keys on and versioned
 * migrations. better-sqlite3 is synchronous, so each async method does its work before it resolves;
 * multi-statement writes run inside `db.transaction`, which makes them atomic.
 */

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { OWNER_LABEL } from "../../api/schemas.js";
import { ConfigError } from "../../errors.js";
import {
  AUDIT,
  accountRateFromColumn,
  accountRateToColumn,
  PICKUPS,
  SECRETS,
  TOKEN_WRITES,
  TOKENS,
  tokenFromRow,
  USAGE,
} from "./columns.js";
import { type Migration, SQLITE_MIGRATIONS } from "./migrations.js";
import { tokenListing } from "./token-filter.js";
import {
  type AccountRateLimit,
  type AccountRecord,
  type AuditRecord,
  type ClaimHolder,
  describeHolder,
  type PickupRecord,
  SESSION_LABEL,
  type SecretRecord,
  StoreConflictError,
  type StoredAudit,
  type StoredToken,
  type TokenAddress,
  type TokenFilter,
  type TokenRecord,
  type TokenStore,
  type UsageBucket,
  type UsageDelta,
  type UsageFields,
  type WriteResult,
} from "./types.js";
import { ADDRESSES_KEPT, foldDeltas, storedAfter } from "./usage-merge.js";

/** Default database location, relative to the working directory. */
export const DEFAULT_DB_PATH = ".tokenform/tokenform.db";

/** Milliseconds SQLite waits for a lock held by another connection before failing. */
const BUSY_TIMEOUT_MS = 5000;

/** A row as better-sqlite3 returns it: column name → value. */
type Row = Record<string, unknown>;

/** The SELECT list of a token row and of a secret row (with its owner). */
const TOKEN_COLUMNS = TOKENS.selectList();
const SECRET_COLUMNS = `token_id, ${SECRETS.selectList()}`;

/**
 * The verify path's reads, built once: the statement cache is keyed by SQL text, and one string object
 * keeps its hash (a template literal per call would be hashed again on every lookup).
 */
const READ = {
  tokenById: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`,
  secretByDigest: `SELECT ${SECRET_COLUMNS} FROM secrets WHERE digest = ?`,
  secretsOfToken: `SELECT ${SECRET_COLUMNS} FROM secrets WHERE token_id = ? ORDER BY generation DESC`,
};

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Error &&
    "code" in error &&
    (error.code === "SQLITE_CONSTRAINT_UNIQUE" || error.code === "SQLITE_CONSTRAINT_PRIMARYKEY")
  );
}

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` for a throwaway store. Only the embedded default `.tokenform/` is created; any other missing directory is a `ConfigError`. */
  path: string;
  /** Migrations to apply (tests only; defaults to the built-in list). */
  migrations?: readonly Migration[];
}

/** The SQLite implementation of `TokenStore`. */
export class SqliteStore implements TokenStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #migrations: readonly Migration[];
  readonly #statements = new Map<string, Database.Statement>();

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.#migrations = options.migrations ?? SQLITE_MIGRATIONS;
    if (options.path !== ":memory:") prepareDirectory(options.path);
    try {
      this.#db = new Database(options.path, { timeout: BUSY_TIMEOUT_MS });
    } catch (error) {
      throw new ConfigError(
        `cannot open the SQLite database ${options.path}: ${error instanceof Error ? error.message : String(error)}; check the path given to --db (or TOKENFORM_DB)`,
        1,
        { cause: error },
      );
    }
    this.#db.pragma("journal_mode = WAL");
    // NORMAL is durable across process crashes in WAL mode (a power loss may drop the last commits).
    this.#db.pragma("synchronous = NORMAL");
    this.#db.pragma("foreign_keys = ON");
  }

  /** A prepared statement, cached by its SQL (the SQL text varies only in shape, never in values). */
  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      // Shapes are bounded (filters × selector requirements × page sizes), but cap the cache anyway.
      if (this.#statements.size > 2000) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async init(): Promise<void> {
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
    );
    const applied = new Set(
      (this.#db.prepare("SELECT version FROM schema_migrations").all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    );
    const known = new Set(this.#migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new ConfigError(
        `database ${this.path} has schema version ${Math.max(...unknown)}, newer than this tokenform understands; upgrade tokenform`,
      );
    }
    for (const migration of [...this.#migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      this.#db.transaction(() => {
        this.#db.exec(migration.sql);
        this.#db
          .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
          .run(migration.version, migration.name, Date.now());
      })();
    }
  }

  /** Versions recorded in `schema_migrations` (for tests). */
  appliedMigrations(): number[] {
    return (
      this.#db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as Array<{
        version: number;
      }>
    ).map((r) => r.version);
  }

  /**
   * Runs `fn` inside one SQLite transaction (each write inside becomes a savepoint): for imports and
   * seeding many tokens at once. Anything else writing through this store meanwhile joins the
   * transaction, so use it only when nothing else is running. Rolls back if `fn` throws.
   */
  async bulk<T>(fn: () => Promise<T>): Promise<T> {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = await fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    // Fold the WAL back into the main file so a closed database is one self-contained file.
    this.#db.pragma("wal_checkpoint(TRUNCATE)");
    this.#db.close();
  }

  async countAccounts(): Promise<number> {
    return (this.#stmt("SELECT count(*) AS n FROM accounts").get() as { n: number }).n;
  }

  async createAccount(account: AccountRecord): Promise<void> {
    try {
      this.#stmt("INSERT INTO accounts (name, prefixes, created_at) VALUES (?, ?, ?)").run(
        account.name,
        JSON.stringify(account.prefixes),
        account.createdAt,
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw new StoreConflictError(`account ${account.name} already exists`, "account");
      throw error;
    }
  }

  async getAccount(name: string): Promise<AccountRecord | undefined> {
    const row = this.#stmt(
      "SELECT name, prefixes, created_at, rate_per_hour FROM accounts WHERE name = ?",
    ).get(name) as
      | { name: string; prefixes: string; created_at: number; rate_per_hour: number | null }
      | undefined;
    return (
      row && {
        name: row.name,
        prefixes: JSON.parse(row.prefixes),
        createdAt: row.created_at,
        ratePerHour: accountRateFromColumn(row.rate_per_hour),
      }
    );
  }

  async setAccountRateLimit(
    name: string,
    perHour: AccountRateLimit | null,
    audit: AuditRecord,
  ): Promise<boolean> {
    return this.#db.transaction((): boolean => {
      const result = this.#stmt("UPDATE accounts SET rate_per_hour = ? WHERE name = ?").run(
        accountRateToColumn(perHour),
        name,
      );
      if (result.changes === 0) return false;
      this.#writeAudit(audit);
      return true;
    })();
  }

  #secretsOf(ids: string[]): Map<string, SecretRecord[]> {
    const out = new Map<string, SecretRecord[]>();
    if (ids.length === 0) return out;
    const rows = (
      ids.length === 1
        ? this.#stmt(READ.secretsOfToken).all(ids[0])
        : this.#stmt(
            `SELECT ${SECRET_COLUMNS} FROM secrets WHERE token_id IN (${ids.map(() => "?").join(",")}) ORDER BY generation DESC`,
          ).all(...ids)
    ) as Row[];
    for (const row of rows) {
      const owner = row.token_id as string;
      let list = out.get(owner);
      if (!list) {
        list = [];
        out.set(owner, list);
      }
      list.push(SECRETS.read(row, "sqlite"));
    }
    return out;
  }

  #claimsOf(ids: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const rows = this.#stmt(
      `SELECT token_id, destination FROM destination_claims WHERE token_id IN (${ids.map(() => "?").join(",")}) ORDER BY destination`,
    ).all(...ids) as Array<{ token_id: string; destination: string }>;
    for (const row of rows) out.set(row.token_id, [...(out.get(row.token_id) ?? []), row.destination]);
    return out;
  }

  #hydrate(rows: Row[]): StoredToken[] {
    const ids = rows.map((r) => r.id as string);
    const secrets = this.#secretsOf(ids);
    const claims = this.#claimsOf(ids);
    return rows.map((row, i) =>
      tokenFromRow(row, "sqlite", secrets.get(ids[i]!) ?? [], claims.get(ids[i]!) ?? []),
    );
  }

  /** The token holding `destination` in `account`, if any. */
  #holderOf(account: string, destination: string): (ClaimHolder & { id: string }) | undefined {
    const row = this.#stmt(
      `SELECT t.id, t.name, (SELECT value FROM token_labels l WHERE l.token_id = t.id AND l.key = ?) AS owner
       FROM destination_claims c JOIN tokens t ON t.id = c.token_id WHERE c.account = ? AND c.destination = ?`,
    ).get(OWNER_LABEL, account, destination) as
      | { id: string; name: string; owner: string | null }
      | undefined;
    return row;
  }

  /**
   * Makes the token's claims exactly `token.destinations` (inside the caller's transaction): releases the
   * rest, takes free ones, takes over those held by a token of the same owner, and refuses any other.
   */
  #writeClaims(token: TokenRecord): void {
    const wanted = new Set(token.destinations);
    const held = (
      this.#stmt("SELECT destination FROM destination_claims WHERE token_id = ?").all(token.id) as Array<{
        destination: string;
      }>
    ).map((r) => r.destination);
    for (const d of held) {
      if (!wanted.has(d))
        this.#stmt("DELETE FROM destination_claims WHERE token_id = ? AND destination = ?").run(token.id, d);
    }
    const owner = token.labels[OWNER_LABEL];
    for (const d of wanted) {
      if (held.includes(d)) continue;
      const holder = this.#holderOf(token.account, d);
      if (holder === undefined) {
        this.#stmt("INSERT INTO destination_claims (account, destination, token_id) VALUES (?, ?, ?)").run(
          token.account,
          d,
          token.id,
        );
      } else if (owner !== undefined && holder.owner === owner) {
        this.#stmt("UPDATE destination_claims SET token_id = ? WHERE account = ? AND destination = ?").run(
          token.id,
          token.account,
          d,
        );
      } else {
        throw new StoreConflictError(`${d} is held by ${describeHolder(holder)}`, "destination", holder, d);
      }
    }
  }

  #readToken(id: string): StoredToken | undefined {
    const row = this.#stmt(READ.tokenById).get(id) as Row | undefined;
    return row ? this.#hydrate([row])[0] : undefined;
  }

  #writeChildren(token: TokenRecord): void {
    this.#stmt("DELETE FROM token_labels WHERE token_id = ?").run(token.id);
    const label = this.#stmt("INSERT INTO token_labels (token_id, key, value) VALUES (?, ?, ?)");
    for (const [key, value] of Object.entries(token.labels)) label.run(token.id, key, value);
    this.#stmt("DELETE FROM secrets WHERE token_id = ?").run(token.id);
    const secret = this.#stmt(SECRETS.insertSql("sqlite", ["token_id"]));
    const columns = SECRETS.written("insert");
    for (const s of token.secrets) secret.run(token.id, ...SECRETS.values(s, columns, "sqlite"));
  }

  #writeAudit(audit: AuditRecord | null): void {
    if (audit) this.#stmt(AUDIT.insertSql("sqlite")).run(AUDIT.insertValues(audit, "sqlite"));
  }

  #conflict(error: unknown, token: TokenRecord): never {
    if (isUniqueViolation(error) && error instanceof Error && error.message.includes("tokens.")) {
      throw new StoreConflictError(
        `a token named ${token.name} already exists in account ${token.account}`,
        "name",
      );
    }
    throw error;
  }

  /**
   * Writes a token's row with `writeRow` (which reports a missing row or version), then its labels, secrets,
   * claims and audit entry, in one transaction; a duplicate name becomes `StoreConflictError`.
   */
  #writeToken(
    token: TokenRecord,
    audit: AuditRecord | null,
    writeRow: () => WriteResult<void>,
  ): WriteResult<StoredToken> {
    try {
      return this.#db.transaction((): WriteResult<StoredToken> => {
        const written = writeRow();
        if (!written.ok) return written;
        this.#writeChildren(token);
        this.#writeClaims(token);
        this.#writeAudit(audit);
        return { ok: true, value: this.#readToken(token.id)! };
      })();
    } catch (error) {
      this.#conflict(error, token);
    }
  }

  async insertToken(token: TokenRecord, audit: AuditRecord | null): Promise<StoredToken> {
    const result = this.#writeToken(token, audit, () => {
      this.#stmt(TOKEN_WRITES.insertSql.sqlite).run(TOKEN_WRITES.insertValues(token, "sqlite"));
      return { ok: true, value: undefined };
    });
    if (!result.ok) throw new Error(`token ${token.id} vanished while it was inserted`);
    return result.value;
  }

  async saveToken(
    token: TokenRecord,
    expectedVersion: number,
    audit: AuditRecord | null,
  ): Promise<WriteResult<StoredToken>> {
    return this.#writeToken(token, audit, () => {
      const values = TOKEN_WRITES.updateValues(token, expectedVersion, "sqlite");
      if (this.#stmt(TOKEN_WRITES.updateSql.sqlite).run(values).changes > 0)
        return { ok: true, value: undefined };
      const exists = this.#stmt("SELECT 1 FROM tokens WHERE id = ? AND account = ?").get(
        token.id,
        token.account,
      );
      return { ok: false, reason: exists ? "version_mismatch" : "not_found" };
    });
  }

  async deleteToken(
    account: string,
    id: string,
    expectedVersion: number | null,
    audit: AuditRecord | null,
  ): Promise<WriteResult<StoredToken>> {
    return this.#db.transaction((): WriteResult<StoredToken> => {
      const existing = this.#readToken(id);
      if (!existing || existing.account !== account) return { ok: false, reason: "not_found" };
      if (expectedVersion !== null && existing.version !== expectedVersion) {
        return { ok: false, reason: "version_mismatch" };
      }
      this.#stmt("DELETE FROM tokens WHERE id = ?").run(id);
      this.#writeAudit(audit);
      return { ok: true, value: existing };
    })();
  }

  async getToken(account: string, id: string): Promise<StoredToken | undefined> {
    const row = this.#stmt(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ? AND account = ?`).get(
      id,
      account,
    ) as Row | undefined;
    return row ? this.#hydrate([row])[0] : undefined;
  }

  async findBySecret(digest: string): Promise<{ token: StoredToken; secret: SecretRecord } | undefined> {
    const secretRow = this.#stmt(READ.secretByDigest).get(Buffer.from(digest, "base64")) as Row | undefined;
    if (!secretRow) return undefined;
    const token = this.#readToken(secretRow.token_id as string);
    return token && { token, secret: SECRETS.read(secretRow, "sqlite") };
  }

  async listTokens(
    account: string,
    filter: TokenFilter,
    afterSeq: number | null,
    limit: number,
  ): Promise<StoredToken[]> {
    const { clause, params } = tokenListing("sqlite", account, filter, afterSeq, limit);
    const rows = this.#stmt(`SELECT ${TOKENS.selectList("t")} FROM tokens t ${clause}`).all(
      ...params,
    ) as Row[];
    return this.#hydrate(rows);
  }

  async listDue(now: number, limit: number): Promise<StoredToken[]> {
    const rows = this.#stmt(
      `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE seq IN (
         SELECT seq FROM tokens WHERE pending_expires_at <= @now
         UNION SELECT t.seq FROM tokens t JOIN secrets s ON s.token_id = t.id WHERE s.expires_at <= @now
         UNION SELECT t.seq FROM tokens t JOIN token_labels l ON l.token_id = t.id
           WHERE l.key = @session AND t.expires_at <= @now
       ) ORDER BY seq LIMIT @limit`,
    ).all({ now, limit, session: SESSION_LABEL }) as Row[];
    return this.#hydrate(rows);
  }

  async appendAudit(audit: AuditRecord): Promise<void> {
    this.#writeAudit(audit);
  }

  async listAudit(
    account: string,
    query: { targetId?: string; actor?: string; action?: string; beforeSeq: number | null; limit: number },
  ): Promise<StoredAudit[]> {
    const rows = this.#stmt(
      `SELECT ${AUDIT.selectList()} FROM audit WHERE account = @account
         AND (@target IS NULL OR target_id = @target)
         AND (@actor IS NULL OR actor = @actor)
         AND (@action IS NULL OR action = @action)
         AND (@before IS NULL OR seq < @before)
       ORDER BY seq DESC LIMIT @limit`,
    ).all({
      account,
      target: query.targetId ?? null,
      actor: query.actor ?? null,
      action: query.action ?? null,
      before: query.beforeSeq,
      limit: query.limit,
    }) as Row[];
    return rows.map((row) => AUDIT.read(row, "sqlite"));
  }

  async applyUsage(deltas: readonly UsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    const read = this.#stmt(`SELECT ${USAGE.selectList()} FROM tokens WHERE id = ?`);
    const write = this.#stmt(USAGE.updateSql("sqlite", ["id"]));
    const hourly = this.#stmt(
      `INSERT INTO usage_hourly (token_id, hour, requests, failures) VALUES (@id, @hour, @requests, @failures)
       ON CONFLICT (token_id, hour) DO UPDATE SET requests = requests + excluded.requests,
         failures = failures + excluded.failures`,
    );
    const address = this.#stmt(
      `INSERT INTO token_addresses (token_id, ip, first_seen, last_seen, uses)
       VALUES (@id, @ip, @firstSeen, @lastSeen, @count)
       ON CONFLICT (token_id, ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
         last_seen = max(last_seen, excluded.last_seen), uses = uses + excluded.uses`,
    );
    const prune = this.#stmt(
      `DELETE FROM token_addresses WHERE token_id = @id AND ip NOT IN (
         SELECT ip FROM token_addresses WHERE token_id = @id ORDER BY last_seen DESC, ip DESC LIMIT @kept)`,
    );
    // IMMEDIATE: the counters are read, merged and written back, so no other connection may write between.
    this.#db
      .transaction(() => {
        for (const delta of foldDeltas(deltas)) {
          const row = read.get(delta.tokenId) as Row | undefined;
          if (!row) continue; // deleted meanwhile: its usage goes with it
          const usage = storedAfter(USAGE.decode(row, "sqlite") as UsageFields, delta);
          write.run(...USAGE.values(usage, USAGE.written("update"), "sqlite"), delta.tokenId);
          for (const [hour, counts] of delta.hours) hourly.run({ id: delta.tokenId, hour, ...counts });
          for (const [ip, use] of delta.addresses ?? []) address.run({ id: delta.tokenId, ip, ...use });
          if (delta.addresses?.size) prune.run({ id: delta.tokenId, kept: ADDRESSES_KEPT });
        }
      })
      .immediate();
  }

  async usageBuckets(tokenId: string, since: number): Promise<UsageBucket[]> {
    return this.#stmt(
      "SELECT hour AS start, requests, failures FROM usage_hourly WHERE token_id = ? AND hour >= ? ORDER BY hour",
    ).all(tokenId, since) as UsageBucket[];
  }

  async tokenAddresses(tokenId: string): Promise<TokenAddress[]> {
    return this.#stmt(
      `SELECT ip, first_seen AS firstSeen, last_seen AS lastSeen, uses AS count FROM token_addresses
       WHERE token_id = ? ORDER BY last_seen DESC, ip DESC`,
    ).all(tokenId) as TokenAddress[];
  }

  async claimSignature(tokenId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    // One statement: a new row, or an expired one taken over; a live row is left alone (0 changes).
    const result = this.#stmt(
      `INSERT INTO seen_signatures (token_id, signature, expires_at) VALUES (@tokenId, @signature, @expiresAt)
       ON CONFLICT (token_id, signature) DO UPDATE SET expires_at = excluded.expires_at
         WHERE seen_signatures.expires_at <= @now`,
    ).run({ tokenId, signature, expiresAt, now });
    return result.changes === 1;
  }

  async pruneSignatures(now: number): Promise<number> {
    return this.#stmt("DELETE FROM seen_signatures WHERE expires_at <= ?").run(now).changes;
  }

  async insertPickup(pickup: PickupRecord, audit: AuditRecord | null): Promise<void> {
    try {
      this.#db.transaction(() => {
        this.#stmt(PICKUPS.insertSql("sqlite")).run(PICKUPS.insertValues(pickup, "sqlite"));
        this.#writeAudit(audit);
      })();
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreConflictError("pickup code already in use", "pickup");
      throw error;
    }
  }

  async findPickup(
    by: { account: string; userCode: string } | { deviceDigest: string },
  ): Promise<PickupRecord | undefined> {
    const row = (
      "deviceDigest" in by
        ? this.#stmt(`SELECT ${PICKUPS.selectList()} FROM pickups WHERE device_digest = ?`).get(
            Buffer.from(by.deviceDigest, "base64"),
          )
        : this.#stmt(`SELECT ${PICKUPS.selectList()} FROM pickups WHERE account = ? AND user_code = ?`).get(
            by.account,
            by.userCode,
          )
    ) as Row | undefined;
    return row && PICKUPS.read(row, "sqlite");
  }

  async savePickup(
    pickup: PickupRecord,
    expectedVersion: number,
    audit: AuditRecord | null,
  ): Promise<boolean> {
    return this.#db.transaction((): boolean => {
      const columns = PICKUPS.written("update");
      const changed = this.#stmt(PICKUPS.updateSql("sqlite", ["id", "version"])).run([
        ...PICKUPS.values(pickup, columns, "sqlite"),
        pickup.id,
        expectedVersion,
      ]).changes;
      if (changed === 0) return false;
      this.#writeAudit(audit);
      return true;
    })();
  }

  async countWaitingPickups(
    account: string,
    holder: string,
    requesterIp: string | null,
    now: number,
  ): Promise<{ total: number; fromAddress: number }> {
    const row = this.#stmt(
      "SELECT COUNT(*) AS total, COALESCE(SUM(requester_ip IS ?), 0) AS fromAddress FROM pickups WHERE account = ? AND holder = ? AND state = 'waiting' AND expires_at > ?",
    ).get(requesterIp, account, holder, now) as { total: number; fromAddress: number };
    return { total: row.total, fromAddress: row.fromAddress };
  }

  async prunePickups(now: number): Promise<number> {
    return this.#stmt("DELETE FROM pickups WHERE expires_at <= ?").run(now).changes;
  }
}

/**
 * Prepares the database's directory. Only the embedded `.tokenform` directory is created (with a
 * `.gitignore` of `*`); any other directory must exist, so a mistyped `--db` path fails instead of
 * silently creating a tree somewhere else.
 */
function prepareDirectory(path: string): void {
  const dir = dirname(path);
  const embedded = dir.split(/[\\/]/).pop() === ".tokenform";
  if (!embedded && !existsSync(dir)) {
    throw new ConfigError(
      `cannot create the SQLite database ${path}: the directory ${dir} does not exist; create it first or choose another --db (or TOKENFORM_DB)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  if (embedded) {
    const ignore = `${dir}/.gitignore`;
    if (!existsSync(ignore))
      writeFileSync(ignore, "# Written by tokenform: the token database never belongs in git.\n*\n");
  }
}
