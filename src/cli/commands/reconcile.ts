/** `tokenform plan`, `tokenform apply`, `tokenform rotate`: the reconcile commands. */
import { type Command, Option } from "commander";
import { apiUrlArgument } from "../options.js";

const connection = (command: Command) =>
  command
    .option(
      "--embedded",
      "use the embedded token service (.tokenform/tokenform.db) even if TOKENFORM_API_URL is set",
    )
    .option(
      "--api-url <url>",
      "management API URL (default: TOKENFORM_API_URL, else the embedded service)",
      apiUrlArgument,
    );

const checkDestinationsFlag = "--no-check-destinations";
const checkDestinationsHelp =
  "do not read each destination for drift (a secret deleted or overwritten there is then not re-delivered)";

export function registerPlan(program: Command): void {
  connection(
    program
      .command("plan")
      .description("show what applying the specs would change (no changes are made)")
      .argument("[paths...]", "spec files or directories (default: tokens/)"),
  )
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"),
    )
    .option("--out <file>", "also write the plan as JSON to this file (for apply --plan-file)")
    .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none, 1 on error")
    .option(checkDestinationsFlag, checkDestinationsHelp)
    .option("--no-color", "no ANSI colours")
    .action(async (paths: string[], options) => {
      const { runPlan } = await import("../run/plan.js");
      process.exitCode = await runPlan(paths, options);
    });
}

export function registerApply(program: Command): void {
  connection(
    program
      .command("apply")
      .description("apply the specs: create, update, rotate and retire tokens and deliver new secrets")
      .argument("[paths...]", "spec files or directories (default: tokens/)"),
  )
    .option("--plan-file <file>", "apply this saved plan; refused if planning now gives a different plan")
    .option("--auto-approve", "do not ask for confirmation")
    .option(checkDestinationsFlag, checkDestinationsHelp)
    .option("--no-color", "no ANSI colours")
    .action(async (paths: string[], options) => {
      const { runApply } = await import("../run/apply.js");
      process.exitCode = await runApply(paths, options);
    });
}

export function registerRotate(program: Command): void {
  connection(
    program
      .command("rotate")
      .description("roll one token's secret now and deliver it everywhere")
      .argument("<name>", "token name")
      .argument("[paths...]", "spec files or directories (default: tokens/)"),
  )
    .option("--now", "emergency rotation: the previous secret stops working at once (no overlap)")
    .option("--auto-approve", "do not ask for confirmation")
    .option("--no-color", "no ANSI colours")
    .action(async (name: string, paths: string[], options) => {
      const { runRotate } = await import("../run/rotate.js");
      process.exitCode = await runRotate(name, paths, options);
    });
}

export function registerTokens(program: Command): void {
  const tokens = program.command("tokens").description("inspect tokens in the token service");
  connection(
    tokens.command("list").description("list tokens: name, prefix, type, status, expiry, last use, requests"),
  )
    .option("--selector <selector>", "label selector, e.g. tokenform.dev/owner=acme/platform-infra")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (options) => {
      const { runTokensList } = await import("../run/tokens.js");
      process.exitCode = await runTokensList(options);
    });
}

export function registerQuickstart(program: Command): void {
  program
    .command("quickstart")
    .description(
      "plan and apply quickstart/quickstart.yaml on the embedded service, then prove a delivered key works",
    )
    .option("--spec <file>", "spec to use", "quickstart/quickstart.yaml")
    .option("--out-dir <dir>", "where the file sinks write (default: .tokenform/quickstart)")
    .action(async (options) => {
      const { runQuickstart } = await import("../run/quickstart.js");
      process.exitCode = await runQuickstart(options);
    });
}
