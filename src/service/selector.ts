/**
 * Label selectors for `GET /v1/tokens?selector=…`, in the Kubernetes equality-based syntax:
 * `k=v` (also `k==v`), `k!=v`, `k` (label present) and `!k` (label absent), joined by commas.
 * Parsing gives requirements the store turns into bound SQL parameters (never string-built SQL).
 */

/** One requirement of a selector. */
export type LabelRequirement =
  | { op: "eq"; key: string; value: string }
  | { op: "neq"; key: string; value: string }
  | { op: "exists"; key: string }
  | { op: "absent"; key: string };

/** Result of parsing a selector: requirements, or a message saying what is wrong. */
export type SelectorParse = { ok: true; requirements: LabelRequirement[] } | { ok: false; message: string };

/** Parses `selector`. Keys and values are taken verbatim (trimmed of surrounding spaces). */
export function parseSelector(selector: string): SelectorParse {
  const requirements: LabelRequirement[] = [];
  if (selector.trim() === "") return { ok: true, requirements };
  for (const rawPart of selector.split(",")) {
    const part = rawPart.trim();
    if (part === "")
      return { ok: false, message: `empty requirement in selector ${JSON.stringify(selector)}` };
    const neq = part.indexOf("!=");
    const eq = part.indexOf("=");
    if (eq === 0 || neq === 0) return { ok: false, message: `missing label key in ${JSON.stringify(part)}` };
    if (neq > 0 && (eq < 0 || neq < eq)) {
      const key = part.slice(0, neq).trim();
      const value = part.slice(neq + 2).trim();
      if (key === "") return { ok: false, message: `missing label key in ${JSON.stringify(part)}` };
      requirements.push({ op: "neq", key, value });
    } else if (eq > 0) {
      const key = part.slice(0, eq).trim();
      const value = part.slice(part.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      if (key === "") return { ok: false, message: `missing label key in ${JSON.stringify(part)}` };
      requirements.push({ op: "eq", key, value });
    } else if (part.startsWith("!")) {
      const key = part.slice(1).trim();
      if (key === "") return { ok: false, message: `missing label key in ${JSON.stringify(part)}` };
      requirements.push({ op: "absent", key });
    } else {
      requirements.push({ op: "exists", key: part });
    }
  }
  return { ok: true, requirements };
}

/** Whether `labels` satisfy every requirement (used by in-memory stores and tests). */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  requirements: LabelRequirement[],
): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    if (r.op === "eq") return has && labels[r.key] === r.value;
    if (r.op === "neq") return !has || labels[r.key] !== r.value;
    return r.op === "exists" ? has : !has;
  });
}
