/**
 * Where a GitHub destination lives: a repository, one of its deployment environments, or an organisation.
 * One place maps a destination to its REST paths, its cache key and the words used in messages.
 */
import type { GithubDestination } from "../../spec/resolved.js";

/** A resolved GitHub secret target. */
export type GithubTarget =
  | { scope: "repository"; owner: string; repo: string; secret: string }
  | { scope: "environment"; owner: string; repo: string; environment: string; secret: string }
  | {
      scope: "organization";
      org: string;
      secret: string;
      visibility: "all" | "private" | "selected";
      /** `owner/repo` names that may use the secret (with `visibility: selected`). */
      repositories: string[];
    };

/** Maps a destination to its target; throws (a bug in the resolver) when it is neither repo nor org. */
export function githubTarget(d: GithubDestination): GithubTarget {
  const secret = d.secret.toUpperCase();
  if (d.organization) {
    return {
      scope: "organization",
      org: d.organization,
      secret,
      visibility: d.visibility ?? "private",
      repositories: (d.repositories ?? []).map((r) => (r.includes("/") ? r : `${d.organization}/${r}`)),
    };
  }
  const [owner, repo] = (d.repository ?? "").split("/");
  if (!owner || !repo) throw new Error(`GitHub destination needs a repository or an organization`);
  return d.environment
    ? { scope: "environment", owner, repo, environment: d.environment, secret }
    : { scope: "repository", owner, repo, secret };
}

/** Identifies the public key a target encrypts with (one per repository, environment or organisation). */
export function keyCacheKey(t: GithubTarget): string {
  switch (t.scope) {
    case "repository":
      return `repo:${t.owner}/${t.repo}`;
    case "environment":
      return `env:${t.owner}/${t.repo}/${t.environment}`;
    case "organization":
      return `org:${t.org}`;
  }
}

/** The container of the secret in words: `acme/backend`, `acme/backend (environment production)`, `organisation acme`. */
export function describeOwner(t: GithubTarget): string {
  switch (t.scope) {
    case "repository":
      return `${t.owner}/${t.repo}`;
    case "environment":
      return `${t.owner}/${t.repo} (environment ${t.environment})`;
    case "organization":
      return `organisation ${t.org}`;
  }
}

/** What a token needs to write this target's secrets, for messages about missing or refused credentials. */
export function permissionHint(t: GithubTarget): string {
  return t.scope === "organization"
    ? 'fine-grained tokens need the "Secrets" organisation permission (read and write), classic tokens the admin:org scope'
    : 'fine-grained tokens need the "Secrets" repository permission (read and write), classic tokens the repo scope';
}

/** What a 404 on this target's public key means, in words a person can act on. */
export function notFoundHint(t: GithubTarget): string {
  switch (t.scope) {
    case "repository":
      return `GitHub repository ${t.owner}/${t.repo} not found, or GITHUB_TOKEN cannot see it`;
    case "environment":
      return (
        `GitHub environment ${t.environment} of ${t.owner}/${t.repo} not found (create it under Settings → ` +
        `Environments), or the repository is not visible to GITHUB_TOKEN`
      );
    case "organization":
      return `GitHub organisation ${t.org} not found, or GITHUB_TOKEN cannot see it`;
  }
}
