/**
 * Versioned schema migrations of the SQLite store. Each runs once, in its own transaction, in order; the
 * applied versions are recorded in `schema_migrations`. Never edit a released migration: add a new one.
 */

/** One migration: a version number (strictly increasing) and the SQL that takes the schema there. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
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

CREATE TABLE token_labels (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (token_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX token_labels_key_value ON token_labels(key, value);

CREATE TABLE secrets (
  digest BLOB PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  display_prefix TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  generation INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'next')),
  expires_at INTEGER,
  overlap_seconds INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX secrets_token ON secrets(token_id);
CREATE INDEX secrets_due ON secrets(expires_at) WHERE expires_at IS NOT NULL;

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
  actor TEXT NOT NULL,
  actor_token_id TEXT,
  action TEXT NOT NULL,
  target_id TEXT,
  target_name TEXT,
  changes TEXT NOT NULL,
  source_ip TEXT
) STRICT;
CREATE INDEX audit_account ON audit(account, seq);
CREATE INDEX audit_target ON audit(account, target_id, seq);
`,
  },
  {
    version: 2,
    name: "token tool allowlist",
    // JSON array of tool-name patterns; NULL = no restriction.
    sql: "ALTER TABLE tokens ADD COLUMN tools TEXT;",
  },
  {
    version: 3,
    name: "destination claims",
    // One holder per destination in an account. Existing deliveries (files aside: their claims name the
    // host, which old records lack) become claims, the oldest token first when two delivered to one place.
    sql: `
CREATE TABLE destination_claims (
  account TEXT NOT NULL,
  destination TEXT NOT NULL,
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  PRIMARY KEY (account, destination)
) STRICT, WITHOUT ROWID;
CREATE INDEX destination_claims_token ON destination_claims(token_id);
INSERT OR IGNORE INTO destination_claims (account, destination, token_id)
  SELECT t.account, json_extract(d.value, '$.destination'), t.id
  FROM tokens t, json_each(t.deliveries) d
  WHERE json_extract(d.value, '$.destination') NOT LIKE 'file:%'
  ORDER BY t.seq;
`,
  },
  {
    version: 4,
    name: "seen signatures",
    // The replay window of signed requests (src/service/signing.ts), shared by every instance on the
    // database and kept across restarts; the sweeper deletes rows once expires_at has passed.
    sql: `
CREATE TABLE seen_signatures (
  token_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (token_id, signature)
) STRICT, WITHOUT ROWID;
CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);
`,
  },
  {
    version: 5,
    name: "token names unique ignoring case",
    // Names are printable Unicode ("Cursor MCP") and unique per account ignoring case: the store keeps each
    // name's comparison key (`nameKey` in src/spec/identifiers.ts, computed by the service: SQLite's lower()
    // folds ASCII only) under a unique index. Names before this were lowercase ASCII, their own key.
    sql: `
ALTER TABLE tokens ADD COLUMN name_key TEXT;
UPDATE tokens SET name_key = lower(name);
CREATE UNIQUE INDEX tokens_account_name_key ON tokens(account, name_key);
`,
  },
];
