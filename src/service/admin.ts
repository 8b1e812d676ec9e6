/**
 * `tokenform admin create` as a library function: mints an admin key directly in the store — for an
 * operator who has the database but no admin key (the first one is shown only once, when `serve` creates
 * the database). It starts the service on the database in-process (loopback, any free port, no session
 * key) and goes through the same write path as the API, so the key is validated by the API's schema and
 * audited, with `tokenform admin create` as the actor. On a database with no account yet, the first
 * account is created by the bootstrap path, with the new key as its first admin key.
 */
import { existsSync } from "node:fs";
import { CreateTokenRequestSchema, type Token } from "../api/schemas.js";
import { SecretValue } from "../api/secret.js";
import { ConfigError } from "../errors.js";
import { DEFAULT_PREFIXES, generateToken } from "../spec/token-format.js";
import { ServiceError } from "./errors.js";
import { resolveDatabase } from "./serve.js";
import { FIRST_ACCOUNT, startService } from "./service.js";
import { isPostgresUrl, PostgresStore } from "./store/postgres.js";
import { type Actor, FIRST_ADMIN_NAME, FIRST_ADMIN_SCOPES } from "./tokens.js";

/** The actor named in the audit log and in the key's `createdBy`. */
export const OPERATOR_ACTOR = "tokenform admin create";

export interface CreateAdminKeyOptions {
  /** SQLite file or `postgres://` URL (default as for `serve`: TOKENFORM_DATABASE_URL, TOKENFORM_DB, …). */
  db?: string;
  /** Account of the key (default: the first account, `default`; a new database has only that one). */
  account?: string;
  /** Key name, unique in the account (default `operator-admin-<timestamp>`). */
  name?: string;
  /** Scopes (default `tokens:*`). */
  scopes?: string[];
  description?: string;
  /** Lifetime such as `90d` (default: no expiry). */
  expiresIn?: string;
  /** Reads TOKENFORM_PEPPER (the digests depend on it) and the database defaults. */
  env?: NodeJS.ProcessEnv;
}

export interface CreatedAdminKey {
  account: string;
  token: Token;
  secret: SecretValue;
  /** True when the database had no account and this key became the first account's first admin key. */
  newDatabase: boolean;
}

export async function createAdminKey(options: CreateAdminKeyOptions = {}): Promise<CreatedAdminKey> {
  const env = options.env ?? process.env;
  const db = resolveDatabase(options.db, env);
  const postgres = isPostgresUrl(db);
  if (!postgres && !existsSync(db)) {
    throw new ConfigError(
      `no database at ${db}: check --db (or TOKENFORM_DB); a new database gets its first admin key from tokenform serve`,
    );
  }
  const account = options.account ?? FIRST_ACCOUNT;
  const name = options.name ?? `operator-admin-${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}`;
  const input = CreateTokenRequestSchema.safeParse({
    name,
    type: "admin",
    scopes: options.scopes ?? FIRST_ADMIN_SCOPES,
    description: options.description ?? `Admin key minted by ${OPERATOR_ACTOR}`,
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
  });
  if (!input.success) {
    const issue = input.error.issues[0];
    throw new ConfigError(
      `admin create: ${issue?.path.join(".") || "input"}: ${issue?.message ?? "invalid"}`,
      2,
    );
  }

  // A key no existing database can hold: on an empty database the bootstrap path makes it the first
  // account's admin key; on an existing one the service ignores it.
  const bootstrap = generateToken(DEFAULT_PREFIXES.admin);
  const store = postgres ? new PostgresStore({ connectionString: db }) : undefined;
  const service = await startService({
    dbPath: postgres ? undefined : db,
    store,
    host: "127.0.0.1",
    port: 0,
    bootstrapToken: bootstrap,
    pepper: env.TOKENFORM_PEPPER || undefined,
    sessionAdminKey: false,
    sweepIntervalMs: 0,
  }).catch(async (error: unknown) => {
    await store?.close(); // a database that cannot be reached: release the pool so the process can exit
    throw error;
  });
  try {
    if (service.adminTokenSource === "provided") {
      // Only a new database can know the key generated above: it is the first account's first admin key.
      const first = await service.manager.list(operator(FIRST_ACCOUNT), { name: FIRST_ADMIN_NAME });
      const token = first.items[0];
      if (token)
        return { account: FIRST_ACCOUNT, token, secret: new SecretValue(bootstrap), newDatabase: true };
    }
    const created = await service.manager.create(operator(account), input.data);
    return { account, token: created.token, secret: new SecretValue(created.secret), newDatabase: false };
  } catch (error) {
    if (error instanceof ServiceError) throw new ConfigError(`admin create: ${error.message}`);
    throw error;
  } finally {
    await service.close();
  }
}

/** The operator at the database: acts in `account` without the limits of an admin key. */
function operator(account: string): Actor {
  return { account, name: OPERATOR_ACTOR, tokenId: null, scopes: ["*"], ip: null };
}
