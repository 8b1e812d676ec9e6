/**
 * IP allowlist entries: the one place that decides which addresses and CIDR ranges are valid and how
 * they are written. The spec (schema and resolution), the management API's request schemas and the token
 * service all check and normalise entries here, so an entry `validate` accepts is one `apply` can store,
 * and one the service refuses is refused by `validate` first. Matching a client against the stored
 * ranges is `src/service/ip.ts`, which parses entries through here too.
 *
 * Rules:
 * - a bare address means that one host: `/32` or `/128`;
 * - IPv4 is four decimal parts without leading zeros (`10.1`, `010.0.0.1`, `0x7f.0.0.1` are refused: they
 *   are rarely meant); IPv6 is parsed by ipaddr.js and written in RFC 5952 form; zones (`%eth0`) are refused;
 * - an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, or a range of them with a prefix of 96 or more) is
 *   written as the IPv4 address or range it maps (`10.0.0.1/32`): the service compares a client's
 *   address after the same mapping, so the IPv6 spelling would never match anything;
 * - host bits set (`10.0.0.5/24`) are refused rather than silently widened or narrowed: the message names
 *   the network (`10.0.0.0/24`) and the single address (`10.0.0.5/32`), since either could be meant;
 * - surrounding spaces are ignored.
 *
 * IPv4 is checked with a strict pattern and integer arithmetic rather than ipaddr.js, whose IPv4 path
 * allocates a few kilobytes per call (it tries several notations): measurable on 10,000-token sets.
 */
import ipaddr from "ipaddr.js";

/** Result of checking one allowlist entry: the normalised CIDR, or why it is not one. */
export type CidrCheck = { ok: true; cidr: string } | { ok: false; message: string };

/** Checks and normalises an IP allowlist entry (see the rules above). */
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
/** Refused entries are quoted in messages up to this many characters (a message never echoes a body). */
const QUOTE_MAX = 60;
/** The IPv4-mapped IPv6 range `::ffff:0:0/96`: its last 32 bits are the IPv4 address. */
const MAPPED_PREFIX = 96;

function quote(entry: string): string {
  return JSON.stringify(entry.length > QUOTE_MAX ? `${entry.slice(0, QUOTE_MAX)}…` : entry);
}

function parseCidr(entry: string): CidrCheck {
  const text = entry.trim();
  const slash = text.indexOf("/");
  let address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  let v6 = address.includes(":");
  const ip6 = v6 ? parseIpv6(address) : undefined;
  if (v6 ? !ip6 : !IPV4_RE.test(address)) {
    return { ok: false, message: `${quote(entry)} is not an IPv4 or IPv6 address or CIDR range` };
  }
  const max = v6 ? 128 : 32;
  if (prefixText !== undefined && (!PREFIX_RE.test(prefixText) || Number(prefixText) > max)) {
    return {
      ok: false,
      message: `${quote(entry)} has prefix length /${prefixText}; an ${v6 ? "IPv6" : "IPv4"} prefix is 0 to ${max}`,
    };
  }
  let prefix = prefixText === undefined ? max : Number(prefixText);
  if (ip6?.isIPv4MappedAddress() && prefix >= MAPPED_PREFIX) {
    address = ip6.toIPv4Address().toString();
    prefix -= MAPPED_PREFIX;
    v6 = false;
  }
  const [ip, network] = v6 && ip6 ? ipv6Network(ip6, prefix) : ipv4Network(address, prefix);
  if (network !== ip) {
    return {
      ok: false,
      message:
        `${quote(entry)} has host bits set; write ${network}/${prefix} for the range ` +
        `or ${ip}/${v6 ? 128 : 32} for the single address`,
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
