/**
 * Grammars of single spec values that a regular expression cannot express well: IP allowlist entries
 * (`address.ts`), label keys and values (Kubernetes' rules), and which scopes grant write access.
 * Each check returns a problem message or the normalised value; the zod schema calls them.
 */
/** IP allowlist entries have their own module (shared with the API and the service); re-exported here. */
export { type CidrCheck, checkCidr } from "./address.js";

/** Label key prefixes tokenform writes itself (`tokenform.dev/owner` …); specs may not set them. */
export const RESERVED_LABEL_DOMAIN = "tokenform.dev";
/** Kubernetes: a label name is at most 63 characters; a prefix is a DNS subdomain of at most 253. */
const LABEL_NAME_MAX = 63;
const LABEL_PREFIX_MAX = 253;
const LABEL_VALUE_MAX = 63;
const LABEL_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const DNS_LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A problem with a label key, or undefined when it is valid. `reserved` marks the tokenform.dev prefix. */
export function labelKeyProblem(key: string): { reserved: boolean; message: string } | undefined {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix === RESERVED_LABEL_DOMAIN || prefix.endsWith(`.${RESERVED_LABEL_DOMAIN}`)) {
      return {
        reserved: true,
        message: `label ${JSON.stringify(key)} uses the reserved prefix ${prefix}/; tokenform sets those labels itself`,
      };
    }
    if (
      prefix.length === 0 ||
      prefix.length > LABEL_PREFIX_MAX ||
      !prefix.split(".").every((p) => DNS_LABEL_RE.test(p))
    ) {
      return {
        reserved: false,
        message: `label key prefix ${JSON.stringify(prefix)} must be a lowercase DNS subdomain (at most ${LABEL_PREFIX_MAX} characters) such as acme.com`,
      };
    }
  }
  if (name.length === 0 || name.length > LABEL_NAME_MAX || !LABEL_NAME_RE.test(name)) {
    return {
      reserved: false,
      message:
        `label name ${JSON.stringify(name)} must be 1 to ${LABEL_NAME_MAX} characters of letters, digits, ` +
        "'-', '_' and '.', starting and ending with a letter or digit (optionally after a prefix/)",
    };
  }
  return undefined;
}

/** A problem with a label value, or undefined when it is valid (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > LABEL_VALUE_MAX || !LABEL_NAME_RE.test(value)) {
    return (
      `label value ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} must be at most ` +
      `${LABEL_VALUE_MAX} characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit`
    );
  }
  return undefined;
}

/** Actions that change something; a scope with one of these (or `*`) is a write scope. */
export const WRITE_ACTIONS = ["write", "create", "delete", "update", "*"] as const;

/** True when `scope` grants write access: the scope `*`, or an action in `WRITE_ACTIONS`. */
export function isWriteScope(scope: string): boolean {
  if (scope === "*") return true;
  const action = scope.slice(scope.indexOf(":") + 1);
  return (WRITE_ACTIONS as readonly string[]).includes(action);
}
