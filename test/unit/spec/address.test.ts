/**
 * One address module (`src/spec/address.ts`) for the spec, the API's request schemas and the token
 * service: over a few thousand generated and mutated addresses and CIDRs (fixed seed), `validate` and the
 * API schema accept and refuse exactly the same entries and write the accepted ones the same way; a sample
 * goes through a real service on loopback, which stores what the spec would send.
 */
import { describe, expect, it } from "vitest";
import { CreateTokenRequestSchema } from "../../../src/api/schemas.js";
import { checkCidr } from "../../../src/spec/address.js";
import { validateTokenSetObject } from "../../../src/spec/index.js";
import { serviceHarness } from "../../integration/service/harness.js";
import { prng } from "./mutate.js";

/** What the spec makes of one entry: its normalised form, or undefined when refused. */
function viaSpec(entry: string): string | undefined {
  const result = validateTokenSetObject(
    {
      apiVersion: "tokenform.dev/v1",
      kind: "TokenSet",
      metadata: { owner: "acme/platform" },
      tokens: [{ name: "t", ipAllowlist: [entry] }],
    },
    { origin: "diff" },
  );
  if (!result.set) {
    expect(
      result.diagnostics.map((d) => d.code),
      entry,
    ).toEqual(["invalid_cidr"]);
    return undefined;
  }
  return result.set.tokens[0]!.ipAllowlist[0];
}

/** What the API's request schema makes of it. */
function viaApi(entry: string): string | undefined {
  const parsed = CreateTokenRequestSchema.safeParse({ name: "t", ipAllowlist: [entry] });
  return parsed.success ? parsed.data.ipAllowlist![0] : undefined;
}

/** Addresses and CIDRs, well formed or nearly: random parts, odd spellings, then character mutations. */
function entries(count: number, seed: number): string[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  const hex = () => int(0x10000).toString(16);
  const v4 = () => {
    const parts = [0, 1, 2, 3].map(() => String(pick([0, 10, 127, 192, 203, 255, 256, int(256)])));
    if (random() < 0.05) parts[int(4)] = `0${parts[0]}`;
    if (random() < 0.05) parts.pop();
    return parts.join(".");
  };
  const v6 = () => {
    const kind = int(6);
    if (kind === 0) return `::ffff:${v4()}`;
    if (kind === 1) return `::ffff:${hex()}:${hex()}`;
    if (kind === 2) return `2001:db8::${hex()}`;
    if (kind === 3) return Array.from({ length: 8 }, hex).join(":");
    if (kind === 4) return pick(["::", "::1", "fe80::1%eth0", "2001:DB8:0:0::", "::ffff:0:0"]);
    return `${hex()}::${hex()}:${hex()}`;
  };
  const prefix = (max: number) =>
    pick(["", `/${int(max + 1)}`, `/${max}`, "/0", `/${max + 1}`, "/08", "/", `/${96 + int(33)}`]);
  const out: string[] = [];
  const alphabet = "0123456789abcdef.:/% fF";
  while (out.length < count) {
    let entry = random() < 0.5 ? `${v4()}${prefix(32)}` : `${v6()}${prefix(128)}`;
    if (random() < 0.1) entry = ` ${entry} `;
    if (random() < 0.2) {
      const at = int(entry.length + 1);
      entry =
        random() < 0.5
          ? entry.slice(0, at) + pick([...alphabet]) + entry.slice(at)
          : entry.slice(0, at) + entry.slice(at + 1);
    }
    out.push(entry);
  }
  return out;
}

describe("IP allowlist entries: one set of rules", () => {
  it.each([
    ["::ffff:10.0.0.1", "10.0.0.1/32"],
    ["::ffff:10.0.0.0/120", "10.0.0.0/24"],
    ["::FFFF:a00:1", "10.0.0.1/32"],
    ["::ffff:0:0/96", "0.0.0.0/0"],
    ["198.51.100.7", "198.51.100.7/32"],
  ])("%s is written %s by the spec and the API", (entry, cidr) => {
    expect(checkCidr(entry)).toEqual({ ok: true, cidr });
    expect(viaSpec(entry)).toBe(cidr);
    expect(viaApi(entry)).toBe(cidr);
  });

  it.each([
    ["10.0.0.5/24", /host bits set; write 10\.0\.0\.0\/24 for the range or 10\.0\.0\.5\/32/],
    ["::ffff:10.0.0.5/120", /host bits set; write 10\.0\.0\.0\/24 for the range or 10\.0\.0\.5\/32/],
  ])("%s is refused by both, naming the network", (entry, message) => {
    expect(viaSpec(entry)).toBeUndefined();
    const parsed = CreateTokenRequestSchema.safeParse({ name: "t", ipAllowlist: [entry] });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toMatch(message);
  });

  it("the spec and the API schema agree on 3,000 generated entries", () => {
    const list = entries(3000, 9);
    let accepted = 0;
    let mapped = 0;
    for (const entry of list) {
      const spec = viaSpec(entry);
      expect(viaApi(entry), entry).toBe(spec);
      if (spec !== undefined) accepted++;
      if (spec !== undefined && entry.toLowerCase().includes("::ffff:")) mapped++;
    }
    // Both verdicts were exercised, and mapped addresses among the accepted ones.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(2500);
    expect(mapped).toBeGreaterThan(50);
  });

  it("a real service accepts, refuses (422) and stores entries as the spec would send them", async () => {
    await using h = await serviceHarness();
    const list = entries(150, 31);
    let i = 0;
    for (const entry of list) {
      const spec = viaSpec(entry);
      const res = await h.http("POST", "/v1/tokens", {
        token: h.adminToken,
        body: { name: `diff-${i++}`, ipAllowlist: [entry] },
      });
      if (spec === undefined) {
        expect(res.status, entry).toBe(422);
      } else {
        expect(res.status, entry).toBe(201);
        expect(res.body.token.ipAllowlist, entry).toEqual([spec]);
      }
    }
  });
});
