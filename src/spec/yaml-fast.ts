/**
 * A fast reader for the plain subset of YAML that spec files are written in: block mappings and
 * sequences, one-line flow collections (`[a, b]`, `{ k: v }`), one-line plain and quoted scalars,
 * comments and `---` document markers, with YAML 1.2 core-schema scalars.
 *
 * Why it exists: the `yaml` package reads about 2 MB/s on our CI machines, so a 10,000-token set
 * (~3 MB) takes ~1.5 s to parse alone, over the 1 s budget for load + validate + resolve. This reader
 * produces the same values and node offsets as `yaml` for the subset (a differential test over the
 * examples and thousands of mutated inputs checks that) and gives up — returns `undefined` — on anything
 * else: anchors, tags, block scalars, multi-line scalars or flows, escapes, tabs, CRLF, odd indentation,
 * duplicate keys, non-string keys, numbers other than plain decimal integers, nesting deeper than
 * `MAX_NESTING_DEPTH`. The caller then uses
 * `yaml`, which stays the reference and reports every syntax error.
 */
import { MAX_NESTING_DEPTH } from "./limits.js";
import type { SourceEntry, SourceNode } from "./source.js";

/** One parsed document: the plain value and its position tree. */
export interface FastDocument {
  value: unknown;
  root: SourceNode;
}

export { MAX_NESTING_DEPTH };

/** Thrown internally to abandon the fast path; never escapes this module. */
const GIVE_UP = Symbol("give up");

/** Keys the fast path accepts unquoted; anything else (spaces, `:` …) is left to `yaml`. */
const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$./@+-]*$/;
/** Scalars the core schema reads as something other than a string (yaml/dist/schema/core). */
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_INT = /^[-+]?[0-9]+$/;
/** Floats, octal, hex, infinity and NaN (the core schema's other tests): left to `yaml`. */
const CORE_OTHER_NUMBERS = [
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
];
/** First characters of every core-schema null, boolean and number (`~ n N t T f F . + -` and digits). */
const MAYBE_NOT_STRING = new Set([..."~nNtTfF.+-0123456789"].map((c) => c.charCodeAt(0)));
/** Characters that may not start a plain scalar here (YAML indicators; `-` is checked separately). */
const INDICATORS = new Set([
  "&",
  "*",
  "!",
  "|",
  ">",
  "%",
  "@",
  "`",
  "?",
  ",",
  "[",
  "]",
  "{",
  "}",
  "#",
  "'",
  '"',
]);

function giveUp(): never {
  throw GIVE_UP;
}

/** Parses `text` into documents, or returns `undefined` when it uses anything outside the subset. */
export function parseYamlFast(text: string): FastDocument[] | undefined {
  if (text.includes("\t") || text.includes("\r") || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return new FastReader(text).documents();
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}

/**
 * The reader. Hot path for large sets, so it allocates only the values and nodes it returns: content
 * lines are kept in parallel number arrays, and each parse method returns the node and leaves the plain
 * value in `this.value` (instead of allocating a pair per node).
 */
class FastReader {
  /** Content lines of the current document: start offset, end offset, indent (moved for `- key: v`). */
  private starts: number[] = [];
  private ends: number[] = [];
  private indents: number[] = [];
  private index = 0;
  /** The plain value of the node the last parse method returned. */
  private value: unknown = null;
  /** The key found by the last successful `keyOf`. */
  private key = "";
  private keyStart = 0;
  private keyEnd = 0;
  private colon = 0;
  /** Collections open around the node being read; past `MAX_NESTING_DEPTH` the fast path gives up. */
  private depth = 0;

  constructor(private readonly text: string) {}

  documents(): FastDocument[] {
    const text = this.text;
    const docs: FastDocument[] = [];
    let start = 0;
    const flush = () => {
      if (this.starts.length > 0) docs.push(this.document());
      this.starts = [];
      this.ends = [];
      this.indents = [];
    };
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      let indent = start;
      while (indent < end && text.charCodeAt(indent) === 32) indent++;
      if (indent < end && text.charCodeAt(indent) !== 35 /* # */) {
        if (indent === start && (text.startsWith("---", start) || text.startsWith("...", start))) {
          const rest = text.slice(start + 3, end).trim();
          if (
            text[start] === "-" &&
            (end === start + 3 || text[start + 3] === " ") &&
            (!rest || rest[0] === "#")
          ) {
            flush();
          } else {
            giveUp();
          }
        } else {
          if (indent === start && text[start] === "%") giveUp();
          this.starts.push(start);
          this.ends.push(end);
          this.indents.push(indent - start);
        }
      }
      start = end + 1;
    }
    flush();
    return docs;
  }

  private document(): FastDocument {
    this.index = 0;
    const root = this.block(this.indents[0]!);
    if (this.index < this.starts.length) giveUp();
    return { value: this.value, root };
  }

  /** Indent of the current line, or -1 past the end of the document. */
  private indent(): number {
    return this.index < this.starts.length ? this.indents[this.index]! : -1;
  }

  /** Offset of the first content character of the current line. */
  private contentStart(): number {
    return this.starts[this.index]! + this.indents[this.index]!;
  }

  /** A node whose first line is the current one, indented `indent`. */
  private block(indent: number): SourceNode {
    const at = this.contentStart();
    const end = this.ends[this.index]!;
    if (this.isSeqItem(at, end)) return this.sequence(indent);
    if (this.keyOf(at, end)) return this.mapping(indent);
    const node = this.inline(at, end);
    this.index++;
    return node;
  }

  private isSeqItem(at: number, end: number): boolean {
    return this.text.charCodeAt(at) === 45 /* - */ && (at + 1 === end || this.text.charCodeAt(at + 1) === 32);
  }

  private sequence(indent: number): SourceNode {
    this.enter();
    const items: unknown[] = [];
    const nodes: SourceNode[] = [];
    const start = this.contentStart();
    let end = start;
    while (this.indent() === indent && this.isSeqItem(this.contentStart(), this.ends[this.index]!)) {
      const dash = this.contentStart();
      const lineEnd = this.ends[this.index]!;
      let at = dash + 1;
      while (at < lineEnd && this.text.charCodeAt(at) === 32) at++;
      let item: SourceNode;
      if (at >= lineEnd || this.text.charCodeAt(at) === 35 /* # */) {
        this.index++;
        item = this.indent() > indent ? this.block(this.indent()) : this.empty(dash + 1);
      } else if (this.isSeqItem(at, lineEnd)) {
        giveUp();
      } else if (this.keyOf(at, lineEnd)) {
        this.indents[this.index] = at - this.starts[this.index]!;
        item = this.mapping(this.indents[this.index]!);
      } else {
        item = this.inline(at, lineEnd);
        this.index++;
        if (this.indent() > indent) giveUp();
      }
      items.push(this.value);
      nodes.push(item);
      end = item.end;
    }
    if (this.indent() > indent) giveUp();
    this.value = items;
    this.depth--;
    return { kind: "seq", start, end, items: nodes };
  }

  private mapping(indent: number): SourceNode {
    this.enter();
    const value: Record<string, unknown> = {};
    const entries: SourceEntry[] = [];
    const start = this.contentStart();
    let end = start;
    while (this.indent() === indent) {
      const lineEnd = this.ends[this.index]!;
      if (!this.keyOf(this.contentStart(), lineEnd)) giveUp();
      const key = this.key;
      const keyStart = this.keyStart;
      const keyEnd = this.keyEnd;
      const colon = this.colon;
      if (Object.hasOwn(value, key)) giveUp();
      let at = colon + 1;
      while (at < lineEnd && this.text.charCodeAt(at) === 32) at++;
      let child: SourceNode;
      if (at >= lineEnd || this.text.charCodeAt(at) === 35 /* # */) {
        this.index++;
        const next = this.indent();
        if (next > indent) child = this.block(next);
        else if (next === indent && this.isSeqItem(this.contentStart(), this.ends[this.index]!)) {
          child = this.sequence(indent);
        } else child = this.empty(colon + 1);
      } else {
        child = this.inline(at, lineEnd);
        this.index++;
        if (this.indent() > indent) giveUp();
      }
      value[key] = this.value;
      entries.push({ key, keyStart, keyEnd, value: child });
      end = child.end;
    }
    if (this.indent() > indent) giveUp();
    this.value = value;
    this.depth--;
    return { kind: "map", start, end, entries };
  }

  /**
   * Whether a `key: value` starts at `from` (up to `lineEnd`); if so the key is left in `key`,
   * `keyStart`, `keyEnd` and `colon`. Gives up on keys outside the subset.
   */
  private keyOf(from: number, lineEnd: number): boolean {
    const text = this.text;
    const first = text.charCodeAt(from);
    if (first === 34 /* " */ || first === 39 /* ' */) {
      const node = this.quoted(from, lineEnd);
      let colon = node.end;
      while (colon < lineEnd && text.charCodeAt(colon) === 32) colon++;
      if (
        text.charCodeAt(colon) !== 58 /* : */ ||
        !(colon + 1 === lineEnd || text.charCodeAt(colon + 1) === 32)
      ) {
        return false;
      }
      if (typeof this.value !== "string" || this.value === "__proto__") giveUp();
      this.key = this.value;
      this.keyStart = from;
      this.keyEnd = node.end;
      this.colon = colon;
      return true;
    }
    if (first === 91 /* [ */ || first === 123 /* { */) return false;
    let colon = -1;
    for (let i = from; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (c === 35 /* # */ && text.charCodeAt(i - 1) === 32) break;
      if (c === 58 /* : */ && (i + 1 === lineEnd || text.charCodeAt(i + 1) === 32)) {
        colon = i;
        break;
      }
    }
    if (colon < 0) return false;
    let keyEnd = colon;
    while (keyEnd > from && text.charCodeAt(keyEnd - 1) === 32) keyEnd--;
    const key = text.slice(from, keyEnd);
    if (!SIMPLE_KEY.test(key) || key === "__proto__" || typeof resolvePlain(key) !== "string") giveUp();
    this.key = key;
    this.keyStart = from;
    this.keyEnd = keyEnd;
    this.colon = colon;
    return true;
  }

  /** A value that fills the rest of a line from `at` (scalar or flow collection), then only a comment. */
  private inline(at: number, lineEnd: number): SourceNode {
    const text = this.text;
    const c = text.charCodeAt(at);
    let node: SourceNode;
    if (c === 91 /* [ */ || c === 123 /* { */) node = this.flow(at, lineEnd);
    else if (c === 34 /* " */ || c === 39 /* ' */) node = this.quoted(at, lineEnd);
    else return this.plain(at, lineEnd, false);
    let rest = node.end;
    while (rest < lineEnd && text.charCodeAt(rest) === 32) rest++;
    if (rest < lineEnd && !(text.charCodeAt(rest) === 35 /* # */ && rest > node.end)) giveUp();
    return node;
  }

  /** A plain scalar from `at`; in flow context it stops at `,` `]` `}`. */
  private plain(at: number, lineEnd: number, inFlow: boolean): SourceNode {
    const text = this.text;
    const c = text[at]!;
    if (
      INDICATORS.has(c) ||
      ((c === "-" || c === ":") && (at + 1 === lineEnd || text.charCodeAt(at + 1) === 32))
    ) {
      giveUp();
    }
    let i = at;
    for (; i < lineEnd; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 35 /* # */ && text.charCodeAt(i - 1) === 32) break;
      if (ch === 58 /* : */) {
        const next = text.charCodeAt(i + 1);
        if (i + 1 === lineEnd || next === 32 || (inFlow && isFlowIndicator(next))) giveUp();
      }
      if (inFlow && (ch === 44 /* , */ || ch === 93 /* ] */ || ch === 125) /* } */) break;
      if (inFlow && (ch === 91 /* [ */ || ch === 123) /* { */) giveUp();
    }
    let end = i;
    while (end > at && text.charCodeAt(end - 1) === 32) end--;
    if (inFlow && i < lineEnd && text.charCodeAt(i) === 35) giveUp();
    const value = resolvePlain(text.slice(at, end));
    this.value = value;
    return { kind: "scalar", start: at, end, value };
  }

  /** A single- or double-quoted scalar on one line (double-quoted escapes are left to `yaml`). */
  private quoted(at: number, lineEnd: number): SourceNode {
    const text = this.text;
    const quote = text[at];
    let i = at + 1;
    let value = "";
    if (quote === '"') {
      const close = text.indexOf('"', i);
      if (close < 0 || close >= lineEnd) giveUp();
      value = text.slice(i, close);
      if (value.includes("\\")) giveUp();
      i = close + 1;
    } else {
      for (;;) {
        const close = text.indexOf("'", i);
        if (close < 0 || close >= lineEnd) giveUp();
        value += text.slice(i, close);
        if (text[close + 1] === "'") {
          value += "'";
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
    }
    this.value = value;
    return { kind: "scalar", start: at, end: i, value };
  }

  /** A flow sequence or mapping that opens at `at` and closes on the same line. */
  private flow(at: number, lineEnd: number): SourceNode {
    return this.text.charCodeAt(at) === 123 /* { */
      ? this.flowMapping(at, lineEnd)
      : this.flowSequence(at, lineEnd);
  }

  private flowSequence(at: number, lineEnd: number): SourceNode {
    this.enter();
    const text = this.text;
    const items: unknown[] = [];
    const nodes: SourceNode[] = [];
    let i = this.skipSpaces(at + 1, lineEnd);
    if (text.charCodeAt(i) !== 93 /* ] */) {
      for (;;) {
        const child = this.flowItem(i, lineEnd);
        items.push(this.value);
        nodes.push(child);
        i = this.skipSpaces(child.end, lineEnd);
        if (text.charCodeAt(i) === 44 /* , */) {
          i = this.skipSpaces(i + 1, lineEnd);
          if (text.charCodeAt(i) === 93) break;
          continue;
        }
        if (text.charCodeAt(i) !== 93) giveUp();
        break;
      }
    }
    this.value = items;
    this.depth--;
    return { kind: "seq", start: at, end: i + 1, items: nodes };
  }

  private flowMapping(at: number, lineEnd: number): SourceNode {
    this.enter();
    const text = this.text;
    const value: Record<string, unknown> = {};
    const entries: SourceEntry[] = [];
    let i = this.skipSpaces(at + 1, lineEnd);
    if (text.charCodeAt(i) !== 125 /* } */) {
      for (;;) {
        const keyStart = i;
        let key: string;
        let keyEnd: number;
        const first = text.charCodeAt(i);
        if (first === 34 /* " */ || first === 39 /* ' */) {
          const quoted = this.quoted(i, lineEnd);
          key = this.value as string;
          keyEnd = quoted.end;
          i = this.skipSpaces(keyEnd, lineEnd);
        } else {
          while (i < lineEnd && !isKeyStop(text.charCodeAt(i))) i++;
          keyEnd = i;
          while (keyEnd > keyStart && text.charCodeAt(keyEnd - 1) === 32) keyEnd--;
          key = text.slice(keyStart, keyEnd);
          if (!SIMPLE_KEY.test(key) || typeof resolvePlain(key) !== "string") giveUp();
        }
        if (text.charCodeAt(i) !== 58 || text.charCodeAt(i + 1) !== 32) giveUp();
        if (key === "__proto__" || Object.hasOwn(value, key)) giveUp();
        i = this.skipSpaces(i + 2, lineEnd);
        const c = text.charCodeAt(i);
        const child = c === 44 /* , */ || c === 125 /* } */ ? this.empty(i) : this.flowItem(i, lineEnd);
        value[key] = this.value;
        entries.push({ key, keyStart, keyEnd, value: child });
        i = this.skipSpaces(child.end, lineEnd);
        if (text.charCodeAt(i) === 44 /* , */) {
          i = this.skipSpaces(i + 1, lineEnd);
          if (text.charCodeAt(i) === 125) break;
          continue;
        }
        if (text.charCodeAt(i) !== 125) giveUp();
        break;
      }
    }
    this.value = value;
    this.depth--;
    return { kind: "map", start: at, end: i + 1, entries };
  }

  /** Opens one more collection; too deep a nesting is left to `yaml-source.ts`, which reports it. */
  private enter(): void {
    if (++this.depth > MAX_NESTING_DEPTH) giveUp();
  }

  /** Skips spaces; gives up at the end of the line (a flow that continues on the next line). */
  private skipSpaces(from: number, lineEnd: number): number {
    let i = from;
    while (i < lineEnd && this.text.charCodeAt(i) === 32) i++;
    if (i >= lineEnd) giveUp();
    return i;
  }

  private flowItem(at: number, lineEnd: number): SourceNode {
    const c = this.text.charCodeAt(at);
    if (c === 91 /* [ */ || c === 123 /* { */) return this.flow(at, lineEnd);
    if (c === 34 /* " */ || c === 39 /* ' */) return this.quoted(at, lineEnd);
    return this.plain(at, lineEnd, true);
  }

  /** The empty value of `key:` or `-` with nothing after it. */
  private empty(offset: number): SourceNode {
    this.value = null;
    return { kind: "scalar", start: offset, end: offset, value: null };
  }
}

/** `,` `[` `]` `{` `}`: the characters that end a plain scalar inside a flow collection. */
function isFlowIndicator(code: number): boolean {
  return code === 44 || code === 91 || code === 93 || code === 123 || code === 125;
}

/** Characters that end a plain key inside a flow mapping (`:` and flow indicators, `#`). */
function isKeyStop(code: number): boolean {
  return code === 58 || code === 35 || isFlowIndicator(code);
}

/** YAML 1.2 core schema for the plain scalars the fast path accepts. */
function resolvePlain(source: string): unknown {
  // Only these first characters can start a null, boolean or number; most scalars are names and paths.
  if (!MAYBE_NOT_STRING.has(source.charCodeAt(0)) && source !== "") return source;
  if (CORE_NULL.test(source)) return null;
  if (CORE_BOOL.test(source)) return source[0] === "t" || source[0] === "T";
  if (CORE_INT.test(source)) {
    if (source.length > 15) giveUp();
    return Number(source);
  }
  for (const test of CORE_OTHER_NUMBERS) if (test.test(source)) giveUp();
  return source;
}
