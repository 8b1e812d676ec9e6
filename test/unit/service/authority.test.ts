/** The "within its own authority" rule, field by field (src/service/authority.ts). */
import { describe, expect, it } from "vitest";
import { type Authority, exceedsAuthority, UNLIMITED } from "../../../src/service/authority.js";

const admin = (over: Partial<Authority> = {}): Authority => ({ ...UNLIMITED, scopes: ["tokens:*"], ...over });

describe("exceedsAuthority", () => {
  it("compares admin keys field by field and leaves mcp and agent keys to any admin key", () => {
    const actor = admin({
      scopes: ["tokens:read", "tokens:write"],
      ipAllowlist: ["10.0.0.0/8"],
      expiresAt: 2_000,
      tools: ["search_*"],
      ratePerMinute: 60,
    });
    const within = admin({
      scopes: ["tokens:read"],
      ipAllowlist: ["10.1.0.0/16", "10.2.3.4"],
      expiresAt: 1_000,
      tools: ["search_docs", "search_a*"],
      ratePerMinute: 30,
    });
    expect(exceedsAuthority(actor, within)).toBeUndefined();
    const cases: Array<[Partial<Authority>, string]> = [
      [{ scopes: ["tokens:*"] }, "scopes"],
      [{ ipAllowlist: [] }, "ipAllowlist"],
      [{ ipAllowlist: ["0.0.0.0/0"] }, "ipAllowlist"],
      [{ ipAllowlist: ["2001:db8::/32"] }, "ipAllowlist"],
      [{ expiresAt: null }, "expiry"],
      [{ expiresAt: 3_000 }, "expiry"],
      [{ tools: null }, "tools"],
      [{ tools: ["get_status"] }, "tools"],
      [{ tools: ["*"] }, "tools"],
      [{ ratePerMinute: null }, "rateLimit"],
      [{ ratePerMinute: 61 }, "rateLimit"],
    ];
    for (const [change, part] of cases) {
      expect(exceedsAuthority(actor, { ...within, ...change })?.part, JSON.stringify(change)).toBe(part);
    }
    expect(exceedsAuthority(admin({ readOnly: true }), admin({ readOnly: false }))?.part).toBe("readOnly");
    for (const type of ["mcp", "agent"] as const) {
      expect(exceedsAuthority(actor, { ...UNLIMITED, type, scopes: ["*"] })).toBeUndefined();
    }
    expect(exceedsAuthority(UNLIMITED, admin({ scopes: ["*"] }))).toBeUndefined();
  });
});
