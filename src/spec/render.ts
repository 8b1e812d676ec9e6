/**
 * Renders spec diagnostics for people and machines: terminal text with a code frame, JSON, and GitHub
 * workflow-command annotations (`::error file=…,line=…::…`) that the Action reuses. Pure string
 * functions over the diagnostic data; they live beside the spec (not in the CLI) because the CLI, the
 * Action and the plan commands all print the same diagnostics. Source lines are shown with anything
 * secret-looking masked.
 */
import { readFileSync } from "node:fs";
import { countDiagnostics, type Diagnostic, formatPath } from "./diagnostics.js";
import { findSecrets } from "./secrets.js";

/** Output formats of `tokenform validate --format`. */
export const DIAGNOSTIC_FORMATS = ["text", "json", "github"] as const;
export type DiagnosticFormat = (typeof DIAGNOSTIC_FORMATS)[number];

/** Options for rendering. */
export interface RenderOptions {
  format?: DiagnosticFormat;
  /** ANSI colours (text format only). */
  color?: boolean;
  /** File texts for code frames (from `SpecResult.sources`); when absent, files are read from disk. */
  sources?: ReadonlyMap<string, string>;
  /** Lines of context shown above and below the offending line (default 1). */
  contextLines?: number;
}

const ANSI = {
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
  reset: "\u001b[0m",
};

/** Renders every diagnostic in `format` (text by default); the result ends with a newline unless empty. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], options: RenderOptions = {}): string {
  const format = options.format ?? "text";
  if (format === "json") return `${JSON.stringify({ diagnostics }, null, 2)}\n`;
  if (diagnostics.length === 0) return "";
  if (format === "github") return diagnostics.map((d) => `${githubAnnotation(d)}\n`).join("");
  const sources = options.sources ?? readSources(diagnostics);
  return diagnostics.map((d) => renderDiagnosticText(d, { ...options, sources })).join("\n");
}

/** One diagnostic as terminal text: `file:line:col: error[code] message`, then a code frame. */
export function renderDiagnosticText(d: Diagnostic, options: RenderOptions = {}): string {
  const paint = painter(options.color === true);
  const where = d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
  const label = paint(d.severity === "error" ? "red" : "yellow", `${d.severity}[${d.code}]`);
  let out = `${paint("bold", where)}: ${label} ${d.message}\n`;
  if (d.line === undefined && d.path.length > 0) out += `  at ${formatPath(d.path)}\n`;
  const source = options.sources?.get(d.file);
  if (source !== undefined && d.line !== undefined)
    out += codeFrame(source, d, options.contextLines ?? 1, paint);
  return out;
}

/**
 * A code frame: the offending line with a few around it, a `>` marker and a caret underline. Lines are
 * passed through `redactSecrets`, so a pasted secret is never echoed.
 */
export function codeFrame(
  source: string,
  d: Pick<Diagnostic, "line" | "column" | "endLine" | "endColumn" | "severity">,
  context = 1,
  paint: Painter = painter(false),
): string {
  const lines = source.split(/\r?\n/);
  const line = d.line ?? 1;
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  let out = "";
  for (let n = first; n <= last; n++) {
    const original = lines[n - 1] ?? "";
    const { text, at } = masked(original);
    const gutter = `${String(n).padStart(width)} |`;
    if (n === line) {
      out += `${paint("bold", ">")} ${paint("dim", gutter)}${text ? ` ${text}` : ""}\n`;
      const startIndex = Math.max(0, (d.column ?? 1) - 1);
      const endIndex = d.endLine === line && d.endColumn !== undefined ? d.endColumn - 1 : original.length;
      const from = at(Math.min(startIndex, original.length));
      const to = Math.min(at(Math.max(endIndex, startIndex + 1), true), text.length);
      const caret = paint(d.severity === "error" ? "red" : "yellow", "^".repeat(Math.max(1, to - from)));
      out += `  ${paint("dim", `${" ".repeat(width)} |`)} ${" ".repeat(from)}${caret}\n`;
    } else {
      out += `  ${paint("dim", gutter)}${text ? ` ${text}` : ""}\n`;
    }
  }
  return out;
}

/**
 * A source line with secret-looking substrings replaced by their safe prefix, and a map from a character
 * index of the original line to the masked one (so the caret still points at the right place).
 */
function masked(line: string): { text: string; at: (index: number, end?: boolean) => number } {
  const found = findSecrets(line);
  if (found.length === 0) return { text: line, at: (index) => index };
  let text = "";
  let from = 0;
  const spans: Array<{ start: number; end: number; maskedStart: number; maskedEnd: number }> = [];
  for (const f of found) {
    text += line.slice(from, f.index);
    const maskedStart = text.length;
    text += `${f.shown}…`;
    spans.push({ start: f.index, end: f.index + f.length, maskedStart, maskedEnd: text.length });
    from = f.index + f.length;
  }
  text += line.slice(from);
  const at = (index: number, end = false) => {
    let shift = 0;
    for (const span of spans) {
      if (index >= span.end) shift = span.maskedEnd - span.end;
      else if (index > span.start || (end && index === span.end))
        return end ? span.maskedEnd : span.maskedStart;
    }
    return index + shift;
  };
  return { text, at };
}

/** `error`/`warning` lines and the final verdict, e.g. `✓ 12 tokens valid in 3 files`. */
export function renderSummary(
  result: { diagnostics: readonly Diagnostic[]; tokenCount: number; files: readonly string[] },
  options: { color?: boolean } = {},
): string {
  const paint = painter(options.color === true);
  const { errors, warnings } = countDiagnostics(result.diagnostics);
  const files = plural(result.files.length, "file");
  const tokens = plural(result.tokenCount, "token");
  if (errors === 0) {
    const suffix = warnings > 0 ? ` (${plural(warnings, "warning")})` : "";
    return `${paint("bold", "✓")} ${tokens} valid in ${files}${suffix}\n`;
  }
  const counts = [plural(errors, "error"), ...(warnings > 0 ? [plural(warnings, "warning")] : [])].join(", ");
  return `${paint("red", "✗")} ${counts} in ${files} (${tokens} declared)\n`;
}

/** The machine-readable report of a validation (`--format json`). */
export function specReport(result: {
  diagnostics: readonly Diagnostic[];
  tokenCount: number;
  files: readonly string[];
}) {
  const { errors, warnings } = countDiagnostics(result.diagnostics);
  return {
    valid: errors === 0,
    files: [...result.files],
    tokens: result.tokenCount,
    errors,
    warnings,
    diagnostics: result.diagnostics,
  };
}

/**
 * One GitHub Actions workflow command for a diagnostic: `::error file=…,line=…,col=…,endColumn=…,
 * title=…::message` (or `::warning`). Properties and data are escaped as the runner expects
 * (`%`, CR, LF everywhere; `:` and `,` also in properties), so a message can never end the command early
 * or inject another one.
 */
export function githubAnnotation(d: Diagnostic): string {
  const props: string[] = [`file=${escapeGithubProperty(d.file)}`];
  if (d.line !== undefined) {
    props.push(`line=${d.line}`);
    if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
    if (d.column !== undefined) props.push(`col=${d.column}`);
    if (d.endColumn !== undefined && d.endLine === d.line) props.push(`endColumn=${d.endColumn}`);
  }
  props.push(`title=${escapeGithubProperty(`tokenform ${d.code}`)}`);
  const message =
    d.line === undefined && d.path.length > 0 ? `${formatPath(d.path)}: ${d.message}` : d.message;
  return `::${d.severity} ${props.join(",")}::${escapeGithubData(message)}`;
}

/** Escapes the message part of a workflow command. */
export function escapeGithubData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a property value of a workflow command. */
export function escapeGithubProperty(text: string): string {
  return escapeGithubData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** Reads the files diagnostics point into (for code frames when the caller passed no sources). */
function readSources(diagnostics: readonly Diagnostic[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of diagnostics) {
    if (d.line === undefined || out.has(d.file)) continue;
    try {
      out.set(d.file, readFileSync(d.file, "utf8"));
    } catch {
      // No frame for a file that cannot be read (an object's origin, a deleted file).
    }
  }
  return out;
}

type Colour = keyof typeof ANSI;
/** Wraps text in a colour when colours are on. */
export type Painter = (colour: Colour, text: string) => string;

function painter(on: boolean): Painter {
  return on ? (colour, text) => `${ANSI[colour]}${text}${ANSI.reset}` : (_colour, text) => text;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
