/**
 * Versioned schema migrations of the PostgreSQL store. Each runs once, in its own transaction (PostgreSQL
 * DDL is transactional), in order, while the migrating instance holds an advisory lock so that several
 * instances starting together never race; the applied versions are recorded in `schema_migrations`.
 * Never edit a released migration: add a new one.
 *
 * The schema mirrors the SQLite one (`migrations.ts`) column for column, with native types: times are
 * BIGINT epoch milliseconds (what the records hold), flags are BOOLEAN, digests BYTEA, and structured
 * fields `json` — not `jsonb`, because `json` keeps the text as written (key order included), so a record
 * reads back exactly as SQLite returns it; nothing queries inside those values (labels are filtered through
 * `token_labels`). Insertion order (`seq`) is an identity column.
 */
import type { Migration } from "./migrations.js";

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
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

CREATE TABLE token_labels (
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (token_id, key)
);
CREATE INDEX token_labels_key_value ON token_labels(key, value);

CREATE TABLE secrets (
  digest BYTEA NOT NULL,
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  display_prefix TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  generation INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('current', 'previous', 'next')),
  expires_at BIGINT,
  overlap_seconds INTEGER,
  created_at BIGINT NOT NULL,
  CONSTRAINT secrets_pkey PRIMARY KEY (digest)
);
CREATE INDEX secrets_token ON secrets(token_id);
CREATE INDEX secrets_due ON secrets(expires_at) WHERE expires_at IS NOT NULL;

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
  actor TEXT NOT NULL,
  actor_token_id TEXT,
  action TEXT NOT NULL,
  target_id TEXT,
  target_name TEXT,
  changes JSON NOT NULL,
  source_ip TEXT
);
CREATE INDEX audit_account ON audit(account, seq);
CREATE INDEX audit_target ON audit(account, target_id, seq);
`,
  },
  {
    version: 2,
    name: "token tool allowlist",
    // JSON array of tool-name patterns; NULL = no restriction.
    sql: "ALTER TABLE tokens ADD COLUMN tools JSON;",
  },
  {
    version: 3,
    name: "destination claims",
    // As SQLite's migration 3: existing deliveries (files aside) become claims, the oldest token first.
    sql: `
CREATE TABLE destination_claims (
  account TEXT NOT NULL,
  destination TEXT NOT NULL,
  token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  PRIMARY KEY (account, destination)
);
CREATE INDEX destination_claims_token ON destination_claims(token_id);
INSERT INTO destination_claims (account, destination, token_id)
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
    // As SQLite's migration 4: the replay window of signed requests, shared by every instance.
    sql: `
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
    // As SQLite's migration 5: the service computes each name's comparison key (lower() depends on the
    // database's collation); a unique index keeps one name per account ignoring case.
    sql: `
ALTER TABLE tokens ADD COLUMN name_key TEXT;
UPDATE tokens SET name_key = lower(name);
CREATE UNIQUE INDEX tokens_account_name_ci_key ON tokens(account, name_key);
`,
  },
];
