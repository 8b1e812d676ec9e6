/**
 * Apply progress in the job log: one line per step and per finished change, inside a collapsible group.
 * Lines carry names, destinations and display prefixes only, and pass through `redactKnownSecrets` as a
 * last guard (every issued secret is also masked by the runner).
 */
import * as core from "@actions/core";
import { redactKnownSecrets } from "../../src/api/secret.js";
import type { ApplyEvent } from "../../src/apply/apply.js";

/** An `onEvent` callback for `applyPlan` that logs to the job log. */
export function logProgress(event: ApplyEvent): void {
  const line = (text: string) => core.info(redactKnownSecrets(text));
  switch (event.type) {
    case "begin":
      core.startGroup(`Applying ${event.total} change${event.total === 1 ? "" : "s"}`);
      break;
    case "step":
      line(`  ${event.step.token}: ${event.step.step}${event.step.detail ? ` ${event.step.detail}` : ""}`);
      break;
    case "change":
      line(
        `${event.result.ok ? "✓" : "✗"} [${event.done}/${event.total}] ${event.change.kind} ${event.change.name}: ${event.result.message}`,
      );
      break;
    case "end":
      core.endGroup();
      break;
  }
}
