/** Deterministic input mutation for the spec fuzz and differential tests (a fixed-seed PRNG). */

/** mulberry32: a tiny, fast, seedable PRNG; the same seed always gives the same inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters that matter to YAML, mixed in more often than random ones. */
const INTERESTING = [
  ":",
  "-",
  " ",
  "\n",
  "#",
  "[",
  "]",
  "{",
  "}",
  ",",
  '"',
  "'",
  "&",
  "*",
  "!",
  "|",
  ">",
  "\t",
  "?",
  "%",
  "@",
  "0",
  "a",
  "~",
];

/** One mutation of `text`: truncation, character flips, insertions, deletions, line swaps or random bytes. */
export function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  const at = () => pick(text.length + 1);
  switch (pick(7)) {
    case 0:
      return text.slice(0, at());
    case 1: {
      let out = text;
      for (let i = 0, n = 1 + pick(4); i < n; i++) {
        const p = pick(out.length);
        out = out.slice(0, p) + INTERESTING[pick(INTERESTING.length)] + out.slice(p + 1);
      }
      return out;
    }
    case 2: {
      const p = at();
      return text.slice(0, p) + INTERESTING[pick(INTERESTING.length)] + text.slice(p);
    }
    case 3: {
      const p = at();
      return text.slice(0, p) + text.slice(p + 1 + pick(20));
    }
    case 4: {
      const lines = text.split("\n");
      const a = pick(lines.length);
      const b = pick(lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join("\n");
    }
    case 5: {
      const p = at();
      let bytes = "";
      for (let i = 0, n = 1 + pick(16); i < n; i++) bytes += String.fromCharCode(pick(256));
      return text.slice(0, p) + bytes + text.slice(p);
    }
    default: {
      const lines = text.split("\n");
      const p = pick(lines.length);
      const line = lines[p]!;
      lines[p] = pick(2) === 0 ? ` ${line}` : line.replace(/^ /, "");
      return lines.join("\n");
    }
  }
}

/**
 * A YAML text whose collections nest exactly `depth` levels (`depth` ≥ 1): block mappings and block
 * sequences on lines of their own, then flow sequences and mappings on the last line, mixed at random.
 * Every text is in the fast reader's subset when shallow enough.
 */
export function nested(depth: number, random: () => number): string {
  let text = "";
  let indent = 0;
  let level = 0;
  // Block levels first (at least none, at most all), then flow levels on one line.
  const block = Math.floor(random() * (depth + 1));
  for (; level < block; level++) {
    const pad = " ".repeat(indent);
    if (random() < 0.5) {
      text += `${pad}k${level}:\n`;
      indent += 1 + Math.floor(random() * 2);
    } else {
      text += `${pad}-\n`;
      indent += 2;
    }
  }
  let open = "";
  let close = "";
  for (; level < depth; level++) {
    if (random() < 0.5) {
      open += "[x, ";
      close = `]${close}`;
    } else {
      open += `{f${level}: `;
      close = `}${close}`;
    }
  }
  return `${text}${" ".repeat(indent)}${open === "" ? "leaf" : `${open}y${close}`}\n`;
}
