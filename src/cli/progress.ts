/**
 * Apply progress for the terminal: on a TTY one live status line (spinner, counter, current step) that is
 * replaced as work goes on; elsewhere (CI) one plain line per step. Lines carry names, destinations and
 * display prefixes only, and pass through `redactKnownSecrets` as a last guard.
 */
import { redactKnownSecrets } from "../api/secret.js";
import type { ApplyEvent, ApplyResult } from "../apply/apply.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface ProgressOptions {
  out: NodeJS.WritableStream;
  tty: boolean;
  color: boolean;
}

export function progressReporter(options: ProgressOptions): (event: ApplyEvent) => void {
  const write = (text: string) => options.out.write(redactKnownSecrets(text));
  const paint = (code: number, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  let frame = 0;
  let total = 0;
  let done = 0;
  let live = false;
  const clearLive = () => {
    if (live) write("\r\u001b[2K");
    live = false;
  };
  return (event) => {
    switch (event.type) {
      case "begin":
        total = event.total;
        if (total > 0) write(`Applying ${total} change${total === 1 ? "" : "s"}…\n`);
        break;
      case "step": {
        const detail = event.step.detail ? ` ${event.step.detail}` : "";
        if (options.tty) {
          frame = (frame + 1) % FRAMES.length;
          clearLive();
          write(
            `${paint(36, FRAMES[frame]!)} [${done}/${total}] ${event.step.token}: ${event.step.step}${detail}`,
          );
          live = true;
        } else {
          write(`  ${event.step.token}: ${event.step.step}${detail}\n`);
        }
        break;
      }
      case "change": {
        done = event.done;
        clearLive();
        const mark = event.result.ok ? paint(32, "✓") : paint(31, "✗");
        write(
          `${mark} [${done}/${total}] ${event.change.kind} ${event.change.name}: ${event.result.message}\n`,
        );
        break;
      }
      case "end":
        clearLive();
        break;
    }
  };
}

/** The closing summary of an apply. */
export function applySummary(result: ApplyResult): string {
  const ok = result.results.filter((r) => r.ok).length;
  const failed = result.results.length - ok;
  const delivered = result.results.flatMap((r) => (r.ok ? (r.delivered ?? []) : []));
  const lines = [
    failed === 0
      ? `Apply complete: ${ok} change${ok === 1 ? "" : "s"} applied${delivered.length ? `, ${delivered.length} secret${delivered.length === 1 ? "" : "s"} delivered` : ""}.`
      : `Apply finished with errors: ${ok} applied, ${failed} failed.`,
  ];
  for (const r of result.results.filter((x) => !x.ok)) lines.push(`  ✗ ${r.kind} ${r.name}: ${r.message}`);
  return redactKnownSecrets(`${lines.join("\n")}\n`);
}
