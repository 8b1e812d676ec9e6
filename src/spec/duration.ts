/**
 * Durations as written in specs and API bodies (`15m`, `48h`, `90d`, `2w`, `30s`, or combined `1d12h`):
 * parsing to seconds and formatting back. One place, so every front end agrees on the grammar.
 */

/** Seconds in each unit a duration may use. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** The grammar, for error messages and JSON Schema `pattern`. */
export const DURATION_PATTERN = "^(?:\\d+[smhdw])+$";
const DURATION_RE = new RegExp(DURATION_PATTERN);
const PART_RE = /(\d+)([smhdw])/g;

/** True when `text` is a well-formed duration such as `90d` or `1h30m` (zero is allowed: `0s`). */
export function isDuration(text: string): boolean {
  return DURATION_RE.test(text);
}

/** Parses a duration to whole seconds; returns `undefined` for anything that is not one. */
export function parseDuration(text: string): number | undefined {
  const known = parsed.get(text);
  if (known !== undefined || parsed.has(text)) return known;
  const seconds = parseUncached(text);
  if (text.length <= 32) {
    if (parsed.size >= PARSED_CACHE_SIZE) parsed.clear();
    parsed.set(text, seconds);
  }
  return seconds;
}

/** Specs use a handful of durations thousands of times (validation and resolution both ask). */
const parsed = new Map<string, number | undefined>();
const PARSED_CACHE_SIZE = 256;

function parseUncached(text: string): number | undefined {
  if (!isDuration(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART_RE)) {
    total += Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats seconds as the shortest exact duration (`172800` → `2d`, `5400` → `1h30m`, `0` → `0s`). */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return "0s";
  let rest = Math.floor(seconds);
  let out = "";
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
