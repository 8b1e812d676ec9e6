/**
 * The plan engine (`computePlan`) and the Terraform provider (`planToken` + `plannedRoll`) decide the same
 * for the same token: each scenario is one Terraform configuration, resolved by the spec module for both,
 * and one token in the service (Terraform's prior state is built from it). Their outcomes — roll or not
 * and why, the overlap, the destinations lacking the current secret, a replacement — are compared with
 * each other and with what the scenario expects.
 */
import { describe, expect, it } from "vitest";
import type { Token } from "../../../src/api/schemas.js";
import { computePlan } from "../../../src/plan/compute.js";
import { REDELIVER_MIN_OVERLAP_SECONDS, ROLL_REASON_WORDS } from "../../../src/plan/token-rules.js";
import { validateDocuments } from "../../../src/spec/validate.js";
import { applied, OWNER, T0 } from "../../../test/support/builders.js";
import { withFileKeys } from "../../src/resources/token/file-keys.js";
import { plannedRoll, planToken } from "../../src/resources/token/plan.js";
import { specRules } from "../../src/resources/token/spec-rules.js";
import { stateFromToken } from "../../src/resources/token/state.js";
import { toSpec } from "../../src/resources/token/to-spec.js";
import { type TfObject, Unknown } from "../../src/runtime/values.js";
import { tokenConfig } from "../support/config.js";

/** 60 days after the token was issued: a 30-day rotation is due, a 90-day one is not. */
const NOW = new Date(T0.getTime() + 60 * 86_400_000);
const rules = specRules("/work");
const X = { path: "/tmp/x.env", format: null, key: null };
const Y = { path: "/tmp/y.env", format: null, key: null };
const X_ID = "file:/tmp/x.env#BACKEND_CI";
const Y_ID = "file:/tmp/y.env#BACKEND_CI";

/** The scenarios' base configuration: delivered to x.env. */
const cfg = (overrides: TfObject = {}) => tokenConfig({ file: [X], ...overrides });

/** The resolved spec token of a configuration (the spec module's resolution, as both front ends use). */
function resolvedOf(config: TfObject) {
  const resolved = rules.check(toSpec(withFileKeys(config, null), OWNER).set).resolved;
  if (!resolved) throw new Error("the scenario's configuration must resolve");
  return resolved;
}

/** The token in the service as applying `from` left it (issued at T0, delivered where it says). */
function token(overrides: Partial<Token> = {}, from: TfObject = cfg()): Token {
  return applied(resolvedOf(from), overrides);
}

/** What both front ends are compared on. */
interface Outcome {
  action: "rotate" | "redeliver" | "none" | "recreate";
  /** The first reason of a rotate, in the rules' words (`rotation-due`, …). */
  reason?: string;
  overlapSeconds?: number;
  missing?: string[];
}

const REASON_OF_WORDS = Object.fromEntries(Object.entries(ROLL_REASON_WORDS).map(([k, v]) => [v, k]));

function engineOutcome(config: TfObject, actual: Token, rotate?: string[]): Outcome {
  const outcome = validateDocuments([
    { file: "parity", baseDir: "/work", value: toSpec(withFileKeys(config, null), OWNER).set },
  ]);
  expect(outcome.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const plan = computePlan({
    set: outcome.set!,
    actual: [actual],
    now: NOW,
    ...(rotate ? { rotate: { names: rotate } } : {}),
  });
  const change = plan.changes.find((c) => ["rotate", "redeliver", "recreate"].includes(c.kind));
  if (!change) return { action: "none" };
  if (change.kind === "recreate") return { action: "recreate" };
  if (change.kind === "rotate") {
    return {
      action: "rotate",
      reason: REASON_OF_WORDS[change.reason],
      overlapSeconds: change.overlapSeconds,
    };
  }
  if (change.kind !== "redeliver") throw new Error(`unexpected ${change.kind}`);
  return {
    action: "redeliver",
    overlapSeconds: change.overlapSeconds,
    missing: (change.missing ?? []).map((d) => d.id),
  };
}

function providerOutcome(config: TfObject, actual: Token): Outcome {
  const prior = stateFromToken(actual, cfg());
  const effective = withFileKeys(config, prior);
  const resolved = rules.check(toSpec(effective, OWNER).set).resolved;
  expect(resolved).toBeDefined();
  const proposed: TfObject = { ...prior };
  for (const [k, v] of Object.entries(config)) if (v !== null) proposed[k] = v;
  const plan = planToken({ prior, proposed, config: effective, resolved, now: NOW, owner: OWNER });
  if (plan.requiresReplace.length > 0) return { action: "recreate" };
  const roll = plannedRoll({ prior, config: effective, enabled: plan.planned!.enabled!, resolved, now: NOW });
  if (roll instanceof Unknown) throw new Error("every value is known: the roll must be too");
  const rotating = roll.reasons.filter((r) => r !== "new-destination");
  if (rotating.length > 0)
    return { action: "rotate", reason: rotating[0], overlapSeconds: roll.overlapSeconds };
  if (roll.missing.length > 0) {
    // The plan marks the secret's attributes unknown exactly when it rolls.
    expect(plan.planned!.generation).toBeInstanceOf(Unknown);
    return { action: "redeliver", overlapSeconds: roll.overlapSeconds, missing: roll.missing };
  }
  expect(plan.planned!.generation).toBe(actual.generation);
  return { action: "none" };
}

const rotation = (every: string, overlap: string | null = "1h") => ({ rotation: { every, overlap } });

const scenarios: Array<{ title: string; config: TfObject; actual: Token; expected: Outcome }> = [
  { title: "unchanged", config: cfg(), actual: token(), expected: { action: "none" } },
  {
    title: "rotation due",
    config: cfg(rotation("30d")),
    actual: token(),
    expected: { action: "rotate", reason: "rotation-due", overlapSeconds: 3600 },
  },
  { title: "rotation not due", config: cfg(rotation("90d")), actual: token(), expected: { action: "none" } },
  {
    title: "expired (no overlap: the old secret no longer works anyway)",
    config: cfg(rotation("90d")),
    actual: token({ status: "expired" }),
    expected: { action: "rotate", reason: "expired", overlapSeconds: 0 },
  },
  {
    title: "rotate trigger changed",
    config: cfg({ rotate_trigger: "2026-06-01", ...rotation("90d", "2h") }),
    actual: token(),
    expected: { action: "rotate", reason: "rotate-trigger", overlapSeconds: 7200 },
  },
  {
    title: "rotate trigger as last applied",
    config: cfg({ rotate_trigger: "2026-06-01" }),
    actual: token({ labels: { ...token().labels, "tokenform.dev/rotate-trigger": "2026-06-01" } }),
    expected: { action: "none" },
  },
  {
    title: "new destination added (re-delivery keeps the old secret at least the minimum)",
    config: cfg({ file: [X, Y], ...rotation("90d") }),
    actual: token(),
    expected: { action: "redeliver", overlapSeconds: REDELIVER_MIN_OVERLAP_SECONDS, missing: [Y_ID] },
  },
  {
    title: "destination lost the current secret (its record is of an older generation)",
    config: cfg({ file: [X, Y] }),
    // Applied to both, then rolled: the roll reached y.env only.
    actual: ((t: Token) => ({
      ...t,
      generation: 2,
      deliveries: t.deliveries.map((r) => ({ ...r, generation: r.destination === X_ID ? 1 : 2 })),
    }))(token({}, cfg({ file: [X, Y] }))),
    expected: { action: "redeliver", overlapSeconds: REDELIVER_MIN_OVERLAP_SECONDS, missing: [X_ID] },
  },
  {
    title: "a due rotation covers a new destination too",
    config: cfg({ file: [X, Y], ...rotation("30d") }),
    actual: token(),
    expected: { action: "rotate", reason: "rotation-due", overlapSeconds: 3600 },
  },
  { title: "type change", config: cfg({ type: "admin" }), actual: token(), expected: { action: "recreate" } },
  {
    title: "disabled: nothing rolls, whatever is due or missing",
    config: cfg({ enabled: false, file: [X, Y], ...rotation("30d") }),
    actual: token(),
    expected: { action: "none" },
  },
];

describe("the plan engine and the provider decide the same per token", () => {
  for (const { title, config, actual, expected } of scenarios) {
    it(title, () => {
      const engine = engineOutcome(config, actual);
      const provider = providerOutcome(config, actual);
      expect(engine).toEqual(expected);
      expect(provider).toEqual(engine);
    });
  }

  it("tokenform rotate (the engine's request) rolls as a changed rotate trigger does in Terraform", () => {
    const engine = engineOutcome(cfg(rotation("90d", "2h")), token(), ["backend-ci"]);
    const provider = providerOutcome(cfg({ rotate_trigger: "now", ...rotation("90d", "2h") }), token());
    expect(engine).toEqual({ action: "rotate", reason: "requested", overlapSeconds: 7200 });
    expect(provider).toEqual({ ...engine, reason: "rotate-trigger" });
  });
});
