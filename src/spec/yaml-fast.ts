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
 * duplicate keys, non-string keys, numbers other than plain decimal integers. The caller then uses
 * `yaml`, which stays the reference and reports every syntax error.
 */
import type { SourceEntry, SourceNode } from "./source.js";

/** One parsed document: the plain value and its position tree. */
export interface FastDocument {
  value: unknown;
  root: SourceNode;
}

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

interface Line {
  start: number;
  end: number;
  /** Column of the first content character; for a compact item (`- key: v`) it is moved to the key. */
  indent: number;
}

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

class FastReader {
  private lines: Line[] = [];
  private index = 0;

  constructor(private readonly text: string) {}

  documents(): FastDocument[] {
    const text = this.text;
    const docs: FastDocument[] = [];
    let start = 0;
    let content: Line[] = [];
    const flush = () => {
      if (content.length > 0) docs.push(this.document(content));
      content = [];
    };
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      let indent = start;
      while (indent < end && text.charCodeAt(indent) === 32) indent++;
      if (indent < end && text[indent] !== "#") {
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
          content.push({ start, end, indent: indent - start });
        }
      }
      start = end + 1;
    }
    flush();
    return docs;
  }

  private document(lines: Line[]): FastDocument {
    this.lines = lines;
    this.index = 0;
    const result = this.block(lines[0]!.indent);
    if (this.index < lines.length) giveUp();
    return result;
  }

  private get line(): Line | undefined {
    return this.lines[this.index];
  }

  /** A node whose first line is the current one, indented `indent`. */
  private block(indent: number): FastDocument {
    const line = this.line!;
    const at = line.start + line.indent;
    if (this.isSeqItem(line)) return this.sequence(indent);
    if (this.keyOf(line)) return this.mapping(indent);
    const result = this.inline(at, line.end);
    this.index++;
    return result;
  }

  private isSeqItem(line: Line): boolean {
    const at = line.start + line.indent;
    return this.text[at] === "-" && (at + 1 === line.end || this.text[at + 1] === " ");
  }

  private sequence(indent: number): FastDocument {
    const items: unknown[] = [];
    const nodes: SourceNode[] = [];
    const start = this.line!.start + this.line!.indent;
    let end = start;
    while (this.line && this.line.indent === indent && this.isSeqItem(this.line)) {
      const line = this.line;
      const dash = line.start + line.indent;
      let at = dash + 1;
      while (at < line.end && this.text.charCodeAt(at) === 32) at++;
      let item: FastDocument;
      if (at >= line.end || this.text[at] === "#") {
        this.index++;
        const next = this.line;
        if (next && next.indent > indent) item = this.block(next.indent);
        else item = nullAt(dash + 1);
      } else if (this.text[at] === "-" && (at + 1 === line.end || this.text[at + 1] === " ")) {
        giveUp();
      } else if (this.keyOf(line, at)) {
        line.indent = at - line.start;
        item = this.mapping(line.indent);
      } else {
        item = this.inline(at, line.end);
        this.index++;
        if (this.line && this.line.indent > indent) giveUp();
      }
      items.push(item.value);
      nodes.push(item.root);
      end = item.root.end;
    }
    if (this.line && this.line.indent > indent) giveUp();
    return { value: items, root: { kind: "seq", start, end, items: nodes } };
  }

  private mapping(indent: number): FastDocument {
    const value: Record<string, unknown> = {};
    const entries: SourceEntry[] = [];
    const start = this.line!.start + this.line!.indent;
    let end = start;
    while (this.line && this.line.indent === indent) {
      const line = this.line;
      const key = this.keyOf(line);
      if (!key) giveUp();
      if (Object.hasOwn(value, key.key)) giveUp();
      let at = key.colon + 1;
      while (at < line.end && this.text.charCodeAt(at) === 32) at++;
      let child: FastDocument;
      if (at >= line.end || this.text[at] === "#") {
        this.index++;
        const next = this.line;
        if (next && next.indent > indent) child = this.block(next.indent);
        else if (next && next.indent === indent && this.isSeqItem(next)) child = this.sequence(indent);
        else child = nullAt(key.colon + 1);
      } else {
        child = this.inline(at, line.end);
        this.index++;
        if (this.line && this.line.indent > indent) giveUp();
      }
      value[key.key] = child.value;
      entries.push({ key: key.key, keyStart: key.start, keyEnd: key.end, value: child.root });
      end = child.root.end;
    }
    if (this.line && this.line.indent > indent) giveUp();
    return { value, root: { kind: "map", start, end, entries } };
  }

  /** The key of a `key: value` line starting at `from`, or undefined when the line is not one. */
  private keyOf(
    line: Line,
    from = line.start + line.indent,
  ): { key: string; start: number; end: number; colon: number } | undefined {
    const text = this.text;
    const first = text[from];
    if (first === '"' || first === "'") {
      const quoted = this.quoted(from, line.end);
      let colon = quoted.root.end;
      while (colon < line.end && text.charCodeAt(colon) === 32) colon++;
      if (text[colon] !== ":" || !(colon + 1 === line.end || text[colon + 1] === " ")) return undefined;
      if (typeof quoted.value !== "string" || quoted.value === "__proto__") giveUp();
      return { key: quoted.value, start: from, end: quoted.root.end, colon };
    }
    if (first === "[" || first === "{") return undefined;
    let colon = -1;
    for (let i = from; i < line.end; i++) {
      const c = text[i];
      if (c === "#" && text[i - 1] === " ") break;
      if (c === ":" && (i + 1 === line.end || text[i + 1] === " ")) {
        colon = i;
        break;
      }
    }
    if (colon < 0) return undefined;
    let keyEnd = colon;
    while (keyEnd > from && text.charCodeAt(keyEnd - 1) === 32) keyEnd--;
    const key = text.slice(from, keyEnd);
    if (!SIMPLE_KEY.test(key) || key === "__proto__" || typeof resolvePlain(key) !== "string") giveUp();
    return { key, start: from, end: keyEnd, colon };
  }

  /** A value that fills the rest of a line from `at` (scalar or flow collection), then only a comment. */
  private inline(at: number, lineEnd: number): FastDocument {
    const text = this.text;
    const c = text[at]!;
    let result: FastDocument;
    if (c === "[" || c === "{") result = this.flow(at, lineEnd);
    else if (c === '"' || c === "'") result = this.quoted(at, lineEnd);
    else return this.plain(at, lineEnd, false);
    let rest = result.root.end;
    while (rest < lineEnd && text.charCodeAt(rest) === 32) rest++;
    if (rest < lineEnd && !(text[rest] === "#" && rest > result.root.end)) giveUp();
    return result;
  }

  /** A plain scalar from `at`; in flow context it stops at `,` `]` `}`. */
  private plain(at: number, lineEnd: number, inFlow: boolean): FastDocument {
    const text = this.text;
    const c = text[at]!;
    if (INDICATORS.has(c) || ((c === "-" || c === ":") && (at + 1 === lineEnd || text[at + 1] === " ")))
      giveUp();
    let i = at;
    for (; i < lineEnd; i++) {
      const ch = text[i];
      if (ch === "#" && text[i - 1] === " ") break;
      if (
        ch === ":" &&
        (i + 1 === lineEnd || text[i + 1] === " " || (inFlow && ",[]{}".includes(text[i + 1]!)))
      ) {
        giveUp();
      }
      if (inFlow && (ch === "," || ch === "]" || ch === "}")) break;
      if (inFlow && (ch === "[" || ch === "{")) giveUp();
    }
    let end = i;
    while (end > at && text.charCodeAt(end - 1) === 32) end--;
    if (inFlow && i < lineEnd && text[i] === "#") giveUp();
    const value = resolvePlain(text.slice(at, end));
    return { value, root: { kind: "scalar", start: at, end, value } };
  }

  /** A single- or double-quoted scalar on one line (double-quoted escapes are left to `yaml`). */
  private quoted(at: number, lineEnd: number): FastDocument {
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
    return { value, root: { kind: "scalar", start: at, end: i, value } };
  }

  /** A flow sequence or mapping that opens at `at` and closes on the same line. */
  private flow(at: number, lineEnd: number): FastDocument {
    const text = this.text;
    const isMap = text[at] === "{";
    const close = isMap ? "}" : "]";
    const items: unknown[] = [];
    const nodes: SourceNode[] = [];
    const value: Record<string, unknown> = {};
    const entries: SourceEntry[] = [];
    let i = at + 1;
    for (;;) {
      while (i < lineEnd && text.charCodeAt(i) === 32) i++;
      if (i >= lineEnd) giveUp();
      if (text[i] === close) break;
      if (isMap) {
        const keyStart = i;
        let key: string;
        let keyEnd: number;
        if (text[i] === '"' || text[i] === "'") {
          const quoted = this.quoted(i, lineEnd);
          if (typeof quoted.value !== "string") giveUp();
          key = quoted.value;
          keyEnd = quoted.root.end;
          i = keyEnd;
          while (i < lineEnd && text.charCodeAt(i) === 32) i++;
        } else {
          while (i < lineEnd && text[i] !== ":" && !",[]{}#".includes(text[i]!)) i++;
          keyEnd = i;
          while (keyEnd > keyStart && text.charCodeAt(keyEnd - 1) === 32) keyEnd--;
          key = text.slice(keyStart, keyEnd);
          if (!SIMPLE_KEY.test(key) || typeof resolvePlain(key) !== "string") giveUp();
        }
        if (text[i] !== ":" || text[i + 1] !== " " || key === "__proto__" || Object.hasOwn(value, key))
          giveUp();
        i += 2;
        while (i < lineEnd && text.charCodeAt(i) === 32) i++;
        const child = text[i] === "," || text[i] === "}" ? nullAt(i) : this.flowItem(i, lineEnd);
        value[key] = child.value;
        entries.push({ key, keyStart, keyEnd, value: child.root });
        i = child.root.end;
      } else {
        const child = this.flowItem(i, lineEnd);
        items.push(child.value);
        nodes.push(child.root);
        i = child.root.end;
      }
      while (i < lineEnd && text.charCodeAt(i) === 32) i++;
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] !== close) giveUp();
      break;
    }
    const end = i + 1;
    return isMap
      ? { value, root: { kind: "map", start: at, end, entries } }
      : { value: items, root: { kind: "seq", start: at, end, items: nodes } };
  }

  private flowItem(at: number, lineEnd: number): FastDocument {
    const c = this.text[at];
    if (c === "[" || c === "{") return this.flow(at, lineEnd);
    if (c === '"' || c === "'") return this.quoted(at, lineEnd);
    return this.plain(at, lineEnd, true);
  }
}

/** The empty value of `key:` or `-` with nothing after it. */
function nullAt(offset: number): FastDocument {
  return { value: null, root: { kind: "scalar", start: offset, end: offset, value: null } };
}

/** YAML 1.2 core schema for the plain scalars the fast path accepts. */
function resolvePlain(source: string): unknown {
  if (CORE_NULL.test(source)) return null;
  if (CORE_BOOL.test(source)) return source[0] === "t" || source[0] === "T";
  if (CORE_INT.test(source)) {
    if (source.length > 15) giveUp();
    return Number(source);
  }
  for (const test of CORE_OTHER_NUMBERS) if (test.test(source)) giveUp();
  return source;
}
