/**
 * Who may touch which key: the one rule every management write goes through (create, update of any field,
 * enable/disable, confirm, roll, delete). An admin key acts on an admin key only when that key's authority
 * is within its own: every scope covered, and every restriction at least as tight — an IP allowlist no
 * wider, an expiry no later, read-only if it is read-only, a tool allowlist and rate limits no wider.
 * So a lesser admin key can neither roll a stronger one (and receive its secret) nor loosen it, and no key
 * can widen its own restrictions or mint an unrestricted twin.
 *
 * `mcp` and `agent` keys carry service scopes (`tools:call`, …), not management authority: any admin key
 * with `tokens:write` manages them, whatever its own restrictions (an IP-fenced CI admin key still issues
 * developers' IDE keys).
 */
import type { TokenType } from "../spec/schema.js";
import { toolAllowed } from "../spec/tools.js";
import { type IpRange, inRanges, parseRanges } from "./ip.js";
import { scopeCovers } from "./scopes.js";

/** What a key may do and from where, as compared here (a stored token record is one). */
export interface Authority {
  type: TokenType;
  scopes: readonly string[];
  readOnly: boolean;
  ipAllowlist: readonly string[];
  tools: readonly string[] | null;
  /** Epoch ms; null = never. */
  expiresAt: number | null;
  ratePerMinute: number | null;
  ratePerHour: number | null;
}

/** The part of a target's authority that exceeds the actor's, in words for the refusal. */
export interface AuthorityExcess {
  part: "scopes" | "ipAllowlist" | "expiry" | "readOnly" | "tools" | "rateLimit";
  message: string;
}

/** Whether range `inner` lies wholly inside range `outer`. */
function rangeWithin(inner: IpRange, outer: IpRange): boolean {
  if (inner[0].kind() !== outer[0].kind() || inner[1] < outer[1]) return false;
  return inRanges(inner[0], [outer]);
}

/** Whether every tool name `inner` allows is allowed by `outer` (conservative when `inner` is a glob). */
function patternWithin(inner: string, outer: string): boolean {
  if (inner === outer || outer === "*") return true;
  if (!inner.includes("*")) return toolAllowed([outer], inner);
  // A glob inside a glob: safe when `outer` is one prefix*suffix glob and `inner` keeps those ends fixed.
  const star = outer.indexOf("*");
  if (star < 0 || outer.indexOf("*", star + 1) >= 0) return false;
  return (
    inner.slice(0, inner.indexOf("*")).startsWith(outer.slice(0, star)) &&
    inner.slice(inner.lastIndexOf("*") + 1).endsWith(outer.slice(star + 1))
  );
}

function list(values: readonly string[]): string {
  return values.length === 0 ? "none" : values.join(", ");
}

/**
 * Why `target` exceeds `actor`'s authority, or undefined when it is within it. `mcp` and `agent` targets
 * are always within an admin key's authority (see the module comment).
 */
export function exceedsAuthority(actor: Authority, target: Authority): AuthorityExcess | undefined {
  if (target.type !== "admin") return undefined;
  const beyond = target.scopes.filter((s) => !actor.scopes.some((have) => scopeCovers(have, s)));
  if (beyond.length > 0) {
    return {
      part: "scopes",
      message: `its scopes ${list(beyond)} are not all held by this key (${list(actor.scopes)})`,
    };
  }
  if (actor.ipAllowlist.length > 0) {
    const mine = parseRanges(actor.ipAllowlist).ranges;
    const theirs = parseRanges(target.ipAllowlist).ranges;
    if (theirs.length === 0 || !theirs.every((r) => mine.some((m) => rangeWithin(r, m)))) {
      return {
        part: "ipAllowlist",
        message: `its IP allowlist (${list(target.ipAllowlist) === "none" ? "any address" : list(target.ipAllowlist)}) is wider than this key's (${list(actor.ipAllowlist)})`,
      };
    }
  }
  if (actor.expiresAt !== null && (target.expiresAt === null || target.expiresAt > actor.expiresAt)) {
    return {
      part: "expiry",
      message: `it expires ${target.expiresAt === null ? "never" : new Date(target.expiresAt).toISOString()}, after this key (${new Date(actor.expiresAt).toISOString()})`,
    };
  }
  if (actor.readOnly && !target.readOnly) {
    return { part: "readOnly", message: "it may write, and this key is read-only" };
  }
  if (actor.tools !== null) {
    const wider =
      target.tools === null
        ? ["any tool"]
        : target.tools.filter((t) => !actor.tools!.some((a) => patternWithin(t, a)));
    if (wider.length > 0) {
      return {
        part: "tools",
        message: `it may call ${list(wider)}, beyond this key's tools (${list(actor.tools)})`,
      };
    }
  }
  for (const [field, label] of [
    ["ratePerMinute", "per minute"],
    ["ratePerHour", "per hour"],
  ] as const) {
    const mine = actor[field];
    const theirs = target[field];
    if (mine !== null && (theirs === null || theirs > mine)) {
      return {
        part: "rateLimit",
        message: `its rate limit (${theirs === null ? "none" : theirs} ${label}) is wider than this key's (${mine} ${label})`,
      };
    }
  }
  return undefined;
}

/** An authority with no limits (the service acting by itself: bootstrap, sweeper). */
export const UNLIMITED: Authority = Object.freeze({
  type: "admin",
  scopes: Object.freeze(["*"]),
  readOnly: false,
  ipAllowlist: Object.freeze([]),
  tools: null,
  expiresAt: null,
  ratePerMinute: null,
  ratePerHour: null,
});
