/**
 * The stores' column tables: for each table both stores map (`tokens`, `secrets`, `audit`), every column
 * once — its name, the record field it holds and how the value travels between the two in each dialect
 * (SQLite: flags as 0/1, JSON as text, digests as BLOB; PostgreSQL: BOOLEAN, `json` the driver parses,
 * BYTEA). Both stores build their SELECT lists, INSERT and UPDATE statements and row mapping from these
 * tables, so a column is added in one place (plus a migration per dialect).
 *
 * A hand table rather than a query builder (e.g. kysely): the stores' statements are few and fixed, the
 * PostgreSQL reads are single statements with JSON sub-selects a builder would only wrap in raw SQL, and
 * the verify path's token read stays a prepared statement mapped by a plain loop, with no new dependency.
 */
import { nameKey } from "../../spec/identifiers.js";
import type {
  AuditRecord,
  SecretRecord,
  StoredAudit,
  StoredToken,
  TokenRecord,
  UsageFields,
} from "./types.js";

/** The two SQL dialects the stores speak. */
export type Dialect = "sqlite" | "postgres";

/** How one column's value travels between a record field and SQL, per dialect. */
interface Codec {
  /** Record value → statement parameter. */
  encode: Record<Dialect, (value: unknown) => unknown>;
  /** Value as the driver returns it → record value. */
  decode: Record<Dialect, (value: unknown) => unknown>;
}

const same = (value: unknown): unknown => value;

/** Text, numbers (PostgreSQL BIGINTs are parsed to numbers by the store's type parser) and nulls. */
const PLAIN: Codec = { encode: { sqlite: same, postgres: same }, decode: { sqlite: same, postgres: same } };

/** A boolean: 0/1 in SQLite (no BOOLEAN type), BOOLEAN in PostgreSQL. */
const FLAG: Codec = {
  encode: { sqlite: (v) => (v ? 1 : 0), postgres: same },
  decode: { sqlite: (v) => v === 1, postgres: same },
};

/** A JSON value (or null): written as text in both; SQLite returns the text, `pg` parses `json` columns. */
const JSON_VALUE: Codec = {
  encode: { sqlite: toJson, postgres: toJson },
  decode: { sqlite: (v) => (v === null ? null : JSON.parse(v as string)), postgres: same },
};

function toJson(value: unknown): unknown {
  return value === null ? null : JSON.stringify(value);
}

/**
 * A secret digest: base64 in records, raw bytes at rest (BLOB / BYTEA, written as a Buffer in both). SQLite
 * returns a Buffer; PostgreSQL reads secrets through a JSON sub-select, which carries it as hex.
 */
const DIGEST: Codec = {
  encode: { sqlite: toBytes, postgres: toBytes },
  decode: {
    sqlite: (v) => (v as Buffer).toString("base64"),
    postgres: (v) => Buffer.from(v as string, "hex").toString("base64"),
  },
};

function toBytes(value: unknown): Buffer {
  return Buffer.from(value as string, "base64");
}

/** When a column is written: on insert and update, on insert only (identity), or never (the database's). */
type Written = "always" | "insert" | "never";

/** One column of a table whose rows map to records `R`. */
export interface Column<R> {
  /** Column name. */
  name: string;
  /** The record field it holds; absent for a column derived from the record and never read back. */
  field?: keyof R & string;
  /** For a derived column: its value from the record. */
  derive?: (record: R) => unknown;
  codec: Codec;
  written: Written;
  /** PostgreSQL type, for array parameters (`unnest($1::text[])`). */
  pgType: "text" | "int" | "bigint" | "bytea";
  /** PostgreSQL expression rendering the column inside a JSON sub-select (default: the column itself). */
  pgJson?: (ref: string) => string;
}

/** A table's columns, with the statements and mappings both stores build from them. */
export class Table<R> {
  readonly #decoders: Record<Dialect, Array<[string, keyof R & string, (value: unknown) => unknown]>>;
  readonly #written: Record<"insert" | "update", Column<R>[]>;

  constructor(
    readonly name: string,
    readonly columns: readonly Column<R>[],
  ) {
    this.#written = {
      insert: columns.filter((c) => c.written !== "never"),
      update: columns.filter((c) => c.written === "always"),
    };
    const read = columns.filter((c) => c.field !== undefined);
    const decoders = (dialect: Dialect) =>
      read.map((c): [string, keyof R & string, (value: unknown) => unknown] => [
        c.name,
        c.field!,
        c.codec.decode[dialect],
      ]);
    this.#decoders = { sqlite: decoders("sqlite"), postgres: decoders("postgres") };
  }

  /** Columns written by an insert (`"insert"`) or by an update too (`"always"`). */
  written(on: "insert" | "update"): readonly Column<R>[] {
    return this.#written[on];
  }

  /** The record's values for `columns`, as statement parameters of `dialect`. */
  values(record: R, columns: readonly Column<R>[], dialect: Dialect): unknown[] {
    return columns.map((c) =>
      c.codec.encode[dialect](c.derive ? c.derive(record) : record[c.field as keyof R]),
    );
  }

  /** The record fields a row holds (the fields kept in other tables are the caller's to add). */
  decode(row: Record<string, unknown>, dialect: Dialect): Partial<R> {
    const out: Partial<R> = {};
    for (const [column, field, decode] of this.#decoders[dialect]) {
      out[field] = decode(row[column]) as R[keyof R & string];
    }
    return out;
  }

  /** The columns read back, as a SELECT list (each prefixed with `alias.` when given). */
  selectList(alias?: string): string {
    const prefix = alias === undefined ? "" : `${alias}.`;
    return this.columns
      .filter((c) => c.field !== undefined)
      .map((c) => prefix + c.name)
      .join(", ");
  }

  /** PostgreSQL: `json_build_object('column', alias.column, …)` of the columns read back. */
  jsonObject(alias: string): string {
    const pairs = this.columns
      .filter((c) => c.field !== undefined)
      .map((c) => `'${c.name}', ${c.pgJson ? c.pgJson(`${alias}.${c.name}`) : `${alias}.${c.name}`}`);
    return `json_build_object(${pairs.join(", ")})`;
  }

  /**
   * PostgreSQL: inserts many rows in one statement, `$1` being the value of the `owner` column shared by
   * all and `$2`… one array per column written on insert (see `columnArrays`).
   */
  unnestInsertSql(owner: string): string {
    const columns = this.written("insert");
    const names = columns.map((c) => c.name).join(", ");
    const arrays = columns.map((c, i) => `$${i + 2}::${c.pgType}[]`).join(", ");
    return `INSERT INTO ${this.name} (${owner}, ${names}) SELECT $1, ${names} FROM unnest(${arrays}) AS u(${names})`;
  }

  /**
   * PostgreSQL: updates many rows in one statement, `$1` being an array of `key` values (text) and `$2`…
   * one array per column written on update (see `columnArrays`).
   */
  unnestUpdateSql(key: string): string {
    const columns = this.written("update");
    const names = columns.map((c) => c.name);
    const arrays = columns.map((c, i) => `$${i + 2}::${c.pgType}[]`).join(", ");
    return `UPDATE ${this.name} t SET ${names.map((n) => `${n} = u.${n}`).join(", ")}
      FROM unnest($1::text[], ${arrays}) AS u(${key}, ${names.join(", ")}) WHERE t.${key} = u.${key}`;
  }

  /** The parameters after `$1` of `unnestInsertSql` (`on` insert) or `unnestUpdateSql` (`on` update). */
  columnArrays(records: readonly R[], on: "insert" | "update"): unknown[][] {
    const columns = this.written(on);
    const rows = records.map((r) => this.values(r, columns, "postgres"));
    return columns.map((_, i) => rows.map((row) => row[i]));
  }

  /**
   * `INSERT INTO table (…) VALUES (…)` of `leading` columns (bound first, by the caller) and the columns
   * written on insert.
   */
  insertSql(dialect: Dialect, leading: readonly string[] = []): string {
    const names = [...leading, ...this.written("insert").map((c) => c.name)];
    const values = names.map((_, i) => placeholder(dialect, i + 1));
    return `INSERT INTO ${this.name} (${names.join(", ")}) VALUES (${values.join(", ")})`;
  }

  /** `UPDATE table SET …` of the columns written on update, then `WHERE` with `keys` bound after them. */
  updateSql(dialect: Dialect, keys: readonly string[]): string {
    const columns = this.written("update");
    const set = columns.map((c, i) => `${c.name} = ${placeholder(dialect, i + 1)}`);
    const where = keys.map((k, i) => `${k} = ${placeholder(dialect, columns.length + i + 1)}`);
    return `UPDATE ${this.name} SET ${set.join(", ")} WHERE ${where.join(" AND ")}`;
  }
}

/** The `n`th (1-based) positional parameter. */
export function placeholder(dialect: Dialect, n: number): string {
  return dialect === "sqlite" ? "?" : `$${n}`;
}

/** A column holding a record field as is. */
function col<R>(
  name: string,
  field: keyof R & string,
  written: Written,
  pgType: Column<R>["pgType"] = "text",
  codec: Codec = PLAIN,
): Column<R> {
  return { name, field, written, pgType, codec };
}

/** The usage columns of `tokens`: only the usage flush writes them (see `usage-merge.ts`). */
export const USAGE = new Table<UsageFields>("tokens", [
  col("last_used_at", "lastUsedAt", "always", "bigint"),
  col("last_used_ip", "lastUsedIp", "always"),
  col("request_count", "requestCount", "always", "bigint"),
  col("failed_attempts", "failedAttempts", "always", "bigint"),
]);

/**
 * The `tokens` table. A token's secrets and destination claims live in their own tables; its labels are
 * also indexed in `token_labels`. Usage counters are written only by the usage flush.
 */
export const TOKENS = new Table<StoredToken>("tokens", [
  col("seq", "seq", "never", "bigint"),
  col("id", "id", "insert"),
  col("account", "account", "insert"),
  col("name", "name", "always"),
  { name: "name_key", derive: (t) => nameKey(t.name), written: "always", pgType: "text", codec: PLAIN },
  col("description", "description", "always"),
  col("type", "type", "always"),
  col("scopes", "scopes", "always", "text", JSON_VALUE),
  col("read_only", "readOnly", "always", "text", FLAG),
  col("labels", "labels", "always", "text", JSON_VALUE),
  col("ip_allowlist", "ipAllowlist", "always", "text", JSON_VALUE),
  col("tools", "tools", "always", "text", JSON_VALUE),
  col("rate_per_minute", "ratePerMinute", "always", "int"),
  col("rate_per_hour", "ratePerHour", "always", "int"),
  col("enabled", "enabled", "always", "text", FLAG),
  col("pending", "pending", "always", "text", FLAG),
  col("pending_expires_at", "pendingExpiresAt", "always", "bigint"),
  col("expires_at", "expiresAt", "always", "bigint"),
  col("deliveries", "deliveries", "always", "text", JSON_VALUE),
  col("created_at", "createdAt", "insert", "bigint"),
  col("created_by", "createdBy", "insert"),
  col("updated_at", "updatedAt", "always", "bigint"),
  col("rotated_at", "rotatedAt", "always", "bigint"),
  col("last_generation", "lastGeneration", "always", "int"),
  col("version", "version", "always", "int"),
  ...USAGE.columns.map((c): Column<StoredToken> => ({ ...c, written: "never" })),
]);

/** The `secrets` table (keyed by digest; `token_id` is the owner's, bound by the caller). */
export const SECRETS = new Table<SecretRecord>("secrets", [
  { ...col("digest", "digest", "insert", "bytea", DIGEST), pgJson: (ref) => `encode(${ref}, 'hex')` },
  col("display_prefix", "displayPrefix", "insert"),
  col("fingerprint", "fingerprint", "insert"),
  col("generation", "generation", "insert", "int"),
  col("state", "state", "insert"),
  col("expires_at", "expiresAt", "insert", "bigint"),
  col("overlap_seconds", "overlapSeconds", "insert", "int"),
  col("created_at", "createdAt", "insert", "bigint"),
]);

/** The `audit` table. */
export const AUDIT = new Table<StoredAudit>("audit", [
  col("seq", "seq", "never", "bigint"),
  col("id", "id", "insert"),
  col("account", "account", "insert"),
  col("at", "at", "insert", "bigint"),
  col("actor", "actor", "insert"),
  col("actor_token_id", "actorTokenId", "insert"),
  col("action", "action", "insert"),
  col("target_id", "targetId", "insert"),
  col("target_name", "targetName", "insert"),
  col("changes", "changes", "insert", "text", JSON_VALUE),
  col("source_ip", "sourceIp", "insert"),
]);

/** Fields of a stored token kept outside the `tokens` row (read by the store from their own tables). */
type TokenChildren = "secrets" | "destinations";

/** Compile-time check: every field is a column of its table (a new field without a column fails here). */
type Unmapped<R, T extends Table<R>, Elsewhere extends keyof R = never> = Exclude<
  keyof R,
  NonNullable<T["columns"][number]["field"]> | Elsewhere
>;
const _allTokenFields: [Unmapped<StoredToken, typeof TOKENS, TokenChildren>] extends [never] ? true : never =
  true;
const _allSecretFields: [Unmapped<SecretRecord, typeof SECRETS>] extends [never] ? true : never = true;
const _allAuditFields: [Unmapped<StoredAudit, typeof AUDIT>] extends [never] ? true : never = true;
void [_allTokenFields, _allSecretFields, _allAuditFields];

/** A `tokens` row (as the driver returns it) with the token's secrets and claims, as a token. */
export function tokenFromRow(
  row: Record<string, unknown>,
  dialect: Dialect,
  secrets: SecretRecord[],
  destinations: string[],
): StoredToken {
  return { ...TOKENS.decode(row, dialect), secrets, destinations } as StoredToken;
}

/** A `secrets` row (SQLite) or JSON element (PostgreSQL), as a secret. */
export function secretFromRow(row: Record<string, unknown>, dialect: Dialect): SecretRecord {
  return SECRETS.decode(row, dialect) as SecretRecord;
}

/** An `audit` row, as an entry. */
export function auditFromRow(row: Record<string, unknown>, dialect: Dialect): StoredAudit {
  return AUDIT.decode(row, dialect) as StoredAudit;
}

/** Insert and update statements of a token's row, with their parameters. */
export const TOKEN_WRITES = {
  insertSql: { sqlite: TOKENS.insertSql("sqlite"), postgres: TOKENS.insertSql("postgres") },
  /** Conditional on `id`, `account` and the expected version. */
  updateSql: {
    sqlite: TOKENS.updateSql("sqlite", ["id", "account", "version"]),
    postgres: TOKENS.updateSql("postgres", ["id", "account", "version"]),
  },
  insertValues(token: TokenRecord, dialect: Dialect): unknown[] {
    return TOKENS.values(token as StoredToken, TOKENS.written("insert"), dialect);
  },
  updateValues(token: TokenRecord, expectedVersion: number, dialect: Dialect): unknown[] {
    const values = TOKENS.values(token as StoredToken, TOKENS.written("update"), dialect);
    return [...values, token.id, token.account, expectedVersion];
  },
};

/** Parameters of an audit entry's insert. */
export function auditValues(audit: AuditRecord, dialect: Dialect): unknown[] {
  return AUDIT.values(audit as StoredAudit, AUDIT.written("insert"), dialect);
}
