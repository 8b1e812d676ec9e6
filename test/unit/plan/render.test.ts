import { describe, expect, it } from "vitest";
import { computePlan } from "../../../src/plan/compute.js";
import { renderJson } from "../../../src/plan/render/json.js";
import { renderMarkdown } from "../../../src/plan/render/markdown.js";
import { renderText } from "../../../src/plan/render/text.js";
import { applied, resolved, T0, tokenSet } from "../../support/builders.js";

const day = 86_400_000;
const now = new Date(T0.getTime() + 100 * day);

/** A plan with one change of most kinds, drift and reports. */
function samplePlan() {
  const rotating = resolved("backend-ci-pipeline", {
    rotation: { everySeconds: 90 * 86_400, overlapSeconds: 48 * 3600 },
  });
  const updated = resolved("frontend-ci-pipeline");
  const tampered = { ...applied(updated), scopes: ["*"] };
  return computePlan({
    set: tokenSet([
      resolved("alice-cursor-dev", { scopes: ["contexts:read", "tools:call"] }),
      rotating,
      resolved("frontend-ci-pipeline", { description: "Frontend CI" }),
      resolved("ops-agent", { type: "agent", readOnly: false, enabled: false }),
    ]),
    actual: [
      applied(rotating),
      tampered,
      applied(resolved("ops-agent", { type: "agent", readOnly: false })),
      applied(resolved("legacy-key")),
    ],
    now,
  });
}

describe("plan renderers", () => {
  it("renders terminal text like terraform plan, without colour off a TTY", () => {
    const text = renderText(samplePlan());
    expect(text).not.toContain("\u001b[");
    expect(text.trimEnd().split("\n").pop()).toBe(
      "Plan: 1 to create, 1 to update, 1 to disable, 1 to rotate, 1 to retire.",
    );
    expect(text).toMatchSnapshot();
  });

  it("colours only when asked", () => {
    expect(renderText(samplePlan(), { color: true })).toContain("\u001b[32m");
  });

  it("says No changes for an empty plan", () => {
    const spec = resolved("a");
    const plan = computePlan({
      set: tokenSet([spec]),
      actual: [applied(spec)],
      now: new Date(T0.getTime() + day),
    });
    expect(renderText(plan)).toBe("No changes. The tokens of acme/platform-infra match the spec.\n");
    expect(renderMarkdown(plan)).toContain("No changes.");
  });

  it("renders Markdown with a summary table and collapsible diff sections", () => {
    const md = renderMarkdown(samplePlan());
    expect(md).toContain("| Change | Tokens |");
    expect(md).toContain("<details");
    expect(md).toContain("```diff");
    expect(md).toMatchSnapshot();
  });

  it("summarises instead of exceeding the length limit", () => {
    const many = computePlan({
      set: tokenSet(Array.from({ length: 400 }, (_, i) => resolved(`token-${String(i).padStart(3, "0")}`))),
      actual: [],
      now,
    });
    const md = renderMarkdown(many, { maxLength: 5000, truncatedNote: "Full plan in the job summary." });
    expect(md.length).toBeLessThanOrEqual(5000);
    expect(md).toContain("Full plan in the job summary.");
    expect(md).toContain("Plan: 400 to create.");
  });

  it("emits versioned JSON that round-trips", () => {
    const plan = samplePlan();
    const parsed = JSON.parse(renderJson(plan));
    expect(parsed.formatVersion).toBe(1);
    expect(parsed.hash).toBe(plan.hash);
    expect(parsed.summary).toEqual(plan.summary);
  });
});
