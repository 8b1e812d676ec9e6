/**
 * `tokenform apply`: plan, show, confirm, apply with progress, summarise. With `--plan-file`, the saved plan
 * must hash the same as a fresh one, or nothing is done.
 */
import { readFile } from "node:fs/promises";
import { assertPlanFresh, StalePlanFileError } from "../../apply/index.js";
import { renderText } from "../../plan/render/text.js";
import type { Plan } from "../../plan/types.js";
import { connect } from "../connect.js";
import { CliError } from "../errors.js";
import { applyWithProgress, confirm, type Io, loadSpecs, planSpecs, processIo, useColor } from "./common.js";

export interface ApplyCommandOptions {
  embedded?: boolean;
  apiUrl?: string;
  planFile?: string;
  autoApprove?: boolean;
  color?: boolean;
  /** Read each destination for drift (default true; `--no-check-destinations` sets false). */
  checkDestinations?: boolean;
}

async function readPlanFile(path: string): Promise<Pick<Plan, "hash" | "owner">> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read the plan file ${path}: ${(error as Error).message}`);
  }
  const plan = parsed as Partial<Plan>;
  if (typeof plan.hash !== "string" || typeof plan.owner !== "string") {
    throw new CliError(`${path} is not a tokenform plan (made by \`tokenform plan --out\`)`);
  }
  return { hash: plan.hash, owner: plan.owner };
}

export async function runApply(
  paths: string[],
  options: ApplyCommandOptions,
  io: Io = processIo(),
): Promise<number> {
  const color = useColor(io.stdout, options.color);
  const saved = options.planFile ? await readPlanFile(options.planFile) : undefined;
  const set = await loadSpecs(paths, io, color);
  const connection = await connect({
    ...(options.embedded ? { embedded: true } : {}),
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
  });
  try {
    const plan = await planSpecs(connection.api, set, {
      ...(options.checkDestinations === false ? { checkDestinations: false } : {}),
    });
    if (saved) {
      try {
        assertPlanFresh(saved, plan);
      } catch (error) {
        if (error instanceof StalePlanFileError) throw new CliError(error.message);
        throw error;
      }
    } else {
      io.stdout.write(renderText(plan, { color }));
    }
    if (plan.errors.length > 0) {
      if (saved) io.stdout.write(renderText(plan, { color }));
      throw new CliError(
        `nothing was applied: the plan has ${plan.errors.length} error${plan.errors.length === 1 ? "" : "s"}`,
        1,
        "fix the names or destinations above (or set adopt: true on a token you mean to take over) and plan again",
      );
    }
    if (plan.changes.length === 0) {
      if (saved) io.stdout.write("No changes.\n");
      return 0;
    }
    if (!saved && !(await confirm(io, "\nDo you want to apply these changes?", options.autoApprove))) {
      io.stdout.write("Apply cancelled.\n");
      return 1;
    }
    return await applyWithProgress(connection.api, plan, io, color);
  } finally {
    await connection.close();
  }
}
