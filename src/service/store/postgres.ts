/**
 * The shared store for scaling out: PostgreSQL through a `pg` Pool, with the same semantics as the SQLite
 * store (see `TokenStore`): optimistic versions, name conflicts as `StoreConflictError`, insertion-order
 * cursors (`seq`, an identity column), each write and its audit entry in one transaction, usage batches in
 * one transaction of set-based upserts into hourly buckets. Versioned migrations (`migrations.ts`)
 * run under an advisory lock, so several instances may start against one database at once.
 *
 * Every read of a token is a single statement that brings the token's secrets along as a JSON array, so it
 * sees one consistent snapshot (a roll committed by another instance is seen whole or not at all).
 *
 * `pg` itself is loaded by `init()`, not when this module is imported: the CLI's embedded mode imports the
 * service's index and should not pay for a driver it does not use.
 *
 * Cursors and concurrency: identity values are handed out when a row is inserted, not when it commits, so
 * while two instances insert at the same moment a listing may page past a token whose transaction commits
 * a moment later with a lower `seq` (it shows up on the next full listing). Plan and apply read full
 * listings, so this only affects a client paging through tokens that are being created right then.
 */

import type { Client, Pool, PoolClient } from "pg";
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
import { type Migration, POSTGRES_MIGRATIONS } from "./migrations.js";
import { tokenListing } from "./token-filter.js";
import {
  type AccountRateLimit,
  type AccountRecord,
  type AuditRecord,
  describeHolder,
  type PickupRecord,
  SESSION_LABEL,
  type SecretRecord,
  StoreConflictError,
  type StoredAudit,
  type StoredToken,
  type TokenAddress,
  type TokenFilter,
  type TokenPrefixes,
  type TokenRecord,
  type TokenStore,
  type UsageBucket,
  type UsageDelta,
  type UsageFields,
  type WriteResult,
} from "./types.js";
import { ADDRESSES_KEPT, foldDeltas, storedAfter } from "./usage-merge.js";

/** Connections one instance keeps at most: the verify path needs one only on a cache miss. */
const DEFAULT_MAX_CONNECTIONS = 10;
/** How long a query waits for a free or new connection before failing, instead of hanging on a dead server. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
/**
 * Advisory lock (two-int form: "tokenform" namespace, "migrations") held while migrating, so instances that
 * start together apply each migration exactly once. The first key is `tkfm` in ASCII.
 */
const MIGRATION_LOCK: readonly [number, number] = [0x746b666d, 1];
/** SQLSTATE of a unique violation. */
const UNIQUE_VIOLATION = "23505";

/** A pool or a checked-out connection (inside a transaction): both run queries. */
type Queryable = Pool | PoolClient;

/** A row as `pg` returns it (BIGINT parsed to number, JSON parsed): column name → value. */
type Row = Record<string, unknown>;

/** A token's secrets, newest generation first, as one JSON array (one statement = one snapshot). */
const SECRETS_JSON = `COALESCE((
  SELECT json_agg(${SECRETS.jsonObject("s")} ORDER BY s.generation DESC)
  FROM secrets s WHERE s.token_id = t.id), '[]'::json) AS secrets`;

/** A token's destination claims, sorted, as one JSON array. */
const CLAIMS_JSON = `COALESCE((
  SELECT json_agg(c.destination ORDER BY c.destination) FROM destination_claims c WHERE c.token_id = t.id
), '[]'::json) AS destinations`;

/** Selects tokens (alias `t`) with their secrets and claims; append `WHERE …`. */
const SELECT_TOKEN = `SELECT ${TOKENS.selectList("t")}, ${SECRETS_JSON}, ${CLAIMS_JSON} FROM tokens t`;

/** A row of `SELECT_TOKEN`, as a token. */
function tokenOf(row: Row): StoredToken {
  const secrets = (row.secrets as Row[]).map((s) => SECRETS.read(s, "postgres"));
  return tokenFromRow(row, "postgres", secrets, row.destinations as string[]);
}

/** BIGINT values (epoch ms, counters, seq) as numbers: they stay far below 2^53. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`PostgreSQL BIGINT ${text} does not fit a JavaScript number`);
  return value;
}

/** The unique constraint a query broke, if it broke one (pg's `DatabaseError` carries SQLSTATE and name). */
function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof Error) || !("code" in error) || error.code !== UNIQUE_VIOLATION) return undefined;
  return "constraint" in error && typeof error.constraint === "string" ? error.constraint : "";
}

/** Rethrows a duplicate token name as `StoreConflictError`, anything else as is. */
function rethrowNameConflict(error: unknown, token: TokenRecord): never {
  const constraint = uniqueViolation(error);
  if (constraint === "tokens_account_name_key" || constraint === "tokens_account_name_ci_key") {
    throw new StoreConflictError(
      `a token named ${token.name} already exists in account ${token.account}`,
      "name",
    );
  }
  throw error;
}

/** A connection string without credentials, for messages (e.g. `postgres://db.internal:5432/tokenform`). */
export function describeConnection(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const host = url.host || url.searchParams.get("host") || "localhost";
    return `${url.protocol}//${host}${url.pathname}`;
  } catch {
    return "the PostgreSQL database";
  }
}

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /**
   * Where the database is, as a libpq-style URL: `postgres://user:password@host:5432/tokenform`
   * (`?sslmode=require` etc. as `pg` understands them). The database must exist; the store creates its
   * tables. Never logged: messages name it by `location`, which drops the credentials.
   */
  connectionString: string;
  /** Most connections this instance opens (default 10). */
  maxConnections?: number;
  /** How long (ms) a query waits for a connection before failing (default 10 000). */
  connectionTimeoutMs?: number;
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted). The pool has already dropped
   * it and the next query opens a new one, so by default this is ignored; a real outage surfaces as the
   * next query's error.
   */
  onIdleError?: (error: Error) => void;
  /** Migrations to apply (tests only; defaults to the built-in list). */
  migrations?: readonly Migration[];
}

/** The PostgreSQL implementation of `TokenStore`. */
export class PostgresStore implements TokenStore {
  /** The database, without credentials (for logs and messages). */
  readonly location: string;
  readonly #options: PostgresStoreOptions;
  readonly #migrations: readonly Migration[];
  #pool: Pool | undefined;
  #opening: Promise<Pool> | undefined;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    this.location = describeConnection(options.connectionString);
    this.#options = options;
    this.#migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  }

  /** The pool; only there between `init()` and `close()`. */
  get #db(): Pool {
    if (this.#pool === undefined || this.#closed) {
      throw new Error(
        `the PostgreSQL store for ${this.location} is ${this.#closed ? "closed" : "not initialised"}`,
      );
    }
    return this.#pool;
  }

  async #openPool(): Promise<Pool> {
    const { Pool, TypeOverrides, types: builtinTypes } = await import("pg");
    const types = new TypeOverrides();
    types.setTypeParser(builtinTypes.builtins.INT8, "text", parseInt8);
    const pool = new Pool({
      connectionString: this.#options.connectionString,
      max: this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      connectionTimeoutMillis: this.#options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      application_name: "tokenform",
      types,
    });
    const onIdleError = this.#options.onIdleError ?? (() => undefined);
    // Without a listener an idle connection's error would be an unhandled 'error' event (a crash).
    pool.on("error", (error) => onIdleError(error));
    return pool;
  }

  /** Runs `work` in one transaction on one connection; rolls back when it throws. */
  async #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#db.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        // The connection is unusable (e.g. the server went away): the pool must not hand it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Opens the pool and applies pending migrations. */
  async init(): Promise<void> {
    if (this.#closed) throw new Error(`the PostgreSQL store for ${this.location} is closed`);
    this.#opening ??= this.#openPool();
    this.#pool = await this.#opening;
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        `cannot connect to PostgreSQL at ${this.location} (${reason}): check that it is running and that --db / TOKENFORM_DATABASE_URL is right`,
        1,
        { cause: error },
      );
    }
    try {
      await client.query("SELECT pg_advisory_lock($1, $2)", [...MIGRATION_LOCK]);
      try {
        await this.#migrate(client);
      } finally {
        await client.query("SELECT pg_advisory_unlock($1, $2)", [...MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async #migrate(client: PoolClient): Promise<void> {
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    );
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    const known = new Set(this.#migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new ConfigError(
        `database ${this.location} has schema version ${Math.max(...unknown)}, newer than this tokenform understands; upgrade tokenform`,
      );
    }
    for (const migration of [...this.#migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        // No parameters: the simple query protocol runs the migration's statements in one go.
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }
  }

  /** Versions recorded in `schema_migrations` (for tests). */
  async appliedMigrations(): Promise<number[]> {
    const { rows } = await this.#db.query<{ version: number }>(
      "SELECT version FROM schema_migrations ORDER BY version",
    );
    return rows.map((r) => r.version);
  }

  /** Closes every pooled connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pool = this.#pool ?? (await this.#opening?.catch(() => undefined));
    await pool?.end();
  }

  /**
   * A connection of its own, outside the pool, to the same database (LISTEN needs a session that stays:
   * src/service/store/postgres-invalidation.ts). Connected; the caller ends it.
   */
  async dedicatedClient(applicationName: string): Promise<Client> {
    if (this.#closed) throw new Error(`the PostgreSQL store for ${this.location} is closed`);
    const pg = await import("pg");
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: this.#options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      application_name: applicationName,
      keepAlive: true,
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /** Sends `payload` to every session listening on `channel` (`pg_notify`), through the pool. */
  async notify(channel: string, payload: string): Promise<void> {
    await this.#db.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  async countAccounts(): Promise<number> {
    const { rows } = await this.#db.query<{ n: number }>("SELECT count(*) AS n FROM accounts");
    return rows[0]!.n;
  }

  async createAccount(account: AccountRecord): Promise<void> {
    try {
      await this.#db.query("INSERT INTO accounts (name, prefixes, created_at) VALUES ($1, $2, $3)", [
        account.name,
        JSON.stringify(account.prefixes),
        account.createdAt,
      ]);
    } catch (error) {
      if (uniqueViolation(error) === "accounts_pkey") {
        throw new StoreConflictError(`account ${account.name} already exists`, "account");
      }
      throw error;
    }
  }

  async getAccount(name: string): Promise<AccountRecord | undefined> {
    const { rows } = await this.#db.query<{
      name: string;
      prefixes: TokenPrefixes;
      created_at: number;
      rate_per_hour: number | null;
    }>("SELECT name, prefixes, created_at, rate_per_hour FROM accounts WHERE name = $1", [name]);
    const row = rows[0];
    return (
      row && {
        name: row.name,
        prefixes: row.prefixes,
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
    return this.#transaction(async (client): Promise<boolean> => {
      const result = await client.query("UPDATE accounts SET rate_per_hour = $1 WHERE name = $2", [
        accountRateToColumn(perHour),
        name,
      ]);
      if (result.rowCount === 0) return false;
      await this.#writeAudit(client, audit);
      return true;
    });
  }

  async #readToken(db: Queryable, id: string): Promise<StoredToken | undefined> {
    const { rows } = await db.query<Row>(`${SELECT_TOKEN} WHERE t.id = $1`, [id]);
    return rows[0] && tokenOf(rows[0]);
  }

  /** Replaces a token's labels (the index `listTokens` filters on) and secrets. */
  /**
   * Makes the token's claims exactly `token.destinations` (inside the caller's transaction): releases the
   * rest, takes free ones, takes over those held by a token of the same owner, and refuses any other. A
   * claim racing another transaction's waits on its row (ON CONFLICT) and then sees who won.
   */
  async #writeClaims(client: PoolClient, token: TokenRecord): Promise<void> {
    await client.query(
      "DELETE FROM destination_claims WHERE token_id = $1 AND NOT (destination = ANY($2::text[]))",
      [token.id, token.destinations],
    );
    const owner = token.labels[OWNER_LABEL];
    for (const d of token.destinations) {
      const inserted = await client.query(
        `INSERT INTO destination_claims (account, destination, token_id) VALUES ($1, $2, $3)
         ON CONFLICT (account, destination) DO NOTHING RETURNING token_id`,
        [token.account, d, token.id],
      );
      if (inserted.rowCount === 1) continue;
      const { rows } = await client.query<{ id: string; name: string; owner: string | null }>(
        `SELECT t.id, t.name, (SELECT value FROM token_labels l WHERE l.token_id = t.id AND l.key = $3) AS owner
         FROM destination_claims c JOIN tokens t ON t.id = c.token_id
         WHERE c.account = $1 AND c.destination = $2 FOR UPDATE OF c`,
        [token.account, d, OWNER_LABEL],
      );
      const holder = rows[0];
      if (holder === undefined || holder.id === token.id) continue;
      if (owner !== undefined && holder.owner === owner) {
        await client.query(
          "UPDATE destination_claims SET token_id = $3 WHERE account = $1 AND destination = $2",
          [token.account, d, token.id],
        );
      } else {
        throw new StoreConflictError(`${d} is held by ${describeHolder(holder)}`, "destination", holder, d);
      }
    }
  }

  async #writeChildren(client: PoolClient, token: TokenRecord): Promise<void> {
    await client.query("DELETE FROM token_labels WHERE token_id = $1", [token.id]);
    const labels = Object.entries(token.labels);
    if (labels.length > 0) {
      await client.query(
        "INSERT INTO token_labels (token_id, key, value) SELECT $1, l.key, l.value FROM unnest($2::text[], $3::text[]) AS l(key, value)",
        [token.id, labels.map(([key]) => key), labels.map(([, value]) => value)],
      );
    }
    await client.query("DELETE FROM secrets WHERE token_id = $1", [token.id]);
    if (token.secrets.length > 0) {
      await client.query(SECRETS.unnestInsertSql("token_id"), [
        token.id,
        ...SECRETS.columnArrays(token.secrets, "insert"),
      ]);
    }
  }

  async #writeAudit(client: Queryable, audit: AuditRecord | null): Promise<void> {
    if (audit) await client.query(AUDIT.insertSql("postgres"), AUDIT.insertValues(audit, "postgres"));
  }

  /**
   * Writes a token's row with `writeRow` (which reports a missing row or version), then its labels, secrets,
   * claims and audit entry, in one transaction; a duplicate name becomes `StoreConflictError`.
   */
  async #writeToken(
    token: TokenRecord,
    audit: AuditRecord | null,
    writeRow: (client: PoolClient) => Promise<WriteResult<void>>,
  ): Promise<WriteResult<StoredToken>> {
    try {
      return await this.#transaction(async (client): Promise<WriteResult<StoredToken>> => {
        const written = await writeRow(client);
        if (!written.ok) return written;
        await this.#writeChildren(client, token);
        await this.#writeClaims(client, token);
        await this.#writeAudit(client, audit);
        return { ok: true, value: (await this.#readToken(client, token.id))! };
      });
    } catch (error) {
      rethrowNameConflict(error, token);
    }
  }

  async insertToken(token: TokenRecord, audit: AuditRecord | null): Promise<StoredToken> {
    const result = await this.#writeToken(token, audit, async (client) => {
      await client.query(TOKEN_WRITES.insertSql.postgres, TOKEN_WRITES.insertValues(token, "postgres"));
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
    return this.#writeToken(token, audit, async (client) => {
      // Under READ COMMITTED a concurrent writer of the same row makes this wait, then re-check the
      // version against the committed row: exactly one of two racing saves wins.
      const values = TOKEN_WRITES.updateValues(token, expectedVersion, "postgres");
      const result = await client.query(TOKEN_WRITES.updateSql.postgres, values);
      if (result.rowCount !== 0) return { ok: true, value: undefined };
      const exists = await client.query("SELECT 1 FROM tokens WHERE id = $1 AND account = $2", [
        token.id,
        token.account,
      ]);
      return { ok: false, reason: exists.rowCount ? "version_mismatch" : "not_found" };
    });
  }

  async deleteToken(
    account: string,
    id: string,
    expectedVersion: number | null,
    audit: AuditRecord | null,
  ): Promise<WriteResult<StoredToken>> {
    return this.#transaction(async (client): Promise<WriteResult<StoredToken>> => {
      // Lock the row first so the version checked is the version deleted.
      const { rows } = await client.query<Row>(`${SELECT_TOKEN} WHERE t.id = $1 FOR UPDATE OF t`, [id]);
      const existing = rows[0] && tokenOf(rows[0]);
      if (!existing || existing.account !== account) return { ok: false, reason: "not_found" };
      if (expectedVersion !== null && existing.version !== expectedVersion) {
        return { ok: false, reason: "version_mismatch" };
      }
      await client.query("DELETE FROM tokens WHERE id = $1", [id]);
      await this.#writeAudit(client, audit);
      return { ok: true, value: existing };
    });
  }

  async getToken(account: string, id: string): Promise<StoredToken | undefined> {
    const { rows } = await this.#db.query<Row>(`${SELECT_TOKEN} WHERE t.id = $1 AND t.account = $2`, [
      id,
      account,
    ]);
    return rows[0] && tokenOf(rows[0]);
  }

  async findBySecret(digest: string): Promise<{ token: StoredToken; secret: SecretRecord } | undefined> {
    const { rows } = await this.#db.query<Row>(
      `${SELECT_TOKEN} WHERE t.id = (SELECT token_id FROM secrets WHERE digest = $1)`,
      [Buffer.from(digest, "base64")],
    );
    const token = rows[0] && tokenOf(rows[0]);
    const secret = token?.secrets.find((s) => s.digest === digest);
    return token && secret && { token, secret };
  }

  async listTokens(
    account: string,
    filter: TokenFilter,
    afterSeq: number | null,
    limit: number,
  ): Promise<StoredToken[]> {
    const { clause, params } = tokenListing("postgres", account, filter, afterSeq, limit);
    const { rows } = await this.#db.query<Row>(`${SELECT_TOKEN} ${clause}`, params);
    return rows.map(tokenOf);
  }

  async listDue(now: number, limit: number): Promise<StoredToken[]> {
    const { rows } = await this.#db.query<Row>(
      `${SELECT_TOKEN} WHERE t.seq IN (
         SELECT seq FROM tokens WHERE pending_expires_at <= $1
         UNION SELECT x.seq FROM tokens x JOIN secrets s ON s.token_id = x.id WHERE s.expires_at <= $1
         UNION SELECT x.seq FROM tokens x JOIN token_labels l ON l.token_id = x.id
           WHERE l.key = $3 AND x.expires_at <= $1
       ) ORDER BY t.seq LIMIT $2`,
      [now, limit, SESSION_LABEL],
    );
    return rows.map(tokenOf);
  }

  async appendAudit(audit: AuditRecord): Promise<void> {
    await this.#writeAudit(this.#db, audit);
  }

  async listAudit(
    account: string,
    query: { targetId?: string; actor?: string; action?: string; beforeSeq: number | null; limit: number },
  ): Promise<StoredAudit[]> {
    const params: unknown[] = [account];
    const where = ["account = $1"];
    for (const [column, value] of [
      ["target_id", query.targetId],
      ["actor", query.actor],
      ["action", query.action],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    if (query.beforeSeq !== null) {
      params.push(query.beforeSeq);
      where.push(`seq < $${params.length}`);
    }
    params.push(query.limit);
    const { rows } = await this.#db.query<Row>(
      `SELECT ${AUDIT.selectList()} FROM audit WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => AUDIT.read(row, "postgres"));
  }

  async applyUsage(deltas: readonly UsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    const batch = foldDeltas(deltas);
    await this.#transaction(async (client) => {
      // Lock the tokens in one global order (by id) so concurrent flushes of several instances queue up
      // instead of deadlocking; a token deleted meanwhile is simply not found, and its deltas are dropped.
      const { rows } = await client.query<Row>(
        `SELECT id, ${USAGE.selectList()} FROM tokens WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`,
        [batch.map((d) => d.tokenId)],
      );
      const stored = new Map(
        rows.map((row) => [row.id as string, USAGE.decode(row, "postgres") as UsageFields]),
      );
      const found = batch.filter((d) => stored.has(d.tokenId));
      if (found.length === 0) return;
      await client.query(USAGE.unnestUpdateSql("id"), [
        found.map((d) => d.tokenId),
        ...USAGE.columnArrays(
          found.map((d) => storedAfter(stored.get(d.tokenId)!, d)),
          "update",
        ),
      ]);
      await writeAddresses(client, found);
      const hours = found.flatMap((d) =>
        [...d.hours].map(([hour, counts]) => ({ id: d.tokenId, hour, ...counts })),
      );
      if (hours.length === 0) return;
      await client.query(
        `INSERT INTO usage_hourly (token_id, hour, requests, failures)
         SELECT d.token_id, d.hour, d.requests, d.failures
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS d(token_id, hour, requests, failures)
         ON CONFLICT (token_id, hour) DO UPDATE SET requests = usage_hourly.requests + excluded.requests,
           failures = usage_hourly.failures + excluded.failures`,
        [
          hours.map((h) => h.id),
          hours.map((h) => h.hour),
          hours.map((h) => h.requests),
          hours.map((h) => h.failures),
        ],
      );
    });
  }

  async usageBuckets(tokenId: string, since: number): Promise<UsageBucket[]> {
    const { rows } = await this.#db.query<UsageBucket>(
      "SELECT hour AS start, requests, failures FROM usage_hourly WHERE token_id = $1 AND hour >= $2 ORDER BY hour",
      [tokenId, since],
    );
    return rows;
  }

  async tokenAddresses(tokenId: string): Promise<TokenAddress[]> {
    const { rows } = await this.#db.query<{ ip: string; firstSeen: string; lastSeen: string; count: string }>(
      `SELECT ip, first_seen AS "firstSeen", last_seen AS "lastSeen", uses AS count FROM token_addresses
       WHERE token_id = $1 ORDER BY last_seen DESC, ip DESC`,
      [tokenId],
    );
    return rows.map((r) => ({
      ip: r.ip,
      firstSeen: Number(r.firstSeen),
      lastSeen: Number(r.lastSeen),
      count: Number(r.count),
    }));
  }

  async claimSignature(tokenId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    // One statement, atomic across instances: a new row, or an expired one taken over; a live row is left
    // alone (no row returned).
    const result = await this.#db.query(
      `INSERT INTO seen_signatures (token_id, signature, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (token_id, signature) DO UPDATE SET expires_at = excluded.expires_at
         WHERE seen_signatures.expires_at <= $4
       RETURNING 1`,
      [tokenId, signature, expiresAt, now],
    );
    return result.rowCount === 1;
  }

  async pruneSignatures(now: number): Promise<number> {
    const result = await this.#db.query("DELETE FROM seen_signatures WHERE expires_at <= $1", [now]);
    return result.rowCount ?? 0;
  }

  async insertPickup(pickup: PickupRecord, audit: AuditRecord | null): Promise<void> {
    try {
      await this.#transaction(async (client) => {
        await client.query(PICKUPS.insertSql("postgres"), PICKUPS.insertValues(pickup, "postgres"));
        await this.#writeAudit(client, audit);
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new StoreConflictError("pickup code already in use", "pickup");
      throw error;
    }
  }

  async findPickup(
    by: { account: string; userCode: string } | { deviceDigest: string },
  ): Promise<PickupRecord | undefined> {
    // The digest travels as hex, as the DIGEST codec reads it (src/service/store/columns.ts).
    const select = `SELECT ${PICKUPS.selectList().replace("device_digest", "encode(device_digest, 'hex') AS device_digest")} FROM pickups`;
    const { rows } =
      "deviceDigest" in by
        ? await this.#db.query(`${select} WHERE device_digest = $1`, [Buffer.from(by.deviceDigest, "base64")])
        : await this.#db.query(`${select} WHERE account = $1 AND user_code = $2`, [by.account, by.userCode]);
    return rows[0] && PICKUPS.read(rows[0] as Record<string, unknown>, "postgres");
  }

  async savePickup(
    pickup: PickupRecord,
    expectedVersion: number,
    audit: AuditRecord | null,
  ): Promise<boolean> {
    return this.#transaction(async (client) => {
      const columns = PICKUPS.written("update");
      const result = await client.query(PICKUPS.updateSql("postgres", ["id", "version"]), [
        ...PICKUPS.values(pickup, columns, "postgres"),
        pickup.id,
        expectedVersion,
      ]);
      if (result.rowCount !== 1) return false;
      await this.#writeAudit(client, audit);
      return true;
    });
  }

  async countWaitingPickups(
    account: string,
    holder: string,
    requesterIp: string | null,
    now: number,
  ): Promise<{ total: number; fromAddress: number }> {
    const { rows } = await this.#db.query(
      `SELECT COUNT(*)::int AS total,
              COUNT(*) FILTER (WHERE requester_ip IS NOT DISTINCT FROM $4::text)::int AS "fromAddress"
         FROM pickups WHERE account = $1 AND holder = $2 AND state = 'waiting' AND expires_at > $3`,
      [account, holder, now, requesterIp],
    );
    return rows[0] as { total: number; fromAddress: number };
  }

  async prunePickups(now: number): Promise<number> {
    const result = await this.#db.query("DELETE FROM pickups WHERE expires_at <= $1", [now]);
    return result.rowCount ?? 0;
  }
}

/**
 * Adds a batch's per-address uses (one delta per token, in token id order) and keeps each token's
 * `ADDRESSES_KEPT` most recently seen addresses.
 */
async function writeAddresses(client: PoolClient, batch: readonly UsageDelta[]): Promise<void> {
  const rows = batch.flatMap((d) =>
    [...(d.addresses ?? [])].map(([ip, use]) => ({ id: d.tokenId, ip, ...use })),
  );
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO token_addresses (token_id, ip, first_seen, last_seen, uses)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
     ON CONFLICT (token_id, ip) DO UPDATE SET
       first_seen = LEAST(token_addresses.first_seen, excluded.first_seen),
       last_seen = GREATEST(token_addresses.last_seen, excluded.last_seen),
       uses = token_addresses.uses + excluded.uses`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.ip),
      rows.map((r) => r.firstSeen),
      rows.map((r) => r.lastSeen),
      rows.map((r) => r.count),
    ],
  );
  await client.query(
    `DELETE FROM token_addresses a USING (
       SELECT token_id, ip, row_number() OVER (PARTITION BY token_id ORDER BY last_seen DESC, ip DESC) AS n
       FROM token_addresses WHERE token_id = ANY($1::text[])
     ) r
     WHERE a.token_id = r.token_id AND a.ip = r.ip AND r.n > $2`,
    [[...new Set(rows.map((r) => r.id))], ADDRESSES_KEPT],
  );
}

/** Whether a `--db` value names a PostgreSQL database (`postgres://` or `postgresql://`) rather than a file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(db);
}
