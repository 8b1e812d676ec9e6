/**
 * IP handling with ipaddr.js: parsing allowlist entries (IPv4/IPv6 addresses and CIDR ranges; which are
 * valid is decided by `src/spec/address.ts`) and matching a client address against them. Who the client of a request is (`X-Forwarded-For`): client-address.ts.
 */
import ipaddr from "ipaddr.js";
import { checkCidr } from "../spec/address.js";

/** A parsed CIDR range (a single address is a range with the full prefix length). */
export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses an address the way a client or a proxy writes it; IPv4-mapped IPv6 becomes IPv4. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const trimmed = text.trim();
  // ipaddr.js accepts legacy IPv4 forms (hex, fewer parts); an address on the wire is dotted decimal.
  if (trimmed.includes(".") && !trimmed.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(trimmed))
    return undefined;
  if (!ipaddr.isValid(trimmed)) return undefined;
  return ipaddr.process(trimmed);
}

/**
 * Parses one allowlist entry (`203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`); undefined when invalid.
 * Entries go through the shared address rules first (`src/spec/address.ts`: an IPv4-mapped range becomes
 * the IPv4 range); an entry stored before those rules with host bits set (`10.0.0.5/24`) still parses
 * here, as its network, so existing allowlists keep working.
 */
export function parseRange(entry: string): IpRange | undefined {
  const checked = checkCidr(entry);
  if (checked.ok) {
    const slash = checked.cidr.indexOf("/");
    const address = parseAddress(checked.cidr.slice(0, slash));
    if (address) return [address, Number(checked.cidr.slice(slash + 1))];
  }
  const text = entry.trim();
  const slash = text.indexOf("/");
  if (slash < 0) {
    const address = parseAddress(text);
    if (!address) return undefined;
    return [address, address.kind() === "ipv4" ? 32 : 128];
  }
  const address = parseAddress(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > (address.kind() === "ipv4" ? 32 : 128)) return undefined;
  return [address, bits];
}

/** Parses every entry; returns the invalid ones separately so callers can report them all. */
export function parseRanges(entries: readonly string[]): { ranges: IpRange[]; invalid: string[] } {
  const ranges: IpRange[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    const range = parseRange(entry);
    if (range) ranges.push(range);
    else invalid.push(entry);
  }
  return { ranges, invalid };
}

/** Whether `address` falls inside any of `ranges` (IPv4 never matches an IPv6 range and vice versa). */
export function inRanges(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly IpRange[]): boolean {
  const kind = address.kind();
  for (const range of ranges) {
    if (range[0].kind() === kind && address.match(range)) return true;
  }
  return false;
}

/** Whether a textual address is inside the ranges (false for anything unparsable). */
export function ipAllowed(ip: string, ranges: readonly IpRange[]): boolean {
  const address = parseAddress(ip);
  return address !== undefined && inRanges(address, ranges);
}

/** Whether the address is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  if (ip === "127.0.0.1" || ip === "::1" || ip === "::ffff:127.0.0.1") return true;
  const address = parseAddress(ip);
  return address !== undefined && address.range() === "loopback";
}
