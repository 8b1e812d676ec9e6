/**
 * Scanning changed text for committed credentials: the added lines of a unified-diff patch (a pull
 * request's files) or a whole text, mapped to file, line and column. It reports tokenform tokens with a
 * valid checksum and well-known credential formats (GitHub, GitLab, AWS, Slack, …) from `findSecrets`,
 * without its high-entropy heuristic: that one suits spec values, while arbitrary files (lock files with
 * integrity hashes, test vectors) would raise false alarms. A finding carries only a safe prefix.
 */
import { findSecrets, type SecretFinding } from "./secrets.js";

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
