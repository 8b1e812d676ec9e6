import { describe, expect, it } from "vitest";
import { computePlan } from "../../../src/plan/compute.js";
import { isDestructive, keyImpacts, stoppingKeys } from "../../../src/plan/impact.js";
import { headline } from "../../../src/plan/render/words.js";
import type { ResolvedToken } from "../../../src/spec/resolved.js";
import { applied, CURSOR_PICKUP, resolved, T0, tokenSet } from "../../support/builders.js";

const day = 86_400_000;
const now = new Date(T0.getTime() + 10 * day);

function plan(spec: ResolvedToken[], actual: ReturnType<typeof applied>[]) {
  return computePlan({ set: tokenSet(spec), actual, now });
}

describe("what stops working on apply", () => {
  it("names nothing for creates, settings updates and rotations with an overlap", () => {
    const rotating = resolved("ci", { rotation: { everySeconds: 86_400, overlapSeconds: 3600 } });
    const p = plan(
      [resolved("new-key"), rotating, resolved("edited", { description: "changed" })],
      [applied(rotating), applied(resolved("edited"))],
    );
    expect(p.changes.map((c) => c.kind).sort()).toEqual(["create", "rotate", "update"]);
    expect(stoppingKeys(p)).toEqual([]);
    expect(isDestructive(p)).toBe(false);
  });

  it("names a rotation with an overlap as a later impact, with the date the old secret stops", () => {
    const rotating = resolved("ci", { rotation: { everySeconds: 86_400, overlapSeconds: 2 * 86_400 } });
    const p = plan([rotating], [applied(rotating)]);
    const impacts = keyImpacts(p);
    expect(impacts).toHaveLength(1);
    expect(impacts[0]).toMatchObject({ name: "ci", previousSecret: true, destructive: false });
    expect(impacts[0]?.where).toEqual(["file /tmp/tf-ci.env (MCP_API_KEY)"]);
    const expected = new Date(Date.parse(p.generatedAt) + 2 * 86_400_000).toISOString();
    expect(impacts[0]?.when).toBe(
      `at the end of its 2d overlap, about ${expected.slice(0, 10)} ${expected.slice(11, 16)} UTC if applied now; the new secret reaches its destination on apply`,
    );
  });

  it("names a retired token with where its secret was delivered, and when it is deleted", () => {
    const p = plan([], [applied(resolved("docs-bot"))]);
    expect(p.changes.map((c) => c.kind)).toEqual(["retire"]);
    const [key] = stoppingKeys(p);
    expect(key?.name).toBe("docs-bot");
    expect(key?.where).toEqual(["file /tmp/tf-docs-bot.env (MCP_API_KEY)"]);
    expect(key?.when).toMatch(
      /^on apply \(retired: disabled now, deleted 7d after apply, about \d{4}-\d\d-\d\d \d\d:\d\d UTC if applied now\)$/,
    );
    expect(isDestructive(p)).toBe(true);
  });

  it("names a disabled token at each of its destinations", () => {
    const p = plan([resolved("ops", { enabled: false })], [applied(resolved("ops"))]);
    expect(stoppingKeys(p)).toEqual([
      {
        name: "ops",
        kind: "disable",
        previousSecret: false,
        where: ["file /tmp/tf-ops.env (MCP_API_KEY)"],
        when: "on apply (disabled)",
        destructive: true,
      },
    ]);
  });

  it("names a picked-up key rotated without overlap as stopping on apply, in its holder's client", () => {
    const cursor = CURSOR_PICKUP;
    const impactsOf = (overlapSeconds: number) => {
      const spec = resolved("alice-cursor", {
        deliver: [],
        holder: "alice",
        pickup: cursor,
        rotation: { everySeconds: 86_400, overlapSeconds },
      });
      const actual = applied(spec, {
        holder: "alice",
        pickup: {
          ...cursor,
          waitingSince: null,
          pickedUpAt: T0.toISOString(),
          deliveredAt: T0.toISOString(),
        },
      });
      const p = plan([spec], [actual]);
      expect(p.changes.map((c) => c.kind)).toEqual(["rotate"]);
      return p;
    };
    const leaked = impactsOf(0);
    expect(stoppingKeys(leaked)).toEqual([
      {
        name: "alice-cursor",
        kind: "rotate",
        previousSecret: true,
        where: ["Cursor server acme"],
        when: "on apply (rotated with no overlap: alice picks up the new one)",
        destructive: true,
      },
    ]);
    expect(headline(leaked.changes[0]!)).toMatch(
      /will be rotated \(.*\); the previous secret stops working at once \(no overlap\), and the new one waits for alice's pickup$/,
    );
    expect(keyImpacts(impactsOf(3600))).toMatchObject([
      { destructive: false, when: "1h after alice picks up the new one" },
    ]);
  });

  it("names a rotation without overlap: the previous secret stops at once", () => {
    const rotating = resolved("ci", { rotation: { everySeconds: 86_400, overlapSeconds: 0 } });
    const p = plan([rotating], [applied(rotating)]);
    expect(p.changes.map((c) => c.kind)).toEqual(["rotate"]);
    expect(stoppingKeys(p)[0]?.when).toContain("no overlap");
  });
});
