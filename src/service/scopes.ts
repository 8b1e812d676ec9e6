/**
 * Scope matching. A granted scope is `resource:action` where either part may be `*`, or a lone `*`
 * that grants everything: `tools:*` grants every tools action, `*:read` grants read on every resource.
 * A required scope is normally concrete (`tools:call`); when it contains `*` itself, only a granted
 * scope at least as broad covers it (used to stop an admin key minting a broader admin key).
 */

/** Management API scopes held by admin tokens. */
export const ADMIN_SCOPES = {
  read: "tokens:read",
  write: "tokens:write",
  verify: "tokens:verify",
} as const;

function split(scope: string): [string, string] {
  if (scope === "*") return ["*", "*"];
  const cut = scope.indexOf(":");
  return cut < 0 ? [scope, ""] : [scope.slice(0, cut), scope.slice(cut + 1)];
}

/** Whether one granted scope covers one required scope. */
export function scopeCovers(granted: string, required: string): boolean {
  if (granted === "*" || granted === required) return true;
  const [gr, ga] = split(granted);
  const [rr, ra] = split(required);
  return (gr === "*" || gr === rr) && (ga === "*" || ga === ra);
}

/** Whether `granted` covers every scope in `required` (an empty requirement is always met). */
export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
  for (const need of required) {
    let ok = false;
    for (const have of granted) {
      if (scopeCovers(have, need)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

/** The required scopes `granted` does not cover (for error messages). */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((need) => !granted.some((have) => scopeCovers(have, need)));
}
