/** "Did you mean …?" for misspelt keys and values: the closest allowed word by edit distance. */

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions, the commonest typo:
 * `scpoes` → `scopes`).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The allowed word closest to `input`, if it is close enough to be a plausible typo: case differences
 * alone always count; otherwise at most one edit per three characters (at least one, at most three).
 */
export function closest(input: string, allowed: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  const budget = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const word of allowed) {
    if (word.toLowerCase() === lower) return word;
    const distance = editDistance(lower, word.toLowerCase());
    if (distance < bestDistance) {
      best = word;
      bestDistance = distance;
    }
  }
  return bestDistance <= budget ? best : undefined;
}
