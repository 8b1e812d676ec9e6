/**
 * Preloaded into every Node process of a benchmark run (`NODE_OPTIONS=--require <this file>`; Node 20
 * refuses `--cpu-prof` in NODE_OPTIONS): samples the process's CPU with the inspector from its first line
 * and writes `<pid>.cpuprofile` into `TOKENFORM_CPU_PROFILE_DIR` when it exits. Used by the provider bench
 * to profile the provider processes Terraform starts; does nothing without the variable.
 */
const dir = process.env.TOKENFORM_CPU_PROFILE_DIR;
if (dir) {
  const inspector = require("node:inspector");
  const { writeFileSync } = require("node:fs");
  const { join } = require("node:path");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  process.on("exit", () => {
    // The in-process session answers synchronously, so this runs before the process is gone.
    session.post("Profiler.stop", (err, res) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
