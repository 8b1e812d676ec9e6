/**
 * Where the Action reports besides annotations: the job summary (`GITHUB_STEP_SUMMARY`, Markdown shown on
 * the run's page) and the plan JSON file behind the `plan-json` output. Neither ever holds a secret: plans
 * and apply results carry names, destinations and display prefixes only.
 */
import { appendFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import { renderJson } from "../../src/plan/render/json.js";
import type { Plan } from "../../src/plan/types.js";

/**
 * Appends Markdown to the job summary. Written directly rather than through `core.summary`, whose
 * singleton remembers the first file path it saw (several runs in one process — tests — write elsewhere).
 * Outside a runner (no `GITHUB_STEP_SUMMARY`) the text goes to the log instead.
 */
export async function writeJobSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = env.GITHUB_STEP_SUMMARY;
  const text = markdown.endsWith("\n") ? markdown : `${markdown}\n`;
  if (!path) {
    core.info(text);
    return;
  }
  await appendFile(path, text, "utf8");
}

/** Writes the plan as JSON (docs/plan-format.md) to a new file under the runner's temp dir; returns its path. */
export async function writePlanFile(plan: Plan, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), "tokenform-plan-"));
  const path = join(dir, "plan.json");
  await writeFile(path, renderJson(plan), { encoding: "utf8", mode: 0o600 });
  return path;
}
