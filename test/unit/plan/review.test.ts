/**
 * The reviewed-plan record and the comparison on merge: a change is known by what it does (not by token
 * versions or the plan hash), time-driven changes need no review, a too-large record falls back to its
 * digest, and a comment line that is not a record is ignored.
 */
import { describe, expect, it } from "vitest";
import { computePlan } from "../../../src/plan/compute.js";
import {
  compareWithReview,
  dueWithoutReview,
  parseReviewLine,
  reviewKey,
  reviewLine,
  reviewRecord,
} from "../../../src/plan/review.js";
import { applied, resolved, T0, tokenSet } from "../../support/builders.js";

const day = 86_400_000;
const rotating = resolved("backend-ci", { rotation: { everySeconds: 90 * 86_400, overlapSeconds: 3600 } });

function plan(spec = [rotating, resolved("new-key")], actual = [applied(rotating)], at = T0) {
  return computePlan({ set: tokenSet(spec), actual, now: at });
}

describe("reviewed plans", () => {
  it("knows a change by what it does: another token version or plan hash is the same change", () => {
    const described = { ...rotating, description: "CI for the backend" };
    const reviewed = plan([described, resolved("new-key")]);
    const later = plan([described, resolved("new-key")], [{ ...applied(rotating), version: 9 }]);
    expect(reviewed.changes.map((c) => c.kind)).toEqual(["create", "update"]);
    expect(later.hash).not.toBe(reviewed.hash);
    expect(reviewKey(later.changes[1]!)).toBe(reviewKey(reviewed.changes[1]!));
    const comparison = compareWithReview(later, reviewRecord(reviewed));
    expect(comparison).toMatchObject({ matches: true, unreviewed: [], due: [], gone: [] });
  });

  it("treats another spec for the same token as unreviewed, and a reviewed change already made as gone", () => {
    const reviewed = reviewRecord(plan());
    const changed = plan([rotating, resolved("new-key", { scopes: ["tools:*"] })]);
    const comparison = compareWithReview(changed, reviewed);
    expect(comparison.matches).toBe(false);
    expect(comparison.unreviewed.map((c) => [c.kind, c.name])).toEqual([["create", "new-key"]]);
    expect(comparison.gone).toEqual([{ kind: "create", name: "new-key" }]);
  });

  it("lets time-driven changes through, listed with why", () => {
    const reviewed = reviewRecord(plan());
    const later = plan(undefined, undefined, new Date(T0.getTime() + 91 * day));
    expect(later.changes.map((c) => c.kind).sort()).toEqual(["create", "rotate"]);
    const comparison = compareWithReview(later, reviewed);
    expect(comparison.matches).toBe(true);
    expect(comparison.due.map((d) => [d.change.name, d.why])).toEqual([["backend-ci", "rotation due"]]);
    const trigger = plan([{ ...rotating, rotateTrigger: "2026-02-01" }]);
    expect(dueWithoutReview(trigger.changes[0]!)).toBeUndefined();
  });

  it("round-trips through one hidden line, and ignores what is not a record", () => {
    const record = reviewRecord(plan());
    const line = reviewLine(record);
    expect(line).toMatch(/^<!-- tokenform-review:[A-Za-z0-9_-]+ -->$/);
    expect(parseReviewLine(`<!-- tokenform-plan:x -->\n${line}\n### tokenform plan`)).toEqual(record);
    expect(parseReviewLine("<!-- tokenform-review:e30 -->")).toBeUndefined();
    expect(parseReviewLine("<!-- tokenform-review:not base64 json! -->")).toBeUndefined();
    expect(parseReviewLine("no record here")).toBeUndefined();
  });

  it("keeps only a digest for a plan too large to list, and compares all or nothing", () => {
    const many = Array.from({ length: 600 }, (_, i) => resolved(`key-${String(i).padStart(4, "0")}`));
    const big = plan(many, []);
    const record = reviewRecord(big);
    expect(record.changes).toBeUndefined();
    expect(reviewLine(record).length).toBeLessThan(400);
    expect(compareWithReview(big, record).matches).toBe(true);
    const other = compareWithReview(plan([...many, resolved("one-more")], []), record);
    expect(other.matches).toBe(false);
    expect(other.unreviewed).toHaveLength(601);
  });
});
