/**
 * `tokenform rotate NAME [--now]`: roll one token and deliver the new secret everywhere its spec says. With
 * `--now` the previous secret stops working immediately (the emergency rotation for a leaked key).
 */
import { planTokenSet } from "../../plan/fetch.js";
import { selectChanges } from "../../plan/filter.js";
import { renderText } from "../../plan/render/text.js";
import { closest } from "../../spec/suggest.js";
import { connect } from "../connect.js";
import { CliError } from "../errors.js";
import { applyWithProgress, confirm, type Io, loadSpecs, processIo, useColor } from "./common.js";

export interface RotateCommandOptions {
  embedded?: boolean;
  apiUrl?: string;
  now?: boolean;
  autoApprove?: boolean;
  color?: boolean;
}

export async function runRotate(
  name: string,
  paths: string[],
  options: RotateCommandOptions,
  io: Io = processIo(),
): Promise<number> {
  const color = useColor(io.stdout, options.color);
  const set = await loadSpecs(paths, io, color);
  if (!set.tokens.some((t) => t.name === name)) {
    const suggestion = closest(
      name,
      set.tokens.map((t) => t.name),
    );
    throw new CliError(
      `no token named ${name} in the specs${suggestion ? `; did you mean ${suggestion}?` : ""}`,
      1,
      "rotate takes a token name declared in the specs (`tokenform plan` lists them)",
    );
  }
  const connection = await connect({
    ...(options.embedded ? { embedded: true } : {}),
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
  });
  try {
    const full = await planTokenSet(connection.api, set, {
      rotate: { names: [name], ...(options.now ? { overlapSeconds: 0 } : {}) },
      env: process.env,
    });
    const plan = selectChanges({ ...full, changes: full.changes.filter((c) => c.name === name) }, ["rotate"]);
    if (plan.changes.length === 0) {
      throw new CliError(
        `${name} cannot be rotated now: it does not exist yet or is disabled`,
        1,
        "run `tokenform apply` to create or enable it first",
      );
    }
    io.stdout.write(renderText(plan, { color }));
    if (!(await confirm(io, "\nRotate this token now?", options.autoApprove, "rotate"))) {
      io.stdout.write("Rotation cancelled.\n");
      return 1;
    }
    return await applyWithProgress(connection.api, plan, io, color);
  } finally {
    await connection.close();
  }
}
