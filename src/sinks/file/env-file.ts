/**
 * Editing `KEY=value` files line by line: set or remove one key while every other line (comments, blank
 * lines, other keys, `export` prefixes, CRLF endings) stays exactly as it was. Pure functions.
 */

/** Values made of these characters are written bare; anything else is double-quoted (dotenv style). */
const BARE_VALUE = /^[A-Za-z0-9_\-.:@+/=~,%]*$/;

/** `value` as it appears after `KEY=`: bare when safe, else double-quoted with `\ " $ \` ` and newlines escaped. */
export function formatEnvValue(value: string): string {
  if (BARE_VALUE.test(value)) return value;
  const escaped = value.replace(/[\\"$`]/g, (c) => `\\${c}`).replace(/\r?\n/g, "\\n");
  return `"${escaped}"`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches a line that assigns `key` (optionally `export key=`), capturing the `export ` prefix. */
function keyLine(key: string): RegExp {
  return new RegExp(`^(\\s*(?:export\\s+)?)${escapeRegExp(key)}\\s*=`);
}

/**
 * The value `content` assigns to `key` (the first assignment, as `upsertEnvKey` writes it: bare, or
 * double-quoted with `formatEnvValue`'s escapes undone); undefined when it does not assign it.
 */
export function envValue(content: string, key: string): string | undefined {
  const re = keyLine(key);
  for (const raw of content.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const m = re.exec(line);
    if (!m) continue;
    const value = line.slice(m[0].length).trim();
    if (!(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) return value;
    return value.slice(1, -1).replace(/\\(n|["\\$`])/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return undefined;
}

/** Whether `content` assigns `key`. */
export function hasEnvKey(content: string, key: string): boolean {
  const re = keyLine(key);
  return content.split("\n").some((line) => re.test(line));
}

/**
 * Sets `key` to `value`: the first assignment is rewritten in place (keeping its `export` prefix and line
 * ending), later duplicates are dropped, and a missing key is appended on a new line.
 */
export function upsertEnvKey(
  content: string,
  key: string,
  value: string,
): { content: string; existed: boolean } {
  const re = keyLine(key);
  const lines = content === "" ? [] : content.split("\n");
  // A trailing newline leaves an empty last element: it is the end of the file, not a line.
  const endsWithNewline = content.endsWith("\n");
  if (endsWithNewline) lines.pop();
  let existed = false;
  const out: string[] = [];
  for (const line of lines) {
    const m = re.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    if (existed) continue;
    existed = true;
    const cr = line.endsWith("\r") ? "\r" : "";
    out.push(`${m[1]}${key}=${formatEnvValue(value)}${cr}`);
  }
  if (!existed) out.push(`${key}=${formatEnvValue(value)}`);
  return { content: `${out.join("\n")}\n`, existed };
}

/** Removes every assignment of `key`; other lines are kept as they were. */
export function removeEnvKey(content: string, key: string): { content: string; existed: boolean } {
  const re = keyLine(key);
  const lines = content.split("\n");
  const kept = lines.filter((line) => !re.test(line));
  return { content: kept.join("\n"), existed: kept.length !== lines.length };
}
