/**
 * What a plan warns about before apply: a token created with no destination and no pickup (a live key
 * nobody holds),
 * and destinations whose credentials are missing from the environment apply will run in (found at plan
 * time instead of halfway through apply). Warnings change nothing and are not part of the plan's hash.
 * Which credentials a kind needs is the kind's own declaration (`credentials` in `src/destinations`).
 */
import { kindOf } from "../destinations/registry.js";
import type { Destination } from "../spec/resolved.js";
import { type Change, deliveredTo, type Plan, removedFrom } from "./types.js";

/** One warning: a stable code, the token it concerns when it concerns one, and a sentence. */
export interface PlanWarning {
  code: "no_destination" | "missing_credentials";
  /** Token name, for `no_destination`. */
  name?: string;
  message: string;
}

/** The destinations `change` writes to or removes a secret from. */
function touched(change: Change): Destination[] {
  return [...deliveredTo(change), ...removedFrom(change)].flatMap((d) =>
    d.destination ? [d.destination] : [],
  );
}

/** Enabled tokens the plan creates with no destination. */
function undelivered(plan: Plan): PlanWarning[] {
  return plan.changes
    .filter(
      (c) =>
        (c.kind === "create" || c.kind === "recreate") &&
        c.destinations.length === 0 &&
        c.desired.pickup === undefined &&
        c.desired.enabled,
    )
    .map((c) => ({
      code: "no_destination" as const,
      name: c.name,
      message: `${c.name} is created with no destination and no pickup: a live key nobody holds. Add a deliver entry, or a holder and pickup so its person picks it up (tokenform pickup), or set enabled: false until it has one.`,
    }));
}

/**
 * One warning per missing environment variable (or set of alternatives, none of which is set), naming the
 * tokens whose deliveries need it.
 */
function missingCredentials(plan: Plan, env: NodeJS.ProcessEnv): PlanWarning[] {
  const needing = new Map<string, { choices: readonly string[]; names: Set<string> }>();
  for (const change of plan.changes) {
    for (const destination of touched(change)) {
      for (const credential of kindOf(destination.kind).credentials) {
        const choices = typeof credential === "string" ? [credential] : credential;
        if (choices.some((variable) => env[variable])) continue;
        const key = choices.join(",");
        const entry = needing.get(key) ?? { choices, names: new Set<string>() };
        entry.names.add(change.name);
        needing.set(key, entry);
      }
    }
  }
  return [...needing.values()].map(({ choices, names }) => {
    const [what, fix] =
      choices.length === 1
        ? [`${choices[0]} is not set`, "Set it"]
        : [`none of ${choices.join(", ")} is set`, "Set one of them"];
    return {
      code: "missing_credentials" as const,
      message: `${what}: applying this plan would fail at the destinations of ${[...names].join(", ")}. ${fix} in the environment apply runs in.`,
    };
  });
}

/**
 * The plan's warnings. Credentials are checked only when `env` is given: the environment apply will read
 * them from (a pull request's plan job holds no secret-writing token, so it does not pass one).
 */
export function planWarnings(plan: Plan, env?: NodeJS.ProcessEnv): PlanWarning[] {
  return [...undelivered(plan), ...(env ? missingCredentials(plan, env) : [])];
}
