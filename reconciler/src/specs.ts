/**
 * Finding and loading the specs the `specs` input names. The CLI gets glob patterns expanded by the shell;
 * an Action input is a plain string, so patterns (`tokens/**\/*.yaml`) are expanded here before the spec
 * library's `loadTokenSet` (which takes files and directories) does the real work. Also: the owner of a
 * set whose specs are broken (so a failed run still finds its pull-request comment), and paths made
 * relative to the repository root, as GitHub annotations need them.
 */
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { isAbsolute, join, matchesGlob, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Diagnostic } from "../../src/spec/diagnostics.js";
import { loadTokenSet, type SpecResult } from "../../src/spec/load.js";

const GLOB_CHARS = /[*?[\]{}]/;
/** Directories never searched by a pattern (as the loader skips them for directories). */
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);

/** A path as GitHub shows it: forward slashes, no leading `./`. */
function posix(path: string): string {
  return path.split(sep).join("/").replace(/^\.\//, "");
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) await walk(full, out);
    } else if (entry.isFile()) out.push(full);
  }
}

/** The files a glob pattern matches below `cwd`, sorted; the pattern's fixed leading directories bound the walk. */
export async function expandPattern(pattern: string, cwd: string): Promise<string[]> {
  const normalized = posix(pattern);
  const parts = normalized.split("/");
  const fixed: string[] = [];
  for (const part of parts) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  const base = resolve(cwd, fixed.join("/") || ".");
  const found: string[] = [];
  await walk(base, found);
  const absolute = isAbsolute(normalized);
  return found
    .map((file) => (absolute ? posix(file) : posix(relative(cwd, file))))
    .filter((file) => matchesGlob(file, normalized))
    .sort();
}

/**
 * Loads the set named by `patterns` (files, directories, glob patterns). A pattern that matches nothing
 * is an error diagnostic, like a missing file.
 */
export async function loadSpecs(patterns: readonly string[], cwd: string): Promise<SpecResult> {
  const paths: string[] = [];
  const unmatched: Diagnostic[] = [];
  for (const pattern of patterns) {
    if (!GLOB_CHARS.test(pattern)) {
      paths.push(pattern);
      continue;
    }
    const files = await expandPattern(pattern, cwd);
    if (files.length === 0) {
      unmatched.push({
        severity: "error",
        code: "no_spec_files",
        message: `the specs pattern ${pattern} matches no files`,
        file: pattern,
        path: [],
      });
    }
    for (const file of files) if (!paths.includes(file)) paths.push(file);
  }
  if (paths.length === 0) {
    return { diagnostics: unmatched, tokenCount: 0, files: [], sources: new Map() };
  }
  const result = await loadTokenSet(paths, { cwd });
  if (unmatched.length === 0) return result;
  const { set: _dropped, ...rest } = result;
  return { ...rest, diagnostics: [...unmatched, ...result.diagnostics] };
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
