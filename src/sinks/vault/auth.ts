/**
 * How the Vault sink gets its token, from the environment, first match wins: `VAULT_TOKEN`; AppRole
 * (`VAULT_ROLE_ID` + `VAULT_SECRET_ID`, `POST /v1/auth/<VAULT_AUTH_PATH or approle>/login`); JWT/OIDC
 * (`VAULT_JWT` + `VAULT_JWT_ROLE`, `POST /v1/auth/<VAULT_AUTH_PATH or jwt>/login` — in GitHub Actions the
 * JWT is the job's OIDC token). A login happens once per sink; the token it returns is kept in memory only.
 */

/** The environment variables the Vault sink reads. */
export interface VaultEnv {
  VAULT_ADDR?: string | undefined;
  VAULT_TOKEN?: string | undefined;
  VAULT_NAMESPACE?: string | undefined;
  VAULT_ROLE_ID?: string | undefined;
  VAULT_SECRET_ID?: string | undefined;
  VAULT_JWT?: string | undefined;
  VAULT_JWT_ROLE?: string | undefined;
  VAULT_AUTH_PATH?: string | undefined;
}

/** A way to a Vault token: one already issued, or a login request that returns one. */
export type VaultAuth =
  | { method: "token"; token: string }
  | { method: "approle" | "jwt"; loginPath: string; body: Record<string, string>; secrets: string[] };

/** The authentication `env` configures, or undefined when it configures none. */
export function vaultAuthFrom(env: VaultEnv): VaultAuth | undefined {
  if (env.VAULT_TOKEN) return { method: "token", token: env.VAULT_TOKEN };
  const mount = (fallback: string) =>
    `/v1/auth/${(env.VAULT_AUTH_PATH || fallback).replace(/^\/+|\/+$/g, "")}/login`;
  if (env.VAULT_ROLE_ID && env.VAULT_SECRET_ID) {
    return {
      method: "approle",
      loginPath: mount("approle"),
      body: { role_id: env.VAULT_ROLE_ID, secret_id: env.VAULT_SECRET_ID },
      secrets: [env.VAULT_SECRET_ID],
    };
  }
  if (env.VAULT_JWT && env.VAULT_JWT_ROLE) {
    return {
      method: "jwt",
      loginPath: mount("jwt"),
      body: { role: env.VAULT_JWT_ROLE, jwt: env.VAULT_JWT },
      secrets: [env.VAULT_JWT],
    };
  }
  return undefined;
}

/** What is missing, in words for the error a delivery fails with. */
export const VAULT_AUTH_HINT =
  "set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID (AppRole), or VAULT_JWT and VAULT_JWT_ROLE (JWT/OIDC, e.g. a GitHub Actions OIDC token)";
