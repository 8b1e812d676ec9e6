/** `tokenform plan`: load specs, plan against the token service, print, optionally save and signal changes. */
import { writeFile } from "node:fs/promises";
import { renderJson, renderMarkdown, renderText } from "../../plan/index.js";
import { hasChanges } from "../../plan/types.js";
import { connect } from "../connect.js";
import { type Io, loadSpecs, planSpecs, processIo, useColor } from "./common.js";

export interface PlanCommandOptions {
  embedded?: boolean;
  apiUrl?: string;
  format?: "text" | "markdown" | "json";
  out?: string;
  detailedExitcode?: boolean;
  color?: boolean;
  /** Read each destination for drift (default true; `--no-check-destinations` sets false). */
  checkDestinations?: boolean;
}

export async function runPlan(
  paths: string[],
  options: PlanCommandOptions,
  io: Io = processIo(),
): Promise<number> {
  const color = useColor(io.stdout, options.color);
  const set = await loadSpecs(paths, io, color);
  const connection = await connect({
    ...(options.embedded ? { embedded: true } : {}),
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
  });
  try {
    if (options.format !== "json") io.stderr.write(`Planning against ${connection.where}…\n`);
    const plan = await planSpecs(connection.api, set, {
      ...(options.checkDestinations === false ? { checkDestinations: false } : {}),
    });
    const format = options.format ?? "text";
    io.stdout.write(
      format === "json"
        ? renderJson(plan)
        : format === "markdown"
          ? renderMarkdown(plan)
          : renderText(plan, { color }),
    );
    if (options.out) {
      await writeFile(options.out, renderJson(plan), { mode: 0o644 });
      if (format !== "json")
        io.stderr.write(
          `Saved the plan to ${options.out}; apply it with: tokenform apply --plan-file ${options.out}\n`,
        );
    }
    if (plan.errors.length > 0) return 1;
    return options.detailedExitcode && hasChanges(plan) ? 2 : 0;
  } finally {
    await connection.close();
  }
}
