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
  AccountRateLimit,
  AuditRecord,
  PickupRecord,
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

/** What a column holds, which decides its codec and PostgreSQL type. */
type Kind = "text" | "int" | "bigint" | "flag" | "json" | "digest";

const KINDS: Record<Kind, { codec: Codec; pgType: string; pgJson?: (ref: string) => string }> = {
  text: { codec: PLAIN, pgType: "text" },
  int: { codec: PLAIN, pgType: "int" },
  bigint: { codec: PLAIN, pgType: "bigint" },
  flag: { codec: FLAG, pgType: "boolean" },
  json: { codec: JSON_VALUE, pgType: "json" },
  digest: { codec: DIGEST, pgType: "bytea", pgJson: (ref) => `encode(${ref}, 'hex')` },
};

/**
 * Every field of `R` but those in `Elsewhere` (kept in other tables), each with when it is written and
 * what it holds: a field without its column does not compile. The column is the field in snake_case.
 */
export type ColumnSpecs<R, Elsewhere extends keyof R = never> = {
  [K in Exclude<keyof R, Elsewhere> & string]: readonly [Written, Kind];
};

/** One column of a table whose rows read back as records `R` and are written from records `W`. */
interface Column<R, W> {
  /** Column name. */
  name: string;
  /** The record field it holds; absent for a column derived from the record and never read back. */
  field?: keyof R & string;
  /** For a derived column: its value from the record. */
  derive?: (record: W) => unknown;
  codec: Codec;
  written: Written;
  /** PostgreSQL type, for array parameters (`unnest($1::text[])`). */
  pgType: string;
  /** PostgreSQL expression rendering the column inside a JSON sub-select (default: the column itself). */
  pgJson?: (ref: string) => string;
}

/** `camelCase` → `camel_case`. */
function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A table's columns, with the statements and mappings both stores build from them. Rows read back as `R`
 * and are written from `W` (which lacks what the database assigns, such as `seq`).
 */
export class Table<R, W = R> {
  readonly #decoders: Record<Dialect, (row: Record<string, unknown>) => Partial<R>>;
  readonly #written: Record<"insert" | "update", Column<R, W>[]>;
  readonly #inserts = new Map<string, string>();

  readonly columns: readonly Column<R, W>[];

  /** `derived`: columns computed from the record on every write and never read back (e.g. a search key). */
  constructor(
    readonly name: string,
    specs: { [K in keyof R & string]?: readonly [Written, Kind] },
    derived: Record<string, readonly [Kind, (record: W) => unknown]> = {},
  ) {
    const fields = Object.entries(specs as Record<string, readonly [Written, Kind]>);
    const columns: Column<R, W>[] = fields.map(([field, [written, kind]]) => ({
      name: snakeCase(field),
      field: field as keyof R & string,
      written,
      ...KINDS[kind],
    }));
    for (const [name, [kind, derive]] of Object.entries(derived)) {
      columns.push({ name, derive, written: "always", ...KINDS[kind] });
    }
    this.columns = columns;
    this.#written = {
      insert: columns.filter((c) => c.written !== "never"),
      update: columns.filter((c) => c.written === "always"),
    };
    const read = columns.filter((c) => c.field !== undefined);
    this.#decoders = { sqlite: rowDecoder(read, "sqlite"), postgres: rowDecoder(read, "postgres") };
  }

  /** Columns written by an insert (`"insert"`) or by an update too (`"always"`). */
  written(on: "insert" | "update"): readonly Column<R, W>[] {
    return this.#written[on];
  }

  /** The record's values for `columns`, as statement parameters of `dialect`. */
  values(record: W, columns: readonly Column<R, W>[], dialect: Dialect): unknown[] {
    // A written column's field is a field of `W` too: `R` differs from `W` only in what is never written.
    return columns.map((c) =>
      c.codec.encode[dialect](c.derive ? c.derive(record) : record[c.field as unknown as keyof W]),
    );
  }

  /** A row of all the table's columns, as a record. */
  read(row: Record<string, unknown>, dialect: Dialect): R {
    // Every field has its column (checked at compile time below), so the decoded row is the whole record.
    return this.decode(row, dialect) as R;
  }

  /** The parameters of `insertSql` (after any leading columns). */
  insertValues(record: W, dialect: Dialect): unknown[] {
    return this.values(record, this.written("insert"), dialect);
  }

  /** The record fields a row holds (the fields kept in other tables are the caller's to add). */
  decode(row: Record<string, unknown>, dialect: Dialect): Partial<R> {
    return this.#decoders[dialect](row);
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
  columnArrays(records: readonly W[], on: "insert" | "update"): unknown[][] {
    const columns = this.written(on);
    const rows = records.map((r) => this.values(r, columns, "postgres"));
    return columns.map((_, i) => rows.map((row) => row[i]));
  }

  /**
   * `INSERT INTO table (…) VALUES (…)` of `leading` columns (bound first, by the caller) and the columns
   * written on insert.
   */
  insertSql(dialect: Dialect, leading: readonly string[] = []): string {
    // Built once per shape: stores key their prepared statements by this text.
    const key = `${dialect} ${leading.join(",")}`;
    let sql = this.#inserts.get(key);
    if (sql === undefined) {
      const names = [...leading, ...this.written("insert").map((c) => c.name)];
      const values = names.map((_, i) => placeholder(dialect, i + 1));
      sql = `INSERT INTO ${this.name} (${names.join(", ")}) VALUES (${values.join(", ")})`;
      this.#inserts.set(key, sql);
    }
    return sql;
  }

  /** `UPDATE table SET …` of the columns written on update, then `WHERE` with `keys` bound after them. */
  updateSql(dialect: Dialect, keys: readonly string[]): string {
    const columns = this.written("update");
    const set = columns.map((c, i) => `${c.name} = ${placeholder(dialect, i + 1)}`);
    const where = keys.map((k, i) => `${k} = ${placeholder(dialect, columns.length + i + 1)}`);
    return `UPDATE ${this.name} SET ${set.join(", ")} WHERE ${where.join(" AND ")}`;
  }
}

/**
 * A function mapping a row of `columns` to their record fields in `dialect`, compiled from the table into
 * one object literal — `{ "readOnly": d5(row["read_only"]), … }` — with the plain columns copied without a
 * call. The verify path reads a token per cache miss: filling an empty object field by field in a loop
 * took 8 µs a row against 1.5 µs for a literal (measured). Only the table's own names reach the source
 * (JSON-quoted), never a value.
 */
function rowDecoder<R, W>(
  columns: readonly Column<R, W>[],
  dialect: Dialect,
): (row: Record<string, unknown>) => Partial<R> {
  const decoders = columns.map((c) => c.codec.decode[dialect]);
  const fields = columns.map((c, i) => {
    const value = `row[${JSON.stringify(c.name)}]`;
    return `${JSON.stringify(c.field)}: ${decoders[i] === same ? value : `d[${i}](${value})`}`;
  });
  // `new Function` yields an untyped (any) function: its type is this function's return type.
  return new Function("d", `return (row) => ({ ${fields.join(", ")} });`)(decoders);
}

/** The `n`th (1-based) positional parameter. */
export function placeholder(dialect: Dialect, n: number): string {
  return dialect === "sqlite" ? "?" : `$${n}`;
}

/** The usage columns of `tokens`: only the usage flush writes them (see `usage-merge.ts`). */
const USAGE_SPECS = {
  lastUsedAt: ["always", "bigint"],
  lastUsedIp: ["always", "text"],
  requestCount: ["always", "bigint"],
  failedAttempts: ["always", "bigint"],
} as const satisfies ColumnSpecs<UsageFields>;

/** `specs` as columns this table only reads (another table writes them). */
function writtenElsewhere<S extends Record<string, readonly [Written, Kind]>>(
  specs: S,
): { [K in keyof S]: readonly [Written, Kind] } {
  const entries = Object.entries(specs).map(([field, [, kind]]) => [field, ["never", kind] as const]);
  return Object.fromEntries(entries) as { [K in keyof S]: readonly [Written, Kind] };
}

/** The usage columns of `tokens`, as their own table for the usage flush. */
export const USAGE = new Table<UsageFields>("tokens", USAGE_SPECS);

/**
 * The `tokens` table. A token's secrets and destination claims live in their own tables; its labels are
 * also indexed in `token_labels`. `name_key` is the name's comparison key (unique per account).
 */
export const TOKENS = new Table<StoredToken, TokenRecord>(
  "tokens",
  {
    seq: ["never", "bigint"],
    id: ["insert", "text"],
    account: ["insert", "text"],
    name: ["always", "text"],
    description: ["always", "text"],
    type: ["always", "text"],
    scopes: ["always", "json"],
    readOnly: ["always", "flag"],
    labels: ["always", "json"],
    ipAllowlist: ["always", "json"],
    tools: ["always", "json"],
    ratePerMinute: ["always", "int"],
    ratePerHour: ["always", "int"],
    enabled: ["always", "flag"],
    pending: ["always", "flag"],
    pendingExpiresAt: ["always", "bigint"],
    expiresAt: ["always", "bigint"],
    deliveries: ["always", "json"],
    createdAt: ["insert", "bigint"],
    createdBy: ["insert", "text"],
    updatedAt: ["always", "bigint"],
    rotatedAt: ["always", "bigint"],
    lastGeneration: ["always", "int"],
    version: ["always", "int"],
    holder: ["always", "text"],
    pickup: ["always", "json"],
    ...writtenElsewhere(USAGE_SPECS),
  } satisfies ColumnSpecs<StoredToken, "secrets" | "destinations">,
  { name_key: ["text", (t) => nameKey(t.name)] },
);

/** The `secrets` table (keyed by digest; `token_id`, the owner, is bound by the caller). */
export const SECRETS = new Table<SecretRecord>("secrets", {
  digest: ["insert", "digest"],
  displayPrefix: ["insert", "text"],
  fingerprint: ["insert", "text"],
  generation: ["insert", "int"],
  state: ["insert", "text"],
  expiresAt: ["insert", "bigint"],
  overlapSeconds: ["insert", "int"],
  createdAt: ["insert", "bigint"],
} satisfies ColumnSpecs<SecretRecord>);

/** The `audit` table. */
export const AUDIT = new Table<StoredAudit, AuditRecord>("audit", {
  seq: ["never", "bigint"],
  id: ["insert", "text"],
  account: ["insert", "text"],
  at: ["insert", "bigint"],
  actor: ["insert", "text"],
  actorTokenId: ["insert", "text"],
  action: ["insert", "text"],
  targetId: ["insert", "text"],
  targetName: ["insert", "text"],
  changes: ["insert", "json"],
  sourceIp: ["insert", "text"],
} satisfies ColumnSpecs<StoredAudit>);

/** The `pickups` table: device-flow sessions of holders picking up their keys (src/service/pickups.ts). */
export const PICKUPS = new Table<PickupRecord>("pickups", {
  id: ["insert", "text"],
  account: ["insert", "text"],
  userCode: ["insert", "text"],
  deviceDigest: ["insert", "digest"],
  holder: ["insert", "text"],
  tokenIds: ["insert", "json"],
  state: ["always", "text"],
  createdAt: ["insert", "bigint"],
  expiresAt: ["insert", "bigint"],
  requesterIp: ["insert", "text"],
  approvedBy: ["always", "text"],
  approvedAt: ["always", "bigint"],
  claimedAt: ["always", "bigint"],
  deliveredAt: ["always", "bigint"],
  version: ["always", "int"],
} satisfies ColumnSpecs<PickupRecord>);

/** A `tokens` row (as the driver returns it) with the token's secrets and claims, as a token. */
export function tokenFromRow(
  row: Record<string, unknown>,
  dialect: Dialect,
  secrets: SecretRecord[],
  destinations: string[],
): StoredToken {
  const token = TOKENS.decode(row, dialect);
  token.secrets = secrets;
  token.destinations = destinations;
  return token as StoredToken;
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
    return TOKENS.insertValues(token, dialect);
  },
  updateValues(token: TokenRecord, expectedVersion: number, dialect: Dialect): unknown[] {
    const values = TOKENS.values(token, TOKENS.written("update"), dialect);
    return [...values, token.id, token.account, expectedVersion];
  },
};

/** An account's `rate_per_hour` column as a record's value: NULL = the server default, 0 = unlimited. */
export function accountRateFromColumn(value: number | null): AccountRateLimit | null {
  if (value === null) return null;
  return value === 0 ? "unlimited" : value;
}

/** An account's hourly limit as its `rate_per_hour` column (see `accountRateFromColumn`). */
export function accountRateToColumn(value: AccountRateLimit | null): number | null {
  if (value === null) return null;
  return value === "unlimited" ? 0 : value;
}
