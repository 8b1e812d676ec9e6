/**
 * A resolved token (defaults merged, durations in seconds) as the configuration of one `tokenform_token`
 * resource. Every value the spec's defaults decide is written out, so `cdktf synth` output and `cdktf
 * plan` show what will be applied; empty collections are left out (the provider reads them as unset).
 * Durations are written back in the spec's notation (`15552000` seconds → `180d`).
 */
import { formatDuration } from "../spec/duration.js";
import type { Destination, ResolvedToken } from "../spec/resolved.js";
import type {
  TokenformTokenConfig,
  TokenformTokenFile,
  TokenformTokenGithubSecret,
  TokenformTokenGitlabVariable,
} from "./deps.js";

/** The resource configuration for `token` (without `provider` and other meta-arguments). */
export function tokenConfig(token: ResolvedToken): TokenformTokenConfig {
  const github: TokenformTokenGithubSecret[] = [];
  const gitlab: TokenformTokenGitlabVariable[] = [];
  const files: TokenformTokenFile[] = [];
  for (const destination of token.deliver) addDestination(destination, github, gitlab, files);
  const rateLimit = definedOnly(token.rateLimit);
  return {
    name: token.name,
    description: token.description,
    type: token.type,
    readOnly: token.readOnly,
    enabled: token.enabled,
    ...(token.scopes.length > 0 ? { scopes: [...token.scopes] } : {}),
    ...(token.ipAllowlist.length > 0 ? { ipAllowlist: [...token.ipAllowlist] } : {}),
    ...(token.tools !== null ? { tools: [...token.tools] } : {}),
    ...(Object.keys(token.labels).length > 0 ? { labels: { ...token.labels } } : {}),
    ...(Object.keys(rateLimit).length > 0 ? { rateLimit } : {}),
    ...expiry(token),
    ...(token.rotation
      ? {
          rotation: {
            every: formatDuration(token.rotation.everySeconds),
            overlap: formatDuration(token.rotation.overlapSeconds),
          },
        }
      : {}),
    ...(token.rotateTrigger !== undefined ? { rotateTrigger: token.rotateTrigger } : {}),
    ...(token.adopt ? { adopt: true } : {}),
    onRemove: token.onRemove,
    removalGrace: formatDuration(token.removalGraceSeconds),
    ...(github.length > 0 ? { githubSecret: github } : {}),
    ...(gitlab.length > 0 ? { gitlabVariable: gitlab } : {}),
    ...(files.length > 0 ? { file: files } : {}),
  };
}

function expiry(token: ResolvedToken): Pick<TokenformTokenConfig, "expiresIn" | "expiresAt"> {
  switch (token.expiry.kind) {
    case "never":
      return { expiresIn: "never" };
    case "in":
      return { expiresIn: formatDuration(token.expiry.seconds) };
    case "at":
      return { expiresAt: token.expiry.at };
  }
}

/** Appends `d` to the block list of its kind (blocks keep the spec's order within a kind). */
function addDestination(
  d: Destination,
  github: TokenformTokenGithubSecret[],
  gitlab: TokenformTokenGitlabVariable[],
  files: TokenformTokenFile[],
): void {
  switch (d.kind) {
    case "github":
      github.push(
        definedOnly({
          repository: d.repository,
          environment: d.environment,
          organization: d.organization,
          visibility: d.visibility,
          repositories: d.repositories ? [...d.repositories] : undefined,
          secret: d.secret,
        }),
      );
      return;
    case "gitlab":
      gitlab.push(
        definedOnly({
          project: d.project,
          group: d.group,
          variable: d.variable,
          environmentScope: d.environmentScope,
          protected: d.protected,
          masked: d.masked,
          hidden: d.hidden,
          raw: d.raw,
        }),
      );
      return;
    case "file":
      // A derived key is left to the provider, which keeps the key the file already has (a rename never
      // renames the variable) and derives it from the name only for a new file.
      files.push({ path: d.path, format: d.format, ...(d.keyDerived ? {} : { key: d.key }) });
      return;
  }
}

/** `value` without its undefined fields (so synthesized JSON has no nulls for unset attributes). */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
