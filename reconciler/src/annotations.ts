/**
 * Annotations on files and lines: spec diagnostics and committed credentials become GitHub workflow
 * commands (`::error file=…,line=…::…`) through the spec library's renderer, so the CLI's
 * `--format github` and the Action print the same thing. A credential is shown by its prefix only.
 */
import type { Diagnostic } from "../../src/spec/diagnostics.js";
import { renderDiagnostics } from "../../src/spec/render.js";
import { leakMessage, type SecretLeak } from "../../src/spec/secret-scan.js";

/** A committed credential as a diagnostic (code `raw_secret`), pointing at its line and columns. */
export function leakDiagnostic(leak: SecretLeak): Diagnostic {
  return {
    severity: "error",
    code: "raw_secret",
    message: leakMessage(leak),
    file: leak.file,
    line: leak.line,
    column: leak.column,
    endLine: leak.line,
    endColumn: leak.endColumn,
    path: [],
  };
}

/**
 * Leaks not already reported by the spec loader (which flags a secret pasted into a spec file itself),
 * so one line never carries two identical annotations.
 */
export function newLeaks(leaks: readonly SecretLeak[], diagnostics: readonly Diagnostic[]): SecretLeak[] {
  const known = new Set(diagnostics.filter((d) => d.code === "raw_secret").map((d) => `${d.file}:${d.line}`));
  return leaks.filter((l) => !known.has(`${l.file}:${l.line}`));
}

/** Writes one workflow command per diagnostic to stdout, where the runner turns them into annotations. */
export function annotate(
  diagnostics: readonly Diagnostic[],
  out: NodeJS.WritableStream = process.stdout,
): void {
  const text = renderDiagnostics(diagnostics, { format: "github" });
  if (text) out.write(text);
}
