/**
 * The entry points of the spec library: load a TokenSet from files or a directory, from texts already in
 * memory, or from an object built in code (CDKTF). Each returns every diagnostic at once and, when there
 * is no error, the resolved set. Bad input never throws; only a system fault (an unreadable disk) does.
 *
 * A directory means every `*.yaml` / `*.yml` below it (`tokens/**\/*.yaml`), skipping hidden directories
 * and `node_modules`, in sorted order. Several files (and several documents in one file) merge into one set.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { globSync } from "tinyglobby";
import { type Diagnostic, sortDiagnostics } from "./diagnostics.js";
import { MAX_SPEC_FILE_BYTES } from "./limits.js";
import type { SourceDocument } from "./source.js";
import {
  fileSecretDiagnostics,
  redactDiagnostics,
  TokenSetValidator,
  type ValidateOptions,
  type ValidationOutcome,
  validateDocuments,
} from "./validate.js";
import { parseSpecText } from "./yaml-source.js";

/** The result of loading or validating a set. */
export interface SpecResult extends ValidationOutcome {
  /** Files read, in load order (for objects: the origin). */
  files: string[];
  /** Text of each file that has a diagnostic, for code frames. Empty for objects. */
  sources: ReadonlyMap<string, string>;
}

/** Options for loading from disk. */
export interface LoadOptions extends ValidateOptions {
  /** Directory relative paths are taken from (default: the process's working directory). */
  cwd?: string;
}

/** A spec text already in memory. */
export interface SpecSource {
  /** Name shown in diagnostics (a path). */
  file: string;
  text: string;
  /** Directory relative `file` destinations resolve against (default: the directory of `file`). */
  baseDir?: string;
}

const SPEC_EXTENSIONS = [".yaml", ".yml"];

/** Loads, validates and resolves the TokenSet in `paths` (files and/or directories). */
export async function loadTokenSet(
  paths: string | readonly string[],
  options: LoadOptions = {},
): Promise<SpecResult> {
  const cwd = options.cwd ?? process.cwd();
  const { files, problems } = discoverAll(paths, cwd);
  const sources = await Promise.all(
    files.map(async (file) => ({
      file,
      text: await readFile(resolve(cwd, file), "utf8"),
      baseDir: resolve(cwd, dirname(file)),
    })),
  );
  return loadWithProblems(sources, problems, options);
}

/** `loadTokenSet` for callers that cannot await (a CDKTF construct's constructor). */
export function loadTokenSetSync(paths: string | readonly string[], options: LoadOptions = {}): SpecResult {
  const cwd = options.cwd ?? process.cwd();
  const { files, problems } = discoverAll(paths, cwd);
  const sources = files.map((file) => ({
    file,
    text: readFileSync(resolve(cwd, file), "utf8"),
    baseDir: resolve(cwd, dirname(file)),
  }));
  return loadWithProblems(sources, problems, options);
}

/**
 * Validates and resolves spec texts already in memory (tests, the Action reading a pull request). Files
 * are parsed and checked one at a time, so only one file's position tree is alive at once.
 */
export function loadTokenSetFromSources(
  sources: readonly SpecSource[],
  options: ValidateOptions = {},
): SpecResult {
  const diagnostics: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const validator = new TokenSetValidator(options);
  for (const source of sources) {
    const bytes = Buffer.byteLength(source.text);
    if (bytes > MAX_SPEC_FILE_BYTES) {
      diagnostics.push(tooLarge(source.file, bytes));
      continue;
    }
    texts.set(source.file, source.text);
    const parsed = parseSpecText(source.text, source.file);
    diagnostics.push(...parsed.diagnostics);
    const docs = parsed.documents.map(
      (doc): SourceDocument => ({
        file: source.file,
        baseDir: source.baseDir ?? resolve(dirname(source.file)),
        value: doc.value,
        root: doc.root,
        lines: parsed.lines,
        text: source.text,
      }),
    );
    for (const doc of docs) validator.add(doc);
    diagnostics.push(...fileSecretDiagnostics(source.file, source.text, parsed.lines, docs, parsed.composed));
  }
  if (sources.length === 0) {
    diagnostics.push({
      severity: "error",
      code: "no_spec_files",
      message: "no spec files were given",
      file: ".",
      path: [],
    });
  }
  const outcome = validator.finish();
  const all = sortDiagnostics(redactDiagnostics([...diagnostics, ...outcome.diagnostics]), [...texts.keys()]);
  const errors = all.some((d) => d.severity === "error");
  // Keep the text of files that have something to show (code frames); a valid large set keeps none.
  const shown = new Map<string, string>();
  for (const d of all) if (!shown.has(d.file) && texts.has(d.file)) shown.set(d.file, texts.get(d.file)!);
  return {
    diagnostics: all,
    ...(errors || !outcome.set ? {} : { set: outcome.set }),
    tokenCount: outcome.tokenCount,
    files: [...texts.keys()],
    sources: shown,
  };
}

/**
 * Validates and resolves a TokenSet given as an object (the same shape as the YAML; CDKTF passes these).
 * Diagnostics carry `file: origin` and a `path`, no line or column.
 */
export function validateTokenSetObject(
  input: unknown,
  options: ValidateOptions & {
    /** Named in every diagnostic's `file`, e.g. the construct path `MyStack/tokens`. */
    origin: string;
    /** Directory relative `file` destinations resolve against (default: the working directory). */
    baseDir?: string;
  },
): SpecResult {
  const doc: SourceDocument = {
    file: options.origin,
    baseDir: options.baseDir ?? process.cwd(),
    value: input,
  };
  const outcome = validateDocuments([doc], options);
  return { ...outcome, files: [options.origin], sources: new Map() };
}

/** Characters that make a path a glob pattern (`tokens/**\/*.yaml`). */
const GLOB_CHARS = /[*?[\]{}]/;

/**
 * The files a glob pattern matches below `cwd`, sorted, written as the pattern is (relative or absolute).
 * Shells expand patterns for the CLI; an Action input or a CDKTF option is a plain string, so the loader
 * expands them itself, with the same rules for every front end. Hidden directories and node_modules are
 * skipped, as for directories.
 */
function expandGlob(pattern: string, cwd: string): string[] {
  return globSync(pattern, {
    cwd,
    absolute: isAbsolute(pattern),
    onlyFiles: true,
    dot: false,
    ignore: ["**/node_modules/**"],
    expandDirectories: false,
  }).sort();
}

/** The spec files a path names, or the diagnostic that says why there are none. Shared by both loaders. */
function discover(path: string, cwd: string): { files?: string[]; problem?: Diagnostic } {
  const absolute = resolve(cwd, path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    if (GLOB_CHARS.test(path)) {
      const files = expandGlob(path, cwd);
      if (files.length > 0) return discoverMatches(files, cwd);
      return {
        problem: {
          severity: "error",
          code: "no_spec_files",
          message: `the pattern ${path} matches no files`,
          file: path,
          path: [],
        },
      };
    }
    return {
      problem: {
        severity: "error",
        code: "file_not_found",
        message: `${path} does not exist`,
        file: path,
        path: [],
      },
    };
  }
  if (!isDirectory) {
    const size = statSync(absolute).size;
    return size > MAX_SPEC_FILE_BYTES ? { problem: tooLarge(path, size) } : { files: [path] };
  }
  const found: string[] = [];
  walk(absolute, found);
  found.sort();
  const large = found.filter((file) => statSync(file).size > MAX_SPEC_FILE_BYTES);
  if (large.length > 0) {
    const file = large[0]!;
    return { problem: tooLarge(join(path, relative(absolute, file)), statSync(file).size) };
  }
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

/** A spec file over `MAX_SPEC_FILE_BYTES` is refused unread (src/spec/limits.ts). */
function tooLarge(file: string, bytes: number): Diagnostic {
  return {
    severity: "error",
    code: "spec_too_large",
    message:
      `${file} has ${bytes} bytes; a spec file may have at most ${MAX_SPEC_FILE_BYTES}. ` +
      "Split the set into several files in one directory, or check that this is the file you meant",
    file,
    path: [],
  };
}

/** The files a pattern matched, each held to the size limit. */
function discoverMatches(files: string[], cwd: string): { files?: string[]; problem?: Diagnostic } {
  for (const file of files) {
    const size = statSync(resolve(cwd, file)).size;
    if (size > MAX_SPEC_FILE_BYTES) return { problem: tooLarge(file, size) };
  }
  return { files };
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile() && SPEC_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(full);
  }
}

/** Every spec file `paths` names, without duplicates, and the problems found on the way. */
function discoverAll(
  paths: string | readonly string[],
  cwd: string,
): { files: string[]; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const files: string[] = [];
  for (const path of typeof paths === "string" ? [paths] : paths) {
    const found = discover(path, cwd);
    if (found.problem) problems.push(found.problem);
    for (const file of found.files ?? []) if (!files.includes(file)) files.push(file);
  }
  return { files, problems };
}

/** Loads `sources`, adding the discovery `problems` (with none found, the problems alone are the answer). */
function loadWithProblems(
  sources: SpecSource[],
  problems: Diagnostic[],
  options: ValidateOptions,
): SpecResult {
  if (sources.length === 0 && problems.length > 0) {
    return { diagnostics: problems, tokenCount: 0, files: [], sources: new Map() };
  }
  const result = loadTokenSetFromSources(sources, options);
  if (problems.length === 0) return result;
  return { ...result, diagnostics: [...problems, ...result.diagnostics], set: undefined };
}
