/**
 * Finding and loading the specs the `specs` input names (files, directories and glob patterns such as
 * `tokens/**\/*.yaml`, which the spec loader expands as it does for every front end). Also: the owner of a
 * set whose specs are broken (so a failed run still finds its pull-request comment), and paths made
 * relative to the repository root, as GitHub annotations need them.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Diagnostic } from "../../src/spec/diagnostics.js";
import { loadTokenSet, type SpecResult } from "../../src/spec/load.js";

/** A path as GitHub shows it: forward slashes, no leading `./`. */
function posix(path: string): string {
  return path.split(sep).join("/").replace(/^\.\//, "");
}

/**
 * Loads the set named by `patterns` (files, directories, glob patterns): the spec loader expands patterns
 * for every front end, and a pattern that matches nothing is an error diagnostic, like a missing file.
 */
export function loadSpecs(patterns: readonly string[], cwd: string): Promise<SpecResult> {
  return loadTokenSet([...patterns], { cwd });
}

/**
 * The set's owner: from the resolved set, or, when the specs are broken, the first `metadata.owner`
 * string any spec file declares (so the same pull-request comment is found and updated).
 */
export async function ownerOf(result: SpecResult, cwd: string): Promise<string | undefined> {
  if (result.set) return result.set.owner;
  for (const file of result.files) {
    let text: string;
    try {
      text = result.sources.get(file) ?? (await readFile(resolve(cwd, file), "utf8"));
    } catch {
      continue;
    }
    for (const doc of parseAllDocuments(text)) {
      if (!("toJS" in doc)) continue;
      let value: unknown;
      try {
        value = doc.toJS();
      } catch {
        continue;
      }
      const owner = (value as { metadata?: { owner?: unknown } } | null)?.metadata?.owner;
      if (typeof owner === "string" && owner.trim() !== "") return owner.trim();
    }
  }
  return undefined;
}

/** A file path relative to the repository root (`workspace`), as annotations and the PR's files use. */
export function repoPath(file: string, cwd: string, workspace: string): string {
  const rel = relative(workspace, resolve(cwd, file));
  return rel.startsWith("..") || isAbsolute(rel) ? posix(file) : posix(rel);
}

/** The diagnostics with their files (and related locations) made repository-relative. */
export function withRepoPaths(
  diagnostics: readonly Diagnostic[],
  cwd: string,
  workspace: string,
): Diagnostic[] {
  return diagnostics.map((d) => ({
    ...d,
    file: repoPath(d.file, cwd, workspace),
    ...(d.related
      ? { related: d.related.map((r) => ({ ...r, file: repoPath(r.file, cwd, workspace) })) }
      : {}),
  }));
}
