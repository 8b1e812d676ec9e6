/**
 * What the reconcile commands share: loading specs (diagnostics printed, exit 1 on errors), the terminal's
 * capabilities, and the interactive "yes" confirmation.
 */
import { createInterface } from "node:readline/promises";
import type { TokenformApi } from "../../api/contract.js";
import { maskSecrets } from "../../api/secret.js";
import type { Plan } from "../../plan/types.js";
import type { ResolvedTokenSet } from "../../spec/resolved.js";
import { CliError } from "../errors.js";

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

/** Colour when writing to a TTY, unless NO_COLOR is set or `--no-color` was given. */
export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  return flag !== false && Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** Loads and resolves the specs, or prints every diagnostic and fails with exit code 1. */
export async function loadSpecs(paths: string[], io: Io, color: boolean): Promise<ResolvedTokenSet> {
  const { loadTokenSet, renderDiagnostics } = await import("../../spec/index.js");
  const result = await loadTokenSet(paths.length > 0 ? paths : ["tokens"]);
  if (result.diagnostics.length > 0) {
    io.stderr.write(
      maskSecrets(renderDiagnostics(result.diagnostics, { format: "text", color, sources: result.sources })),
    );
  }
  if (!result.set || result.diagnostics.some((d) => d.severity === "error")) {
    throw new CliError(
      "the specs are invalid; nothing was planned",
      1,
      "fix the errors above, then run again",
    );
  }
  return result.set;
}

/**
 * Asks for an exact "yes" on a TTY; refuses to guess elsewhere. `action` names what is refused without
 * one ("apply", "rotate", "approve").
 */
export async function confirm(
  io: Pick<Io, "stdin" | "stdout">,
  question: string,
  autoApprove: boolean | undefined,
  action = "apply",
): Promise<boolean> {
  if (autoApprove) return true;
  if (!io.stdin.isTTY) {
    throw new CliError(
      `refusing to ${action} without confirmation`,
      1,
      `not a terminal: pass --auto-approve to ${action}`,
    );
  }
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  try {
    const answer = await rl.question(
      `${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `,
    );
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

/**
 * Plans `set` against the service. Unless `checkDestinations` is false, each destination of a token the
 * plan keeps is read for destination drift, with sinks configured from `env` (a destination that cannot be
 * read — no credential — is reported, not re-delivered).
 */
export async function planSpecs(
  api: TokenformApi,
  set: ResolvedTokenSet,
  options: { checkDestinations?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Plan> {
  const [{ planTokenSet }, { createSinks }] = await Promise.all([
    import("../../plan/fetch.js"),
    import("../../sinks/index.js"),
  ]);
  const env = options.env ?? process.env;
  if (options.checkDestinations === false) return planTokenSet(api, set, { env });
  return planTokenSet(api, set, { sinks: createSinks({ env }), env });
}

/**
 * Applies `plan` with the sinks configured from the environment, progress on `io.stdout` and the closing
 * summary; returns the exit code (0 when every change succeeded).
 */
export async function applyWithProgress(
  api: TokenformApi,
  plan: Plan,
  io: Io,
  color: boolean,
  /** Where sink credentials come from (the quickstart passes none: it delivers to files only). */
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [{ applyPlan }, { createSinks }, { applySummary, progressReporter }] = await Promise.all([
    import("../../apply/apply.js"),
    import("../../sinks/index.js"),
    import("../progress.js"),
  ]);
  const result = await applyPlan(plan, {
    api,
    sinks: createSinks({ env }),
    onEvent: progressReporter({ out: io.stdout, tty: Boolean(io.stdout.isTTY), color }),
  });
  io.stdout.write(applySummary(result));
  return result.ok ? 0 : 1;
}
