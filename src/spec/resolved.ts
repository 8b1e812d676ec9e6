/**
 * The resolved model: a validated TokenSet with defaults merged in and durations in seconds. This is what
 * the plan, the Terraform provider and the CDKTF construct consume; nothing downstream re-reads YAML.
 */
import type { OnRemove, TokenType } from "./schema.js";

/** Where in a source file something was declared (1-based line and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A resolved GitHub destination. `environment` only with `repository`; `visibility` only for organisations. */
export interface GithubDestination {
  kind: "github";
  /** `owner/repo` for repository and environment secrets; absent for organisation secrets. */
  repository?: string;
  /** Deployment environment of a repository; absent for plain repository secrets. */
  environment?: string;
  /** Organisation login for organisation secrets; absent otherwise. */
  organization?: string;
  /** Organisation secret visibility; present only with `organization` (default `private`). */
  visibility?: "all" | "private" | "selected";
  /** Repository names for `visibility: selected`. */
  repositories?: string[];
  /** Secret name as written (GitHub upper-cases it). */
  secret: string;
}

/** A resolved GitLab destination: exactly one of `project` / `group`. */
export interface GitlabDestination {
  kind: "gitlab";
  project?: string;
  group?: string;
  variable: string;
  environmentScope: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
}

/** A resolved local file destination; `path` is absolute (`~` expanded). */
export interface FileDestination {
  kind: "file";
  path: string;
  format: "env" | "raw";
  /** Variable name written for `format: env`. */
  key: string;
  /**
   * Present when the spec wrote no `key` and this one was derived from the token's name: a plan keeps the
   * key the file already has from the token instead (`keepFileKeys`), so a rename never renames the variable.
   */
  keyDerived?: true;
}

export type Destination = GithubDestination | GitlabDestination | FileDestination;

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
  onRemove: OnRemove;
  removalGraceSeconds: number;
  /** Where the entry was declared; absent for tokens built in code. */
  source?: SourceLocation;
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
 * `token` with each derived file key replaced by the key the same file (path, env format) already has among
 * `existing` — where the token's secret went before. The key is fixed when the destination is first
 * delivered and changes only when the spec writes another one. Returns `token` itself when nothing changes.
 */
export function keepFileKeys(token: ResolvedToken, existing: readonly Destination[]): ResolvedToken {
  let changed = false;
  const deliver = token.deliver.map((d) => {
    if (d.kind !== "file" || !d.keyDerived || d.format !== "env") return d;
    const before = existing.find(
      (e): e is FileDestination => e.kind === "file" && e.format === "env" && e.path === d.path,
    );
    if (before === undefined || before.key === d.key) return d;
    changed = true;
    return { ...d, key: before.key };
  });
  return changed ? { ...token, deliver } : token;
}

/** A destination as delivery records keep it (without the spec's bookkeeping). */
export function recordedTarget(d: Destination): Destination {
  if (d.kind !== "file" || !d.keyDerived) return { ...d };
  const { keyDerived: _derived, ...rest } = d;
  return rest;
}

/** A stable identity for a destination, used for duplicate detection and delivery records. */
export function destinationId(d: Destination): string {
  switch (d.kind) {
    case "github":
      return d.organization
        ? `github:org/${d.organization}/${d.secret.toUpperCase()}`
        : d.environment
          ? `github:repo/${d.repository}/env/${d.environment}/${d.secret.toUpperCase()}`
          : `github:repo/${d.repository}/${d.secret.toUpperCase()}`;
    case "gitlab":
      return d.group
        ? `gitlab:group/${d.group}/${d.environmentScope}/${d.variable}`
        : `gitlab:project/${d.project}/${d.environmentScope}/${d.variable}`;
    case "file":
      return d.format === "env" ? `file:${d.path}#${d.key}` : `file:${d.path}`;
  }
}

/**
 * The id under which a token holds a destination in the token service (its claim): the destination id,
 * except that a file names its host too — the same path on two machines is two destinations. `host` is the
 * machine that writes the file (the one running plan and apply).
 */
export function claimId(d: Destination, host: string): string {
  return d.kind === "file" ? `file://${host}${destinationId(d).slice("file:".length)}` : destinationId(d);
}

/** Human description of a destination for plans and logs (never contains a value). */
export function describeDestination(d: Destination): string {
  switch (d.kind) {
    case "github":
      if (d.organization) return `GitHub org ${d.organization} secret ${d.secret}`;
      return d.environment
        ? `GitHub ${d.repository} (environment ${d.environment}) secret ${d.secret}`
        : `GitHub ${d.repository} secret ${d.secret}`;
    case "gitlab":
      return `GitLab ${d.group ? `group ${d.group}` : `project ${d.project}`} variable ${d.variable} (scope ${d.environmentScope})`;
    case "file":
      return d.format === "env" ? `file ${d.path} (${d.key})` : `file ${d.path}`;
  }
}
