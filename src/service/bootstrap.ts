/**
 * The service's bootstrap: on a new database the first account (`default`) is created with an admin key
 * named `bootstrap-admin` (scopes `tokens:*`): the given `bootstrapToken` (a valid admin token, checksum
 * checked), or a freshly generated one. On an existing database the admin key of this process is the
 * `bootstrapToken` if the store knows it; otherwise a session admin key is minted (labelled
 * `tokenform.dev/session`, valid 24 h), which the service deletes on `close()` and the sweeper removes if
 * the process died first.
 */
import type { Logger } from "pino";
import { SecretValue } from "../api/secret.js";
import { ConfigError } from "../errors.js";
import { checkToken } from "../spec/token-format.js";
import type { TokenPrefixes, TokenStore } from "./store/types.js";
import type { TokenManager } from "./tokens.js";
import type { Verifier } from "./verifier.js";

/** Name of the account a new database starts with. */
export const FIRST_ACCOUNT = "default";
/** Lifetime of an embedded session admin key: a working day, and the sweeper removes it after. */
const SESSION_KEY_SECONDS = 24 * 3600;

/** How `adminToken` came about. */
export type AdminTokenSource = "generated" | "provided" | "session" | "none";

/** What bootstrap works with: the wired service parts. */
export interface BootstrapParts {
  store: TokenStore;
  manager: TokenManager;
  verifier: Verifier;
  logger: Logger;
  prefixes: TokenPrefixes;
}

/** The admin key this process holds, and the session key to delete on close (when one was minted). */
export interface BootstrapResult {
  adminToken: SecretValue | undefined;
  adminTokenSource: AdminTokenSource;
  sessionKeyId: string | undefined;
}

/** Throws a ConfigError unless `bootstrap` is a well-formed admin key of the configured admin prefix. */
function checkBootstrapToken(bootstrap: string, prefixes: TokenPrefixes): void {
  const check = checkToken(bootstrap);
  if (!check.ok || check.prefix !== prefixes.admin) {
    throw new ConfigError(
      `the bootstrap token (TOKENFORM_BOOTSTRAP_TOKEN) is not a valid admin token (${prefixes.admin}…): ${check.ok ? "wrong prefix" : check.reason.replace("_", " ")}; fix it, or unset it to have one generated`,
    );
  }
}

/**
 * Creates the first account on a new database, or finds (or mints) an admin key for this process on an
 * existing one. `bootstrap` is the raw `bootstrapToken`; `sessionAdminKey: false` mints none.
 */
export async function bootstrapAdminKey(
  parts: BootstrapParts,
  bootstrap: string | undefined,
  sessionAdminKey: boolean,
): Promise<BootstrapResult> {
  const { store, manager, verifier, logger } = parts;
  if (bootstrap !== undefined) checkBootstrapToken(bootstrap, parts.prefixes);
  if ((await store.countAccounts()) === 0) {
    const created = await manager.createAccount(FIRST_ACCOUNT, { bootstrapToken: bootstrap });
    const adminToken = bootstrap !== undefined ? new SecretValue(bootstrap) : created.adminToken;
    logger.info(
      { account: FIRST_ACCOUNT, fingerprint: adminToken.fingerprint },
      "new database: created the first account and its admin key",
    );
    return {
      adminToken,
      adminTokenSource: bootstrap !== undefined ? "provided" : "generated",
      sessionKeyId: undefined,
    };
  }
  if (bootstrap !== undefined) {
    const verdict = await verifier.verify({ token: bootstrap, rateLimit: false });
    if (verdict.valid) {
      return {
        adminToken: new SecretValue(bootstrap),
        adminTokenSource: "provided",
        sessionKeyId: undefined,
      };
    }
    logger.warn(
      { code: verdict.code },
      "the bootstrap token is not a usable key of this database; ignoring it",
    );
  }
  if (!sessionAdminKey) return { adminToken: undefined, adminTokenSource: "none", sessionKeyId: undefined };
  const session = await manager.createSessionKey(FIRST_ACCOUNT, SESSION_KEY_SECONDS);
  return { adminToken: session.secret, adminTokenSource: "session", sessionKeyId: session.id };
}
