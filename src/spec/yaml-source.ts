/**
 * Reads the text of one spec file into documents with position trees, or syntax diagnostics.
 *
 * Multi-document files: every non-empty document (`---` separated) is a TokenSet of its own that joins
 * the set exactly as a separate file would (same owner, unique names). Empty documents are skipped; a
 * file with no document at all is an error, since it is almost always a mistake.
 *
 * The `yaml` package is the reference reader. Plain files take the fast path in `yaml-fast.ts` first,
 * which yields identical results for the subset it accepts and defers everything else to `yaml`.
 */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  type YAMLError,
} from "yaml";
import type { Diagnostic } from "./diagnostics.js";
import { MAX_YAML_ALIASES } from "./limits.js";
import type { SourceEntry, SourceNode } from "./source.js";
import { MAX_NESTING_DEPTH, parseYamlFast } from "./yaml-fast.js";

/** What reading one file gives: its documents (plain value + tree) and any syntax diagnostics. */
export interface ParsedFile {
  documents: Array<{ value: unknown; root: SourceNode }>;
  lines: LineCounter;
  diagnostics: Diagnostic[];
  /**
   * `yaml`'s documents, when the file was read by `yaml`. Absent when the fast reader read it: then every
   * scalar's value is its source text (but for `''` in single quotes, which no credential contains), so
   * the secret scan of decoded values has nothing to add to the scan of the raw text.
   */
  composed?: Document.Parsed[];
}

/** Parses `text` (the content of `file`) as a YAML stream. Never throws for bad input. */
export function parseSpecText(text: string, file: string): ParsedFile {
  const fast = parseYamlFast(text);
  if (fast) {
    const lines = new LineCounter();
    lines.addNewLine(0);
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
    return { documents: fast, lines, diagnostics: fast.length === 0 ? [emptyFile(file)] : [] };
  }
  return parseWithYaml(text, file);
}

/** The reference path: `yaml`'s parser and composer, every error and warning reported. */
export function parseWithYaml(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const documents: ParsedFile["documents"] = [];
  const diagnostics: Diagnostic[] = [];
  const report = (error: YAMLError, severity: "error" | "warning") => {
    const start = lines.linePos(error.pos[0]);
    const end = lines.linePos(Math.max(error.pos[1], error.pos[0] + 1));
    // yaml reports a stack overflow of its composer (very deep nesting) as RESOURCE_EXHAUSTION.
    const tooDeep = error.code === "RESOURCE_EXHAUSTION";
    diagnostics.push({
      severity,
      code: error.code === "DUPLICATE_KEY" ? "duplicate_key" : tooDeep ? "yaml_too_deep" : "yaml_syntax",
      message: tooDeep ? TOO_DEEP_MESSAGE : syntaxMessage(error),
      file,
      line: Math.max(start.line, 1),
      column: start.col,
      endLine: Math.max(end.line, 1),
      endColumn: end.col,
      path: [],
    });
  };
  const { docs, tooDeep } = composeYaml(text, lines);
  for (const offset of tooDeep) {
    const at = lines.linePos(offset);
    diagnostics.push({
      severity: "error",
      code: "yaml_too_deep",
      message: TOO_DEEP_MESSAGE,
      file,
      line: Math.max(at.line, 1),
      column: Math.max(at.col, 1),
      path: [],
    });
  }
  for (const doc of docs) {
    for (const error of doc.errors) report(error, "error");
    for (const warning of doc.warnings) report(warning, "warning");
    const empty = doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
    if (doc.errors.length > 0 || empty) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (error) {
      const at = lines.linePos(doc.contents?.range?.[0] ?? 0);
      diagnostics.push({
        severity: "error",
        code: "yaml_syntax",
        message: `this document cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        file,
        line: Math.max(at.line, 1),
        column: at.col,
        path: [],
      });
      continue;
    }
    documents.push({ value, root: toSourceNode(doc.contents, doc, new Map()) });
  }
  if (documents.length === 0 && !diagnostics.some((d) => d.severity === "error"))
    diagnostics.push(emptyFile(file));
  return { documents, lines, diagnostics, composed: docs };
}

/**
 * `yaml`'s parseAllDocuments in two steps, safe on any input: the syntax tree of each document is checked
 * for depth before it is composed; a document nested deeper than `MAX_NESTING_DEPTH` is left out and the
 * offset of its first too-deep collection returned in `tooDeep`. `lines`, when given, collects the line
 * starts. The spec reader and the secret scan of decoded scalars (`secret-scan.ts`) both read YAML here.
 */
export function composeYaml(
  text: string,
  lines?: LineCounter,
): { docs: Document.Parsed[]; tooDeep: number[] } {
  const tokens: CST.Token[] = [];
  const tooDeep: number[] = [];
  for (const token of new Parser(lines?.addNewLine).parse(text)) {
    const deep = token.type === "document" ? tooDeepOffset(token) : undefined;
    if (deep === undefined) tokens.push(token);
    else tooDeep.push(deep);
  }
  const composer = new Composer({
    uniqueKeys: true,
    // Problems are reported as diagnostics; nothing goes to the process warning channel.
    logLevel: "silent",
  });
  return { docs: [...composer.compose(tokens, true, text.length)], tooDeep };
}

const TOO_DEEP_MESSAGE =
  `collections are nested more than ${MAX_NESTING_DEPTH} levels deep here; a TokenSet needs about six, ` +
  "so this file is almost certainly not a spec (or was generated wrongly)";

/**
 * The offset of the first collection nested deeper than `MAX_NESTING_DEPTH` in one document of `yaml`'s
 * concrete syntax tree (the document's top collection is level 1), or undefined. Walked with an explicit
 * stack before anything recursive sees the tree: `yaml`'s composer recurses once per level, and near the
 * end of the stack V8 may even abort the process (a regular expression compiled there fails to allocate)
 * instead of throwing. Aliases are not followed; their expansion is bounded by `MAX_YAML_ALIASES`.
 */
function tooDeepOffset(document: CST.Document): number | undefined {
  const stack: Array<{ token: CST.Token | null | undefined; depth: number }> = [
    { token: document.value, depth: 0 },
  ];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { token, depth } = next;
    if (!token) continue;
    if (token.type === "block-map" || token.type === "block-seq" || token.type === "flow-collection") {
      if (depth + 1 > MAX_NESTING_DEPTH) return token.offset;
      for (const item of token.items) {
        if ("key" in item) stack.push({ token: item.key, depth: depth + 1 });
        stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function emptyFile(file: string): Diagnostic {
  return {
    severity: "error",
    code: "empty_document",
    message:
      "this file has no TokenSet document; add one (apiVersion, kind, metadata, tokens) or remove the file",
    file,
    path: [],
  };
}

/** `yaml`'s messages without its own position suffix (we report line and column separately). */
function syntaxMessage(error: YAMLError): string {
  const text = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "").trim();
  if (error.code === "DUPLICATE_KEY") return `${text}: this key appears twice in the same mapping; keep one`;
  return `YAML syntax error: ${text}`;
}

/** Converts `yaml`'s node tree to our position tree (aliases resolve to their anchored node). */
function toSourceNode(node: unknown, doc: Document.Parsed, seen: Map<unknown, SourceNode>): SourceNode {
  const known = seen.get(node);
  if (known) return known;
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target || seen.has(node)) return emptyAt(node.range?.[0] ?? 0);
    const placeholder = emptyAt(node.range?.[0] ?? 0);
    seen.set(node, placeholder);
    const resolved = toSourceNode(target, doc, seen);
    seen.set(node, resolved);
    return resolved;
  }
  const range = (node as Node | null)?.range ?? [0, 0, 0];
  if (isMap(node)) {
    const out: SourceNode = { kind: "map", start: range[0], end: range[1], entries: [] };
    seen.set(node, out);
    for (const pair of node.items) {
      const key = pair.key;
      const keyRange = (key as Node | null)?.range ?? range;
      const keyValue = isScalar(key) ? key.value : key;
      if (keyValue !== null && typeof keyValue === "object") continue;
      const entry: SourceEntry = {
        key: keyValue === null || keyValue === undefined ? "" : String(keyValue),
        keyStart: keyRange[0],
        keyEnd: keyRange[1],
        value: pair.value === null ? emptyAt(keyRange[1]) : toSourceNode(pair.value, doc, seen),
      };
      out.entries.push(entry);
    }
    return out;
  }
  if (isSeq(node)) {
    const out: SourceNode = { kind: "seq", start: range[0], end: range[1], items: [] };
    seen.set(node, out);
    for (const item of node.items) out.items.push(toSourceNode(item, doc, seen));
    return out;
  }
  if (isScalar(node)) return { kind: "scalar", start: range[0], end: range[1], value: node.value };
  return emptyAt(range[0]);
}

function emptyAt(offset: number): SourceNode {
  return { kind: "scalar", start: offset, end: offset, value: null };
}
