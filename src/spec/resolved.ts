/**
 * The resolved model: a validated TokenSet with defaults merged in and durations in seconds. This is what
 * the plan, the Terraform provider and the CDKTF construct consume; nothing downstream re-reads YAML.
 */
import { type Destination, kindOf } from "../destinations/registry.js";
import type { OnRemove, PickupTarget, TokenType } from "./schema.js";

/** Where in a source file something was declared (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type { AwsSecretsManagerDestination } from "../destinations/aws-secrets-manager/index.js";
export type { FileDestination } from "../destinations/file/index.js";
export type { GithubDestination } from "../destinations/github/index.js";
export type { GitlabDestination } from "../destinations/gitlab/index.js";
export type { GoogleSecretManagerDestination } from "../destinations/google-secret-manager/index.js";
export type { KubernetesDestination } from "../destinations/kubernetes/index.js";
export type { Destination } from "../destinations/registry.js";
export type { VaultDestination } from "../destinations/vault/index.js";

/** Expiry of a token: never, a lifetime from creation, or a fixed time. */
export type Expiry = { kind: "never" } | { kind: "in"; seconds: number } | { kind: "at"; at: string };

/** One token as the plan sees it. Every optional spec field has its default here. */
export interface ResolvedToken {
  name: string;
  description: string;
  type: TokenType;
  scopes: string[];
  readOnly: boolean;
  /** Normalised CIDRs (`203.0.113.0/24`, `2001:db8::/32`; bare addresses become /32 or /128). */
  ipAllowlist: string[];
  /** MCP tools the key may call (names or `*` patterns, sorted, unique); null when any tool may be called. */
  tools: string[] | null;
  rateLimit: { perMinute?: number; perHour?: number };
  labels: Record<string, string>;
  enabled: boolean;
  expiry: Expiry;
  /** Absent when the token never rotates. */
  rotation?: { everySeconds: number; overlapSeconds: number };
  /** Changing this value asks for a rotation on the next apply; absent when never set. */
  rotateTrigger?: string;
  /** The token's previous name (a rename keeps the token and its secret); absent when not renamed. */
  renamedFrom?: string;
  /** Take over a token of this name that another owner, or nobody, manages; absent when not asked. */
  adopt?: true;
  deliver: Destination[];
  /** The person the key is for; absent when none is named. */
  holder?: string;
  /**
   * The MCP client entry the holder picks the key up into (`tokenform pickup`), header defaulted; absent
   * when apply delivers the key (`deliver`).
   */
  pickup?: ResolvedPickup;
  onRemove: OnRemove;
  removalGraceSeconds: number;
  /** Where the entry was declared; absent for tokens built in code. */
  source?: SourceLocation;
}

/** A pickup target with its header form decided. */
export interface ResolvedPickup {
  client: PickupTarget["client"];
  server: string;
  url: string;
  header: NonNullable<PickupTarget["header"]>;
}

/** A resolved set: the owner and its tokens in declaration order. */
export interface ResolvedTokenSet {
  owner: string;
  name?: string;
  tokens: ResolvedToken[];
  /** Grace and removal policy for tokens that exist in the service but not in the spec. */
  defaults: { onRemove: OnRemove; removalGraceSeconds: number };
}

/**
 * `token` with each derived name replaced by the one the same destination already has among `existing` —
 * where the token's secret went before (a file's variable name: `keepDerived` of its kind). Such a name is
 * fixed when the destination is first delivered and changes only when the spec writes another one.
 * Returns `token` itself when nothing changes.
 */
export function keepFileKeys(token: ResolvedToken, existing: readonly Destination[]): ResolvedToken {
  let changed = false;
  const deliver = token.deliver.map((d) => {
    const kept = kindOf(d.kind).keepDerived?.(d, existing) ?? d;
    if (kept !== d) changed = true;
    return kept;
  });
  return changed ? { ...token, deliver } : token;
}

/** A destination as delivery records keep it (without the spec's bookkeeping). */
export function recordedTarget(d: Destination): Destination {
  const kind = kindOf(d.kind);
  return kind.recorded ? kind.recorded(d) : { ...d };
}

/** A stable identity for a destination, used for duplicate detection and delivery records. */
export function destinationId(d: Destination): string {
  return kindOf(d.kind).id(d);
}

/**
 * The id under which a token holds a destination in the token service (its claim): the destination id,
 * except that a local destination (a file) names its host too — the same path on two machines is two
 * destinations. `host` is the machine that writes the file (the one running plan and apply).
 */
export function claimId(d: Destination, host: string): string {
  const id = destinationId(d);
  return kindOf(d.kind).local ? `${d.kind}://${host}${id.slice(d.kind.length + 1)}` : id;
}

/** The destination's settings a reviewer should see besides its description (its kind's `settings`). */
export function destinationSettings(d: Destination): string[] {
  return kindOf(d.kind).settings(d);
}

/** Human description of a destination for plans and logs (never contains a value). */
export function describeDestination(d: Destination): string {
  return kindOf(d.kind).describe(d);
}
