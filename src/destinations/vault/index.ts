/**
 * The `vault` destination kind: one key of a HashiCorp Vault KV v2 secret. Everything tokenform knows
 * about the kind is declared here (see `../kind.ts`); the sink itself is `src/sinks/vault`, loaded on
 * first use.
 */
import type { z as zod } from "zod";
import type { VaultSinkOptions } from "../../sinks/vault/sink.js";
import { type DestinationKind, definedOnly, lazySink, tf, type Zod } from "../kind.js";

/** A mount or a secret path: segments of letters, digits and `_ . -`, separated by single slashes. */
export const VAULT_PATH_PATTERN = "^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$";

/** One key of a KV v2 secret. */
function vaultSchema(z: Zod) {
  const path = (what: string) =>
    z.string().regex(new RegExp(VAULT_PATH_PATTERN), {
      message: `a Vault ${what} is segments of A-Z a-z 0-9 _ . - separated by single slashes, without a leading or trailing slash`,
    });
  return z
    .strictObject({
      address: z
        .url({ protocol: /^https?$/, error: "a Vault address is an http(s) URL" })
        .optional()
        .describe("Vault's URL (default: VAULT_ADDR of the environment apply runs in)."),
      mount: path("mount").describe("Mount path of the KV v2 secrets engine, e.g. `secret`."),
      path: path("secret path").describe("Secret path under the mount, e.g. `mcp/backend`."),
      key: z.string().min(1).max(255).describe("Key within the secret; its other keys are left as they are."),
    })
    .describe("Deliver to one key of a HashiCorp Vault KV v2 secret.");
}

/** The `vault` block as written. */
export type VaultDelivery = zod.infer<ReturnType<typeof vaultSchema>>;

/** A resolved Vault destination (no address: VAULT_ADDR's Vault). */
export interface VaultDestination {
  kind: "vault";
  address?: string;
  mount: string;
  path: string;
  key: string;
}

/** The Vault sink's options of `createSinks` (credentials come from the environment). */
export interface VaultKindOptions {
  /** Fine tuning of the Vault sink (retries, timeout). */
  vault?: Omit<VaultSinkOptions, "env" | "fetch" | "logger">;
}

export const vault = {
  kind: "vault",
  spec: { schema: vaultSchema, patternCodes: [[VAULT_PATH_PATTERN, "invalid_destination"]] },
  resolve: (v) => ({
    kind: "vault",
    ...(v.address !== undefined ? { address: v.address.replace(/\/+$/, "") } : {}),
    mount: v.mount,
    path: v.path,
    key: v.key,
  }),
  id: (d) => `vault:${d.address ? `${d.address}/` : ""}${d.mount}/${d.path}#${d.key}`,
  describe: (d) => `Vault KV secret ${d.mount}/${d.path} key ${d.key}${d.address ? ` at ${d.address}` : ""}`,
  settings: () => [],
  local: false,
  // Any one of them (with its companion: VAULT_ROLE_ID, VAULT_JWT_ROLE) authenticates; VAULT_ADDR too.
  credentials: [["VAULT_TOKEN", "VAULT_SECRET_ID", "VAULT_JWT"]],
  sink: ({ env, options }) =>
    lazySink("vault", async () => {
      const { VaultSink } = await import("../../sinks/vault/sink.js");
      return new VaultSink({
        ...options.vault,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        env,
      });
    }),
  terraform: {
    typeName: "vault_secret",
    description:
      "Deliver the secret to one key of a HashiCorp Vault KV v2 secret (credentials: VAULT_ADDR and VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID, or VAULT_JWT and VAULT_JWT_ROLE).",
    attributes: [
      tf.optional("address", "string", "Vault's URL (default: VAULT_ADDR of the environment apply runs in)."),
      tf.required("mount", "string", "Mount path of the KV v2 secrets engine, e.g. `secret`."),
      tf.required("path", "string", "Secret path under the mount, e.g. `mcp/backend`."),
      tf.required("key", "string", "Key within the secret; its other keys are left as they are."),
    ],
    fields: { address: "address", mount: "mount", path: "path", key: "key" },
  },
  cdktf: {
    key: "vaultSecret" as const,
    block: (d) => definedOnly({ address: d.address, mount: d.mount, path: d.path, key: d.key }),
  },
  action: {
    onRunner: "deliver",
    inputs: [
      { name: "vault-addr", field: "vaultAddr" as const, env: "VAULT_ADDR", url: true },
      { name: "vault-token", field: "vaultToken" as const, env: "VAULT_TOKEN", secret: true },
      { name: "vault-role-id", field: "vaultRoleId" as const, env: "VAULT_ROLE_ID" },
      { name: "vault-secret-id", field: "vaultSecretId" as const, env: "VAULT_SECRET_ID", secret: true },
      { name: "vault-jwt", field: "vaultJwt" as const, env: "VAULT_JWT", secret: true },
      { name: "vault-jwt-role", field: "vaultJwtRole" as const, env: "VAULT_JWT_ROLE" },
    ],
  },
} satisfies DestinationKind<
  "vault",
  VaultDelivery,
  VaultDestination,
  VaultKindOptions,
  "vaultAddr" | "vaultToken" | "vaultRoleId" | "vaultSecretId" | "vaultJwt" | "vaultJwtRole"
>;
