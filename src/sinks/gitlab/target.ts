/**
 * Where a GitLab destination lives: a project or a group, by path (`acme/backend`) or numeric id. One
 * place maps it to its URL-encoded REST path and to the words used in messages.
 */
import type { GitlabDestination } from "../../spec/resolved.js";

/** A resolved GitLab variable target. */
export interface GitlabTarget {
  container: "project" | "group";
  /** Path or id as written in the spec (`acme/backend`, `42`). */
  ref: string;
  /** REST prefix, e.g. `/projects/acme%2Fbackend`. */
  basePath: string;
  key: string;
  environmentScope: string;
}

/** Maps a destination to its target; throws (a bug in the resolver) when neither project nor group is set. */
export function gitlabTarget(d: GitlabDestination): GitlabTarget {
  const container = d.project !== undefined ? "project" : "group";
  const ref = String(d.project ?? d.group ?? "");
  if (ref === "") throw new Error("GitLab destination needs a project or a group");
  return {
    container,
    ref,
    // A path is one URL segment with its slashes encoded (acme/backend → acme%2Fbackend); ids are digits.
    basePath: `/${container === "project" ? "projects" : "groups"}/${encodeURIComponent(ref)}`,
    key: d.variable,
    environmentScope: d.environmentScope,
  };
}

/** `GitLab project acme/backend` / `GitLab group acme`. */
export function describeContainer(t: GitlabTarget): string {
  return `GitLab ${t.container} ${t.ref}`;
}

/** What a token needs to manage this target's variables. */
export function gitlabPermissionHint(t: GitlabTarget): string {
  return t.container === "project"
    ? `the api scope and at least the Maintainer role on project ${t.ref}`
    : `the api scope and the Owner role on group ${t.ref}`;
}
