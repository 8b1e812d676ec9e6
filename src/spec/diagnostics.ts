/**
 * Diagnostics: what a person got wrong in a TokenSpec, as plain data. Every check in `src/spec` reports
 * through this shape; rendering (terminal code frame, JSON, GitHub annotations, Terraform diagnostics) is
 * the front end's job and lives elsewhere.
 */

/**
 * Every diagnostic code. A closed union: front ends may switch on it, tests assert it, and a new check
 * adds a member here (never a free-form string).
 */
export const DIAGNOSTIC_CODES = [
  // Reading files and YAML.
  "file_not_found",
  "no_spec_files",
  "spec_too_large",
  "yaml_syntax",
  "yaml_too_deep",
  "duplicate_key",
  "empty_document",
  // Shape of a document (from the zod schema).
  "unknown_key",
  "missing_key",
  "invalid_type",
  "invalid_value",
  "out_of_range",
  "unsupported_api_version",
  "wrong_kind",
  // Values with their own grammar.
  "invalid_name",
  "invalid_owner",
  "invalid_scope",
  "invalid_tool_pattern",
  "invalid_duration",
  "invalid_datetime",
  "invalid_cidr",
  "invalid_label_key",
  "invalid_label_value",
  "reserved_label",
  "invalid_repository",
  "invalid_secret_name",
  "reserved_secret_name",
  "invalid_variable_name",
  "invalid_destination",
  "invalid_url",
  // Rules between fields of one token.
  "conflicting_expiry",
  "overlap_not_shorter",
  "rotation_not_shorter",
  "expiry_in_past",
  "write_scope_read_only",
  "invalid_rename",
  "pickup_without_holder",
  "pickup_with_deliver",
  // Rules across the whole set.
  "duplicate_name",
  "duplicate_destination",
  "owner_mismatch",
  "conflicting_defaults",
  "raw_secret",
] as const;

/** A stable machine-readable reason; see `DIAGNOSTIC_CODES`. */
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

/** `error` makes the set invalid; `warning` is printed but the set stays usable. */
export type Severity = "error" | "warning";

/** A path into the document, as zod reports it: keys and array indexes from the document root. */
export type DiagnosticPath = ReadonlyArray<string | number>;

/** Another place a diagnostic refers to (the first declaration of a duplicate name, say). */
export interface RelatedLocation {
  /** File (as loaded) or the origin given for an object. */
  file: string;
  /** 1-based line; absent for objects (no source text). */
  line?: number;
  /** 1-based column; absent for objects. */
  column?: number;
  path: DiagnosticPath;
}

/** One problem found in a spec. Never contains a secret: values that look like one are shown as a prefix. */
export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** One or two sentences saying what is wrong and how to fix it. */
  message: string;
  /** The file (as given or found by the loader) or, for objects, the `origin` passed by the caller. */
  file: string;
  /** 1-based line of the offending node; absent for objects and for whole-file problems. */
  line?: number;
  /** 1-based column (in characters); absent when `line` is. */
  column?: number;
  /** Last line of the offending node's first token, for underlining; absent when `line` is. */
  endLine?: number;
  /** Column just after the offending token; absent when `line` is. */
  endColumn?: number;
  /** Where in the document; `[]` for the whole document or file. */
  path: DiagnosticPath;
  /** Other places involved (the other side of a duplicate or a mismatch); absent when none. */
  related?: RelatedLocation[];
}

/** True when at least one diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Counts errors and warnings. */
export function countDiagnostics(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === "error") errors++;
  return { errors, warnings: diagnostics.length - errors };
}

/** `file:line:column` (or just the file) for messages that point at another place. */
export function formatLocation(at: {
  file: string;
  line?: number;
  column?: number;
  path?: DiagnosticPath;
}): string {
  if (at.line !== undefined) return `${at.file}:${at.line}:${at.column ?? 1}`;
  return at.path && at.path.length > 0 ? `${at.file} at ${formatPath(at.path)}` : at.file;
}

/** A document path as people write it: `tokens[2].deliver[0].github.secret`. */
export function formatPath(path: DiagnosticPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || "(document)";
}

/**
 * Stable order for output: by file (in the order files were loaded), then line, then column; diagnostics
 * without a line keep their relative order at the start of their file.
 */
export function sortDiagnostics(diagnostics: Diagnostic[], fileOrder: readonly string[] = []): Diagnostic[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = rank.get(a.d.file) ?? Number.MAX_SAFE_INTEGER;
      const fb = rank.get(b.d.file) ?? Number.MAX_SAFE_INTEGER;
      if (fa !== fb) return fa - fb;
      if (a.d.file !== b.d.file) return a.d.file < b.d.file ? -1 : 1;
      const la = a.d.line ?? 0;
      const lb = b.d.line ?? 0;
      if (la !== lb) return la - lb;
      const ca = a.d.column ?? 0;
      const cb = b.d.column ?? 0;
      return ca !== cb ? ca - cb : a.i - b.i;
    })
    .map(({ d }) => d);
}
