/** Test data builders for resolved spec tokens and service tokens (plain data, no I/O). */
import { OWNER_LABEL, type Token } from "../../src/api/schemas.js";
import { actualSettings, desiredSettings, managedLabels, settingsHash } from "../../src/plan/desired.js";
import {
  claimId,
  destinationId,
  type ResolvedToken,
  type ResolvedTokenSet,
} from "../../src/spec/resolved.js";

export const OWNER = "acme/platform-infra";
export const T0 = new Date("2026-01-01T00:00:00.000Z");
/** The host name plans in these tests run on (file destinations are claimed per host). */
export const TEST_HOST = "localhost";
/** A pickup target: alice's Cursor entry `acme` with the key as a bearer token. */
export const CURSOR_PICKUP = {
  client: "cursor",
  server: "acme",
  url: "https://mcp.example.com/mcp",
  header: "bearer",
} as const;

export function resolved(name: string, overrides: Partial<ResolvedToken> = {}): ResolvedToken {
  return {
    name,
    description: `${name} token`,
    type: "mcp",
    scopes: ["contexts:read"],
    readOnly: true,
    ipAllowlist: [],
    tools: null,
    rateLimit: {},
    labels: { team: "backend" },
    enabled: true,
    expiry: { kind: "never" },
    deliver: [{ kind: "file", path: `/tmp/tf-${name}.env`, format: "env", key: "MCP_API_KEY" }],
    onRemove: "disable-then-delete",
    removalGraceSeconds: 7 * 86_400,
    ...overrides,
  };
}

export function tokenSet(tokens: ResolvedToken[]): ResolvedTokenSet {
  return {
    owner: OWNER,
    tokens,
    defaults: { onRemove: "disable-then-delete", removalGraceSeconds: 7 * 86_400 },
  };
}

let serial = 0;

/** A service token exactly as tokenform would have left it after applying `spec` (delivered, confirmed). */
export function applied(spec: ResolvedToken, overrides: Partial<Token> = {}): Token {
  serial += 1;
  const created = (overrides.createdAt as string | undefined) ?? T0.toISOString();
  const rotatedAt = overrides.rotatedAt ?? created;
  const settings = desiredSettings(spec, new Date(rotatedAt));
  const fingerprint = `sha256:${serial.toString(16).padStart(16, "0")}`;
  const token: Token = {
    id: `tok_${spec.name}`,
    account: "acct_1",
    name: spec.name,
    description: settings.description,
    type: spec.type,
    scopes: settings.scopes,
    readOnly: settings.readOnly,
    labels: managedLabels(OWNER, spec, settings),
    ipAllowlist: settings.ipAllowlist,
    tools: settings.tools,
    rateLimit: settings.rateLimit,
    status: settings.enabled ? "active" : "disabled",
    enabled: settings.enabled,
    displayPrefix: "mcp_sk_AbCd",
    fingerprint,
    generation: 1,
    previousSecrets: [],
    destinations: spec.deliver.map((d) => claimId(d, TEST_HOST)).sort(),
    deliveries: spec.deliver.map((d) => ({
      destination: destinationId(d),
      generation: 1,
      fingerprint,
      deliveredAt: created,
      target: { ...d },
    })),
    createdAt: created,
    createdBy: "tokenform",
    updatedAt: created,
    rotatedAt,
    expiresAt: settings.expiresAt,
    pendingExpiresAt: null,
    lastUsedAt: created,
    lastUsedIp: "127.0.0.1",
    requestCount: 1,
    failedAttempts: 0,
    version: 3,
    holder: null,
    pickup: null,
    ...overrides,
  };
  return token;
}

/** Re-stamps the applied-settings label after a test edits a token "through tokenform". */
export function restamp(token: Token): Token {
  return {
    ...token,
    labels: { ...token.labels, "tokenform.dev/applied": settingsHash(actualSettings(token)) },
  };
}

export { OWNER_LABEL };
