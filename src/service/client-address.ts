/**
 * The client address of a request, for `tokenform serve`, the middleware and the gateway alike: the one
 * place that decides how far `X-Forwarded-For` is believed.
 *
 * Each proxy appends the address it received the request from, so the header is read from the right,
 * starting at the TCP peer: while the address in hand belongs to a trusted proxy, the entry it appended
 * (the next one leftward) is believed; the first address that is not a trusted proxy's is the client.
 * Whatever lies left of it was written by the client itself and never counts.
 *
 * Trust is one of (`parseProxyTrust` validates what users write, with zod):
 * - none (`false`, `0`, absent): the TCP peer is the client and the header is ignored;
 * - a hop count N (`true` means 1): the peer and the N-1 entries nearest it are trusted proxies, so the
 *   client is the Nth entry from the right. A header with fewer entries did not come the configured way;
 * - proxy addresses/CIDRs: the walk goes on while the address is inside one of them. A range wider than
 *   `/8` (IPv4) or `/7` (IPv6) is refused — `0.0.0.0/0`, or `0.0.0.0/1 128.0.0.0/1` — it would trust the
 *   client's own entries.
 *
 * Safe failure: an entry the walk must read that is not an address (`unknown`, garbage, an empty item),
 * or a header shorter than the hop count, makes the client **unknown** (undefined) rather than guessing
 * from a neighbour — an IP allowlist then refuses the request (fail closed). Entries may carry a port
 * (`203.0.113.7:4711`, `[2001:db8::1]:4711`) or brackets, as some proxies write them.
 */
import { z } from "zod";
import { type IpRange, inRanges, parseAddress, parseRanges } from "./ip.js";

/** Whose `X-Forwarded-For` entries are believed. */
export type ProxyTrust =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "ranges"; ranges: readonly IpRange[] };

/**
 * What a user writes: `true` (one hop), `false` or absent (none), a hop count, or proxy addresses/CIDRs;
 * a lone string of digits (`--trust-proxy 2`) is a hop count.
 */
export type ProxyTrustSetting = boolean | number | string | readonly string[] | undefined;

/** Most hops a count may name (a chain longer than this is a configuration mistake). */
export const MAX_PROXY_HOPS = 16;

/**
 * The widest proxy range trusted: 10.0.0.0/8 and the IPv6 unique-local fc00::/7 are the largest private
 * ranges. Wider ones — `0.0.0.0/0`, or two halves `0.0.0.0/1 128.0.0.0/1` — would trust client addresses.
 */
export const WIDEST_PROXY_PREFIX = { ipv4: 8, ipv6: 7 } as const;

export const NO_PROXY_TRUST: ProxyTrust = Object.freeze({ kind: "none" });

function hopTrust(hops: number): ProxyTrust {
  return hops === 0 ? NO_PROXY_TRUST : { kind: "hops", hops };
}

const HopCount = z
  .int(`a hop count is a whole number from 0 to ${MAX_PROXY_HOPS}`)
  .min(0, `a hop count is a whole number from 0 to ${MAX_PROXY_HOPS}`)
  .max(MAX_PROXY_HOPS, `a hop count is a whole number from 0 to ${MAX_PROXY_HOPS}`);

const ProxyList = z.array(z.string()).transform((entries, ctx): ProxyTrust => {
  if (entries.length === 1 && /^\s*\d+\s*$/.test(entries[0]!)) {
    const hops = HopCount.safeParse(Number(entries[0]));
    if (hops.success) return hopTrust(hops.data);
    ctx.addIssue({ code: "custom", message: hops.error.issues[0]!.message });
    return z.NEVER;
  }
  if (entries.length === 0) return NO_PROXY_TRUST;
  for (const entry of entries) {
    // Checked before parsing: ipaddr.js would read a bare number as a legacy IPv4 address.
    if (/^\s*\d+\s*$/.test(entry)) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(entry)}: give either one hop count or proxy addresses/CIDRs, not both`,
      });
      return z.NEVER;
    }
  }
  const { ranges, invalid } = parseRanges(entries);
  for (const entry of invalid) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(entry)} is neither a hop count nor an IP address or CIDR range`,
    });
  }
  for (const [address, bits] of ranges) {
    const widest = address.kind() === "ipv4" ? WIDEST_PROXY_PREFIX.ipv4 : WIDEST_PROXY_PREFIX.ipv6;
    if (bits >= widest) continue;
    ctx.addIssue({
      code: "custom",
      message:
        `${address.toString()}/${bits} trusts ${bits === 0 ? "every address" : "a large part of the internet"}, ` +
        "the client's own X-Forwarded-For entries included; give your proxies' addresses (at most " +
        `/${WIDEST_PROXY_PREFIX.ipv4} for IPv4, /${WIDEST_PROXY_PREFIX.ipv6} for IPv6), or a hop count (1: one proxy in front)`,
    });
  }
  return ranges.length > 0 ? { kind: "ranges", ranges } : NO_PROXY_TRUST;
});

/** Validates a trust setting as users write it (library options and `--trust-proxy`). */
const SETTING_SCHEMAS = {
  boolean: z.boolean().transform((trusted) => hopTrust(trusted ? 1 : 0)),
  number: HopCount.transform(hopTrust),
  string: z
    .string()
    .transform((entry) => [entry])
    .pipe(ProxyList),
  list: ProxyList,
  undefined: z.undefined().transform(() => NO_PROXY_TRUST),
};

/**
 * The schema for a setting of this shape. (Chosen by the setting's type rather than with `z.union`, whose
 * failure would say only "Invalid input" instead of what is wrong with the value.)
 */
export function proxyTrustSchema(setting: unknown): z.ZodType<ProxyTrust> {
  if (Array.isArray(setting)) return SETTING_SCHEMAS.list;
  switch (typeof setting) {
    case "boolean":
      return SETTING_SCHEMAS.boolean;
    case "number":
      return SETTING_SCHEMAS.number;
    case "string":
      return SETTING_SCHEMAS.string;
    default:
      return SETTING_SCHEMAS.undefined;
  }
}

/** Parses a trust setting: the trust, or the first problem in words. */
export function parseProxyTrust(
  setting: ProxyTrustSetting,
): { ok: true; trust: ProxyTrust } | { ok: false; problem: string } {
  const parsed = proxyTrustSchema(setting).safeParse(setting);
  if (parsed.success) return { ok: true, trust: parsed.data };
  return { ok: false, problem: parsed.error.issues[0]?.message ?? "invalid proxy trust setting" };
}

/** Parses a trust setting given to a library call; throws an Error naming `option` when it is invalid. */
export function proxyTrust(setting: ProxyTrustSetting, option: string): ProxyTrust {
  const parsed = parseProxyTrust(setting);
  if (!parsed.ok) throw new Error(`invalid ${option}: ${parsed.problem}`);
  return parsed.trust;
}

/** One `X-Forwarded-For` entry: an address, optionally bracketed (IPv6) and with a port. */
function parseEntry(text: string): ReturnType<typeof parseAddress> {
  let entry = text.trim();
  if (entry.startsWith("[")) {
    const end = entry.indexOf("]");
    const rest = end < 0 ? "x" : entry.slice(end + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined;
    entry = entry.slice(1, end);
    if (!entry.includes(":")) return undefined;
  } else if (/^[\d.]+:\d{1,5}$/.test(entry)) {
    entry = entry.slice(0, entry.indexOf(":"));
  }
  return parseAddress(entry);
}

/** A TCP peer address as text: Node reports IPv4 peers of dual-stack sockets as ::ffff:a.b.c.d. */
function peerText(remoteAddress: string | undefined): string | undefined {
  return remoteAddress?.startsWith("::ffff:") && remoteAddress.includes(".")
    ? remoteAddress.slice(7)
    : remoteAddress;
}

/**
 * The client address of a request whose TCP peer is `remoteAddress` and whose `X-Forwarded-For` header
 * lines are `forwardedFor` (several lines are one list, in order). Undefined when it cannot be known
 * safely (see the module comment): callers treat that as "no address", which no allowlist admits.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trust: ProxyTrust,
): string | undefined {
  if (trust.kind === "none" || forwardedFor === undefined) return peerText(remoteAddress);
  const header = typeof forwardedFor === "string" ? forwardedFor : forwardedFor.join(",");
  if (header.trim() === "") return peerText(remoteAddress);
  const peer = remoteAddress === undefined ? undefined : parseAddress(remoteAddress);
  if (peer === undefined) return undefined;
  const entries = header.split(",");
  if (trust.kind === "hops") {
    // The peer is hop 1 and appended the last entry; hop N appended the client, N entries from the right.
    const at = entries.length - trust.hops;
    if (at < 0) return undefined;
    for (let i = entries.length - 1; i > at; i--) if (parseEntry(entries[i]!) === undefined) return undefined;
    return parseEntry(entries[at]!)?.toString();
  }
  let current = peer;
  for (let i = entries.length - 1; i >= 0 && inRanges(current, trust.ranges); i--) {
    const hop = parseEntry(entries[i]!);
    if (hop === undefined) return undefined;
    current = hop;
  }
  return current.toString();
}
