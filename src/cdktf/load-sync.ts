/**
 * Loading a TokenSet from files synchronously, for a construct's constructor (which cannot await). It
 * finds files by the rules of `loadTokenSet` in src/spec/load.ts — a directory means every `*.yaml` /
 * `*.yml` below it in sorted order, skipping hidden directories and `node_modules` — and hands the texts
 * to the same `loadTokenSetFromSources`, so diagnostics are exactly those of `tokenform validate`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Diagnostic } from "../spec/diagnostics.js";
import { loadTokenSetFromSources, type SpecResult, type SpecSource } from "../spec/load.js";
import type { ValidateOptions } from "../spec/validate.js";

const SPEC_EXTENSIONS = [".yaml", ".yml"];

/** Loads, validates and resolves the TokenSet in `paths` (files and/or directories, relative to `cwd`). */
export function loadTokenSetSync(
  paths: string | readonly string[],
  options: ValidateOptions & { cwd?: string } = {},
): SpecResult {
  const cwd = options.cwd ?? process.cwd();
  const problems: Diagnostic[] = [];
  const files: string[] = [];
  for (const path of typeof paths === "string" ? [paths] : paths) {
    const found = discover(path, cwd);
    if (found.problem) problems.push(found.problem);
    for (const file of found.files ?? []) if (!files.includes(file)) files.push(file);
  }
  const sources: SpecSource[] = files.map((file) => ({
    file,
    text: readFileSync(resolve(cwd, file), "utf8"),
    baseDir: resolve(cwd, dirname(file)),
  }));
  const result = loadTokenSetFromSources(sources, options);
  if (problems.length === 0) return result;
  return { ...result, diagnostics: [...problems, ...result.diagnostics], set: undefined };
}

/** The spec files a path names, or the diagnostic that says why there are none. */
function discover(path: string, cwd: string): { files?: string[]; problem?: Diagnostic } {
  const absolute = resolve(cwd, path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    return {
      problem: {
        severity: "error",
        code: "file_not_found",
        message: /[*?[{]/.test(path)
          ? `${path} does not exist; pass a directory (every *.yaml and *.yml below it is read) or the files themselves`
          : `${path} does not exist`,
        file: path,
        path: [],
      },
    };
  }
  if (!isDirectory) return { files: [path] };
  const found: string[] = [];
  walk(absolute, found);
  found.sort();
  if (found.length === 0) {
    return {
      problem: {
        severity: "error",
        code: "no_spec_files",
        message: `${path} has no .yaml or .yml files`,
        file: path,
        path: [],
      },
    };
  }
  return { files: found.map((file) => join(path, relative(absolute, file))) };
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile() && SPEC_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(full);
  }
}
