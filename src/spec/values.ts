/**
 * Grammars of single spec values that a regular expression cannot express well: IP allowlist entries
 * (via ipaddr.js), label keys and values (Kubernetes' rules), and which scopes grant write access.
 * Each check returns a problem message or the normalised value; the zod schema calls them.
 */
import ipaddr from "ipaddr.js";

/** Result of checking one allowlist entry: the normalised CIDR, or why it is not one. */
export type CidrCheck = { ok: true; cidr: string } | { ok: false; message: string };

/**
 * Checks and normalises an IP allowlist entry.
 *
 * Decisions: a bare address means that one host (`/32` or `/128`); IPv4 must be four decimal parts
 * without leading zeros (`10.1`, `010.0.0.1` or `0x7f.0.0.1` are refused, they are rarely meant); IPv6 is
 * parsed by ipaddr.js and written in RFC 5952 form; an IPv4-mapped IPv6 address stays IPv6. A CIDR with
 * host bits set (`10.0.0.5/24`) is refused rather than silently widened or narrowed: the message offers
 * both readings, since either could be meant.
 *
 * IPv4 is checked with a strict pattern and integer arithmetic rather than ipaddr.js, whose IPv4 path
 * allocates a few kilobytes per call (it tries several notations): measurable on 10,000-token sets.
 */
export function checkCidr(entry: string): CidrCheck {
  let check = recent.get(entry);
  if (!check) {
    check = parseCidr(entry);
    recent.set(entry, check);
    if (recent.size > RECENT_SIZE) recent.delete(recent.keys().next().value as string);
  }
  return check;
}

/**
 * The last entries checked. Validation checks an entry and resolution normalises it moments later (and
 * specs repeat their office ranges), so a short memory halves the work without holding on to much.
 */
const recent = new Map<string, CidrCheck>();
const RECENT_SIZE = 1024;

const IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const PREFIX_RE = /^(?:0|[1-9][0-9]{0,2})$/;

function parseCidr(entry: string): CidrCheck {
  const text = entry.trim();
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const v6 = address.includes(":");
  const ip6 = v6 ? parseIpv6(address) : undefined;
  if (v6 ? !ip6 : !IPV4_RE.test(address)) {
    return { ok: false, message: `${JSON.stringify(entry)} is not an IPv4 or IPv6 address or CIDR range` };
  }
  const max = v6 ? 128 : 32;
  if (prefixText !== undefined && (!PREFIX_RE.test(prefixText) || Number(prefixText) > max)) {
    return {
      ok: false,
      message: `${JSON.stringify(entry)} has prefix length /${prefixText}; an ${v6 ? "IPv6" : "IPv4"} prefix is 0 to ${max}`,
    };
  }
  const prefix = prefixText === undefined ? max : Number(prefixText);
  const [ip, network] = ip6 ? ipv6Network(ip6, prefix) : ipv4Network(address, prefix);
  if (network !== ip) {
    return {
      ok: false,
      message:
        `${JSON.stringify(entry)} has host bits set; write ${network}/${prefix} for the range ` +
        `or ${ip}/${max} for the single address`,
    };
  }
  return { ok: true, cidr: `${network}/${prefix}` };
}

/** The address and its network for `prefix`, both dotted decimal (the address is known to be valid). */
function ipv4Network(address: string, prefix: number): [string, string] {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < address.length; i++) {
    const code = address.charCodeAt(i);
    if (code === 46 /* . */) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + code - 48;
    }
  }
  value = value * 256 + octet;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (value & mask) >>> 0;
  return [network === value ? address : dotted(value), dotted(network)];
}

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** An IPv6 address without a zone (`%eth0` means nothing in an allowlist), or undefined. */
function parseIpv6(address: string): ipaddr.IPv6 | undefined {
  if (address.includes("%")) return undefined;
  try {
    return ipaddr.IPv6.parse(address);
  } catch {
    return undefined;
  }
}

/** The address and its network for `prefix`, both in RFC 5952 form (ipaddr.js). */
function ipv6Network(ip: ipaddr.IPv6, prefix: number): [string, string] {
  const bytes = ip.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return [ip.toString(), ipaddr.fromByteArray(bytes).toString()];
}

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
