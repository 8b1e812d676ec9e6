/**
 * Preloaded into every Node process of a benchmark run (`NODE_OPTIONS=--require <this file>`): when the
 * process exits, appends one JSON line `{ pid, userMs, systemMs }` (its own CPU time) to
 * `TOKENFORM_CPU_USAGE_FILE`. Used by the provider bench to split a plan's CPU between Terraform and the
 * provider processes it starts; does nothing without the variable.
 */
const file = process.env.TOKENFORM_CPU_USAGE_FILE;
if (file) {
  const { appendFileSync } = require("node:fs");
  process.on("exit", () => {
    const { user, system } = process.cpuUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ pid: process.pid, userMs: user / 1000, systemMs: system / 1000 })}\n`,
    );
  });
}
