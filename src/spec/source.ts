/**
 * Where things are in a source file: a small position tree (`SourceNode`) built from a parsed YAML
 * document, and the lookup from a document path (as zod reports it) to a line and column. Objects passed
 * in code (CDKTF) have no tree; their diagnostics carry the path only.
 */
import type { LineCounter } from "yaml";
import type { DiagnosticPath } from "./diagnostics.js";

/** Offsets (UTF-16 code units into the file text) of a node: `start` inclusive, `end` exclusive. */
interface NodeRange {
  start: number;
  end: number;
}

/** A mapping and its entries in source order. */
export interface SourceMap extends NodeRange {
  kind: "map";
  entries: SourceEntry[];
}

/** One `key: value` of a mapping; `key` is the key as the loaded object sees it. */
export interface SourceEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: SourceNode;
}

/** A sequence and its items. */
export interface SourceSeq extends NodeRange {
  kind: "seq";
  items: SourceNode[];
}

/** A scalar with its loaded value (string, number, boolean or null). */
export interface SourceScalar extends NodeRange {
  kind: "scalar";
  value: unknown;
}

export type SourceNode = SourceMap | SourceSeq | SourceScalar;

/** One document of a loaded file (or an object passed in code). */
export interface SourceDocument {
  /** File path as given or found, or the `origin` of an object. */
  file: string;
  /** Directory that relative `file` destinations are resolved against. */
  baseDir: string;
  /** The document as plain data (what the schema validates). */
  value: unknown;
  /** Position tree; absent for objects. */
  root?: SourceNode;
  /** Offset → line/column for this file; absent for objects. */
  lines?: LineCounter;
  /** The file text (for code frames and precise secret positions); absent for objects. */
  text?: string;
}

/** A resolved place: 1-based line/column of the start, and of the end of the node's first line. */
export interface Place {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Finds the entry for `key` in a mapping node. */
export function entryOf(node: SourceNode | undefined, key: string): SourceEntry | undefined {
  if (node?.kind !== "map") return undefined;
  for (const entry of node.entries) if (entry.key === key) return entry;
  return undefined;
}

/** The child of `node` at one path step, if present. */
export function childOf(node: SourceNode | undefined, step: string | number): SourceNode | undefined {
  if (!node) return undefined;
  if (node.kind === "seq") return typeof step === "number" ? node.items[step] : undefined;
  if (node.kind === "map") return entryOf(node, String(step))?.value;
  return undefined;
}

/**
 * The range a path points at. With `at: "key"` the last step's key is used (unknown keys, label keys);
 * otherwise its value. A path that runs past the tree (a missing key) stops at the deepest node found,
 * so "missing key" points at the mapping that lacks it.
 */
export function rangeAt(
  root: SourceNode | undefined,
  path: DiagnosticPath,
  at?: "key",
): NodeRange | undefined {
  let node = root;
  if (!node) return undefined;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    if (at === "key" && i === path.length - 1 && node.kind === "map") {
      const entry = entryOf(node, String(step));
      return entry ? { start: entry.keyStart, end: entry.keyEnd } : node;
    }
    const next: SourceNode | undefined = childOf(node, step);
    if (!next) return firstKeyOrNode(node);
    node = next;
  }
  return node;
}

/** A mapping that lacks a key is best pointed at by its first key (the mapping's own start). */
function firstKeyOrNode(node: SourceNode): NodeRange {
  if (node.kind === "map" && node.entries.length > 0) {
    const first = node.entries[0]!;
    return { start: first.keyStart, end: first.keyEnd };
  }
  return node;
}

/** Line and column (1-based) of a range; the end is clipped to the start line for underlining. */
export function placeOf(lines: LineCounter, text: string | undefined, range: NodeRange): Place {
  const start = lines.linePos(range.start);
  let endOffset = Math.max(range.end, range.start + 1);
  if (text !== undefined) {
    const newline = text.indexOf("\n", range.start);
    if (newline >= 0 && newline < endOffset) endOffset = Math.max(newline, range.start + 1);
  }
  const end = lines.linePos(endOffset);
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
}

/** The plain value at a path (for messages such as "got a number"). */
export function valueAt(value: unknown, path: DiagnosticPath): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}
