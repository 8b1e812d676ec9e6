/**
 * Tool allowlists: the list of MCP tool names and `*` patterns a token may call (`tools` in a TokenSpec and
 * in the management API). One place for the two rules every part applies — how a list is kept (sorted,
 * unique; absent = no restriction) and whether a tool name is allowed by it — so the spec, the token
 * service's verify, the MCP guard and the gateway agree.
 *
 * Matching is hand-written (a dozen lines): glob libraries give `*` path semantics (it stops at `/`),
 * while a tool pattern's `*` means any run of characters, `/` included. Names compare case-sensitively,
 * as MCP tool names do.
 */

/** A tool allowlist as kept by the service: sorted, without duplicates; null when none was declared. */
export function normaliseTools(tools: readonly string[] | undefined | null): string[] | null {
  return tools === undefined || tools === null ? null : [...new Set(tools)].sort();
}

/**
 * Compiled rules by allowlist array. The verifier's cached keys each hold one frozen allowlist, so a key's
 * patterns are compiled once and forgotten with the key: the entries live as long as the arrays that own
 * them, and no process-wide memo has to be bounded or shared between services.
 */
const compiledLists = new WeakMap<readonly string[], ReadonlyArray<RegExp | string>>();

function compile(pattern: string): RegExp | string {
  return pattern.includes("*")
    ? new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`, "s")
    : pattern;
}

/** The rules of an allowlist; kept only for a frozen array (one that cannot change under its rules). */
function compileList(allowlist: readonly string[]): ReadonlyArray<RegExp | string> {
  let rules = compiledLists.get(allowlist);
  if (rules === undefined) {
    rules = allowlist.map(compile);
    if (Object.isFrozen(allowlist)) compiledLists.set(allowlist, rules);
  }
  return rules;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** Whether `name` may be called under `allowlist` (null = no restriction; `[]` allows nothing). */
export function toolAllowed(allowlist: readonly string[] | null, name: string): boolean {
  if (allowlist === null) return true;
  for (const rule of compileList(allowlist)) {
    if (typeof rule === "string" ? rule === name : rule.test(name)) return true;
  }
  return false;
}

/** The names in `names` that `allowlist` refuses (for error messages). */
export function toolsRefused(allowlist: readonly string[] | null, names: readonly string[]): string[] {
  return names.filter((name) => !toolAllowed(allowlist, name));
}
