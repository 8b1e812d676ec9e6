/**
 * Scanning changed text for committed credentials: the added lines of a unified-diff patch (a pull
 * request's files) or a whole text, mapped to file, line and column; and, for YAML, the decoded value of
 * every scalar (`findDecodedSecrets`), where escapes (`\x5f`), `\` line continuations, folded and
 * literal blocks can spell a credential that the raw text does not show. It reports tokenform tokens with a
 * valid checksum and well-known credential formats (GitHub, GitLab, AWS, Slack, …) from `findSecrets`,
 * without its high-entropy heuristic: that one suits spec values, while arbitrary files (lock files with
 * integrity hashes, test vectors) would raise false alarms. A finding carries only a safe prefix.
 */
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, Scalar } from "yaml";
import { type FindSecretsOptions, findSecrets, type SecretFinding } from "./secrets.js";
import { composeYaml } from "./yaml-source.js";

/** A credential found in a file. Never holds the secret: `shown` is a short prefix. */
export interface SecretLeak {
  /** Path of the file, as given (for a pull request: relative to the repository root). */
  file: string;
  /** 1-based line in the new version of the file. */
  line: number;
  /** 1-based column where the secret starts. */
  column: number;
  /** 1-based column just after the secret. */
  endColumn: number;
  /** What it looks like, e.g. "a GitHub token" or "a tokenform token (its checksum is valid)". */
  kind: string;
  /** Safe prefix to show, e.g. `ghp_` or `mcp_sk_AbCd`. */
  shown: string;
}

/** One line added by a patch, with its number in the new file. */
export interface AddedLine {
  /** 1-based line number in the new version of the file. */
  line: number;
  /** The line's text without the leading `+`. */
  text: string;
}

const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/**
 * The added lines of a unified-diff patch (GitHub's `patch` field of a pull request file: hunks only, no
 * `---`/`+++` headers), numbered from each hunk header's new-file start. Context lines advance the count,
 * removed lines do not, `\ No newline at end of file` is skipped.
 */
export function addedLines(patch: string): AddedLine[] {
  const out: AddedLine[] = [];
  let next: number | undefined;
  for (const raw of patch.split("\n")) {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const header = HUNK_HEADER.exec(text);
    if (header) {
      next = Number(header[1]);
      continue;
    }
    if (next === undefined) continue;
    const marker = text[0];
    if (marker === "+") out.push({ line: next++, text: text.slice(1) });
    else if (marker === " " || text === "") next++;
    // "-" lines belong to the old file; "\" is "\ No newline at end of file".
  }
  return out;
}

/** Credentials in one line of `file` (numbered `line`). */
export function scanLine(file: string, line: number, text: string): SecretLeak[] {
  return findSecrets(text, { heuristic: false }).map((f: SecretFinding) => ({
    file,
    line,
    column: f.index + 1,
    endColumn: f.index + f.length + 1,
    kind: f.kind,
    shown: f.shown,
  }));
}

/** Credentials on the lines a patch adds to `file`. */
export function scanPatch(file: string, patch: string): SecretLeak[] {
  return addedLines(patch).flatMap((added) => scanLine(file, added.line, added.text));
}

/** Credentials anywhere in a whole text (a file read from disk). */
export function scanText(file: string, text: string): SecretLeak[] {
  return text.split("\n").flatMap((line, index) => scanLine(file, index + 1, line));
}

/** The message for a committed credential: what and where it is, what to do — never the value. */
export function leakMessage(leak: SecretLeak): string {
  return (
    `${leak.kind} starting "${leak.shown}…" is committed here. A secret must never be committed: the ` +
    "repository is copied to every clone, fork and CI log. Remove it from the change, revoke it (it must be " +
    "treated as leaked), and let tokenform create and deliver secrets instead."
  );
}

/** A credential that only the decoded value of a YAML scalar shows. */
export interface DecodedSecret {
  /** Offsets of the scalar (its source, quotes and block header included) in the text. */
  start: number;
  end: number;
  /** What was found; `index` and `length` are within the decoded value, not the text. */
  finding: SecretFinding;
}

/**
 * Credentials in the decoded values of every scalar (keys included) of every document of a YAML text,
 * except those the scalar's own source text already shows (a raw-text scan reports those). Never throws:
 * text that is not YAML gives what its readable parts hold. `composed` are `yaml`'s documents for `text`,
 * when the caller has them (the spec reader), so the text is not parsed twice.
 */
export function findDecodedSecrets(
  text: string,
  options: FindSecretsOptions = {},
  composed?: readonly Document.Parsed[],
): DecodedSecret[] {
  const out: DecodedSecret[] = [];
  const docs = composed ?? composeYaml(text).docs;
  // An explicit stack: documents are nested at most MAX_NESTING_DEPTH deep, but the walk need not recurse.
  const stack: unknown[] = docs.map((doc) => doc.contents);
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    } else if (isScalar(node) && typeof node.value === "string" && node.range) {
      const [start, end] = node.range;
      const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
      const source = quoted ? text.slice(start + 1, end - 1) : text.slice(start, end);
      if (node.value === source) continue;
      const raw = new Set(findSecrets(source, options).map((f) => `${f.kind}\u0000${f.shown}`));
      for (const finding of findSecrets(node.value, options)) {
        if (!raw.has(`${finding.kind}\u0000${finding.shown}`)) out.push({ start, end, finding });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Credentials that only decoded YAML scalars of `file` show, at the line and column where each scalar
 * starts (its kind says the value had to be decoded). `onLine`, when given, keeps only scalars that
 * touch a line it accepts (a pull request's added lines).
 */
export function scanYamlScalars(
  file: string,
  text: string,
  onLine?: (line: number) => boolean,
): SecretLeak[] {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
  const leaks: SecretLeak[] = [];
  for (const { start, end, finding } of findDecodedSecrets(text, { heuristic: false })) {
    const from = lines.linePos(start);
    const to = lines.linePos(Math.max(start, end - 1));
    if (onLine) {
      let touched = false;
      for (let line = from.line; line <= to.line && !touched; line++) touched = onLine(line);
      if (!touched) continue;
    }
    leaks.push({
      file,
      line: from.line,
      column: from.col,
      endColumn: from.line === to.line ? to.col + 1 : from.col + 1,
      kind: `${finding.kind}, written with YAML escapes or line breaks`,
      shown: finding.shown,
    });
  }
  return leaks;
}

/** Whether a file is YAML by its name (`.yaml`, `.yml`): those are also scanned with `scanYamlScalars`. */
export function isYamlFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}
