/**
 * Child process for the crash tests: plans the resolved set in SPEC_JSON against TOKENFORM_API_URL and
 * applies it, sending itself SIGKILL right after the KILL_AT-th step event (no clean-up of any kind runs).
 * Exits 0 when the apply finished before reaching that step.
 */
import { readFileSync } from "node:fs";
import { TokenformClient } from "../../src/api/client.js";
import { applyPlan } from "../../src/apply/index.js";
import { planTokenSet } from "../../src/plan/fetch.js";
import { createSinks } from "../../src/sinks/index.js";
import type { ResolvedTokenSet } from "../../src/spec/resolved.js";

const set = JSON.parse(readFileSync(process.env.SPEC_JSON!, "utf8")) as ResolvedTokenSet;
const killAt = Number(process.env.KILL_AT);
const api = new TokenformClient({
  baseUrl: process.env.TOKENFORM_API_URL!,
  token: process.env.TOKENFORM_API_TOKEN!,
  retries: 0,
});
const plan = await planTokenSet(
  api,
  set,
  process.env.PLAN_NOW ? { now: new Date(process.env.PLAN_NOW) } : {},
);
let steps = 0;
const result = await applyPlan(plan, {
  api,
  sinks: createSinks({ env: {} }),
  concurrency: 1,
  onEvent: (event) => {
    if (event.type !== "step") return;
    steps += 1;
    if (steps === killAt) process.kill(process.pid, "SIGKILL");
  },
});
process.stdout.write(`${JSON.stringify({ ok: result.ok, steps })}\n`);
