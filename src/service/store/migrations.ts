/**
 * Versioned schema migrations of both stores, each declared once with its SQL per dialect. Each runs once,
 * in its own transaction, in order; the applied versions are recorded in `schema_migrations`. PostgreSQL
 * DDL is transactional, and the migrating instance holds an advisory lock so that several instances
 * starting together never race. Never edit a released migration: add a new one (a test pins their text).
 *
 * The PostgreSQL schema mirrors the SQLite one column for column, with native types: times are BIGINT
 * epoch milliseconds (what the records hold), flags are BOOLEAN, digests BYTEA, and structured fields
 * `json` — not `jsonb`, because `json` keeps the text as written (key order included), so a record reads
 * back exactly as SQLite returns it; nothing queries inside those values (labels are filtered through
 * `token_labels`). Insertion order (`seq`) is an identity column. How values travel between records and
 * these columns is `columns.ts`.
 */

/** One migration of one store: a version number (strictly increasing) and the SQL that takes it there. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** A migration of both stores: its SQL in each dialect. */
interface SchemaChange {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Statements and column lists both dialects write word for word. */
const LABELS_TABLE = `CREATE TABLE token_labels (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (token_id, key)
`;
const LABELS_INDEX = `CREATE INDEX token_labels_key_value ON token_labels(key, value);
`;
const SECRET_COLUMNS = `  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  display_prefix TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  generation INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'next')),
`;
const SECRET_INDEXES = `CREATE INDEX secrets_token ON secrets(token_id);
CREATE INDEX secrets_due ON secrets(expires_at) WHERE expires_at IS NOT NULL;
`;
const AUDIT_ACTOR_COLUMNS = `  actor TEXT NOT NULL,
  actor_token_id TEXT,
  action TEXT NOT NULL,
  target_id TEXT,
  target_name TEXT,
`;
const AUDIT_INDEXES = `CREATE INDEX audit_account ON audit(account, seq);
CREATE INDEX audit_target ON audit(account, target_id, seq);
`;
const CLAIMS_TABLE = `CREATE TABLE destination_claims (
  account TEXT NOT NULL,
  destination TEXT NOT NULL,
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  PRIMARY KEY (account, destination)
`;
const CLAIMS_INDEX = `CREATE INDEX destination_claims_token ON destination_claims(token_id);
`;

const SCHEMA_CHANGES: readonly SchemaChange[] = [
  {
    version: 1,
    name: "initial",
    sqlite: `
CREATE TABLE accounts (
  name TEXT PRIMARY KEY,
  prefixes TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL REFERENCES accounts(name),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  type TEXT NOT NULL,
  scopes TEXT NOT NULL,
  read_only INTEGER NOT NULL,
  labels TEXT NOT NULL,
  ip_allowlist TEXT NOT NULL,
  rate_per_minute INTEGER,
  rate_per_hour INTEGER,
  enabled INTEGER NOT NULL,
  pending INTEGER NOT NULL,
  pending_expires_at INTEGER,
  expires_at INTEGER,
  deliveries TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  rotated_at INTEGER NOT NULL,
  last_generation INTEGER NOT NULL,
  version INTEGER NOT NULL,
  last_used_at INTEGER,
  last_used_ip TEXT,
  request_count INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  UNIQUE (account, name)
) STRICT;
CREATE INDEX tokens_pending_due ON tokens(pending_expires_at) WHERE pending_expires_at IS NOT NULL;

${LABELS_TABLE}) STRICT, WITHOUT ROWID;
${LABELS_INDEX}
CREATE TABLE secrets (
  digest BLOB PRIMARY KEY,
${SECRET_COLUMNS}  expires_at INTEGER,
  overlap_seconds INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
${SECRET_INDEXES}
CREATE TABLE usage_hourly (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  hour INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  PRIMARY KEY (token_id, hour)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  at INTEGER NOT NULL,
${AUDIT_ACTOR_COLUMNS}  changes TEXT NOT NULL,
  source_ip TEXT
) STRICT;
${AUDIT_INDEXES}`,
    postgres: `
CREATE TABLE accounts (
  name TEXT NOT NULL,
  prefixes JSON NOT NULL,
  created_at BIGINT NOT NULL,
  CONSTRAINT accounts_pkey PRIMARY KEY (name)
);

CREATE TABLE tokens (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL,
  account TEXT NOT NULL REFERENCES accounts(name),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  type TEXT NOT NULL,
  scopes JSON NOT NULL,
  read_only BOOLEAN NOT NULL,
  labels JSON NOT NULL,
  ip_allowlist JSON NOT NULL,
  rate_per_minute INTEGER,
  rate_per_hour INTEGER,
  enabled BOOLEAN NOT NULL,
  pending BOOLEAN NOT NULL,
  pending_expires_at BIGINT,
  expires_at BIGINT,
  deliveries JSON NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  rotated_at BIGINT NOT NULL,
  last_generation INTEGER NOT NULL,
  version INTEGER NOT NULL,
  last_used_at BIGINT,
  last_used_ip TEXT,
  request_count BIGINT NOT NULL DEFAULT 0,
  failed_attempts BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT tokens_id_key UNIQUE (id),
  CONSTRAINT tokens_account_name_key UNIQUE (account, name)
);
CREATE INDEX tokens_account_seq ON tokens(account, seq);
CREATE INDEX tokens_pending_due ON tokens(pending_expires_at) WHERE pending_expires_at IS NOT NULL;

${LABELS_TABLE});
${LABELS_INDEX}
CREATE TABLE secrets (
  digest BYTEA NOT NULL,
${SECRET_COLUMNS}  expires_at BIGINT,
  overlap_seconds INTEGER,
  created_at BIGINT NOT NULL,
  CONSTRAINT secrets_pkey PRIMARY KEY (digest)
);
${SECRET_INDEXES}
CREATE TABLE usage_hourly (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  hour BIGINT NOT NULL,
  requests BIGINT NOT NULL,
  failures BIGINT NOT NULL,
  PRIMARY KEY (token_id, hour)
);

CREATE TABLE audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  at BIGINT NOT NULL,
${AUDIT_ACTOR_COLUMNS}  changes JSON NOT NULL,
  source_ip TEXT
);
${AUDIT_INDEXES}`,
  },
  {
    version: 2,
    name: "token tool allowlist",
    // JSON array of tool-name patterns; NULL = no restriction.
    sqlite: "ALTER TABLE tokens ADD COLUMN tools TEXT;",
    postgres: "ALTER TABLE tokens ADD COLUMN tools JSON;",
  },
  {
    version: 3,
    name: "destination claims",
    // One holder per destination in an account. Existing deliveries (files aside: their claims name the
    // host, which old records lack) become claims, the oldest token first when two delivered to one place.
    sqlite: `
${CLAIMS_TABLE}) STRICT, WITHOUT ROWID;
${CLAIMS_INDEX}INSERT OR IGNORE INTO destination_claims (account, destination, token_id)
  SELECT t.account, json_extract(d.value, '$.destination'), t.id
  FROM tokens t, json_each(t.deliveries) d
  WHERE json_extract(d.value, '$.destination') NOT LIKE 'file:%'
  ORDER BY t.seq;
`,
    postgres: `
${CLAIMS_TABLE});
${CLAIMS_INDEX}INSERT INTO destination_claims (account, destination, token_id)
  SELECT DISTINCT ON (t.account, d->>'destination') t.account, d->>'destination', t.id
  FROM tokens t, json_array_elements(t.deliveries) d
  WHERE d->>'destination' NOT LIKE 'file:%'
  ORDER BY t.account, d->>'destination', t.seq
ON CONFLICT DO NOTHING;
`,
  },
  {
    version: 4,
    name: "seen signatures",
    // The replay window of signed requests (src/service/signing.ts), shared by every instance on the
    // database and kept across restarts; the sweeper deletes rows once expires_at has passed.
    sqlite: `
CREATE TABLE seen_signatures (
  token_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (token_id, signature)
) STRICT, WITHOUT ROWID;
CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);
`,
    postgres: `
CREATE TABLE seen_signatures (
  token_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (token_id, signature)
);
CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);
`,
  },
  {
    version: 5,
    name: "token names unique ignoring case",
    // Names are printable Unicode ("Cursor MCP") and unique per account ignoring case: the store keeps each
    // name's comparison key (`nameKey` in src/spec/identifiers.ts, computed by the service: SQLite's lower()
    // folds ASCII and PostgreSQL's depends on the database's collation) under a unique index. Names before
    // this were lowercase ASCII, their own key.
    sqlite: `
ALTER TABLE tokens ADD COLUMN name_key TEXT;
UPDATE tokens SET name_key = lower(name);
CREATE UNIQUE INDEX tokens_account_name_key ON tokens(account, name_key);
`,
    postgres: `
ALTER TABLE tokens ADD COLUMN name_key TEXT;
UPDATE tokens SET name_key = lower(name);
CREATE UNIQUE INDEX tokens_account_name_ci_key ON tokens(account, name_key);
`,
  },
  {
    version: 6,
    name: "account rate limit",
    // Requests per hour the account's keys may make together: NULL = the server's default
    // (`tokenform serve --account-rate-limit`), 0 = unlimited, otherwise the number (src/service/accounts.ts).
    sqlite: "ALTER TABLE accounts ADD COLUMN rate_per_hour INTEGER;",
    postgres: "ALTER TABLE accounts ADD COLUMN rate_per_hour INTEGER;",
  },
  {
    version: 7,
    name: "token addresses",
    // The client addresses each token was used from (first seen, last seen, count), written by the usage
    // flush; the flush keeps each token's ADDRESSES_KEPT most recently seen (src/service/store/usage-merge.ts).
    sqlite: `
CREATE TABLE token_addresses (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  uses INTEGER NOT NULL,
  PRIMARY KEY (token_id, ip)
) STRICT, WITHOUT ROWID;
`,
    postgres: `
CREATE TABLE token_addresses (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  uses BIGINT NOT NULL,
  PRIMARY KEY (token_id, ip)
);
`,
  },
  {
    version: 8,
    name: "audit actor and action indexes",
    // `GET /v1/audit?actor=…&action=…` pages newest first within one actor or action, like audit_target.
    sqlite: `
CREATE INDEX audit_actor ON audit(account, actor, seq);
CREATE INDEX audit_action ON audit(account, action, seq);
`,
    postgres: `
CREATE INDEX audit_actor ON audit(account, actor, seq);
CREATE INDEX audit_action ON audit(account, action, seq);
`,
  },
  {
    version: 9,
    name: "holders and pickups",
    // A token's holder and pickup target (src/service/store/types.ts TokenPickup, JSON), and the device-flow
    // sessions of `tokenform pickup` (src/service/pickups.ts); user codes are unique per account, device
    // codes are kept as digests only.
    sqlite: `
ALTER TABLE tokens ADD COLUMN holder TEXT;
ALTER TABLE tokens ADD COLUMN pickup TEXT;
CREATE TABLE pickups (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  user_code TEXT NOT NULL,
  device_digest BLOB NOT NULL UNIQUE,
  holder TEXT NOT NULL,
  token_ids TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'approved', 'claimed', 'delivered')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  requester_ip TEXT,
  approved_by TEXT,
  approved_at INTEGER,
  claimed_at INTEGER,
  delivered_at INTEGER,
  version INTEGER NOT NULL,
  UNIQUE (account, user_code)
) STRICT;
CREATE INDEX pickups_expiry ON pickups(expires_at);
`,
    postgres: `
ALTER TABLE tokens ADD COLUMN holder TEXT;
ALTER TABLE tokens ADD COLUMN pickup JSON;
CREATE TABLE pickups (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  user_code TEXT NOT NULL,
  device_digest BYTEA NOT NULL UNIQUE,
  holder TEXT NOT NULL,
  token_ids JSON NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'approved', 'claimed', 'delivered')),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  requester_ip TEXT,
  approved_by TEXT,
  approved_at BIGINT,
  claimed_at BIGINT,
  delivered_at BIGINT,
  version INTEGER NOT NULL,
  UNIQUE (account, user_code)
);
CREATE INDEX pickups_expiry ON pickups(expires_at);
`,
  },
];

export const SQLITE_MIGRATIONS: readonly Migration[] = SCHEMA_CHANGES.map(({ version, name, sqlite }) => ({
  version,
  name,
  sql: sqlite,
}));

export const POSTGRES_MIGRATIONS: readonly Migration[] = SCHEMA_CHANGES.map(
  ({ version, name, postgres }) => ({
    version,
    name,
    sql: postgres,
  }),
);
