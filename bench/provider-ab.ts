/**
 * `npx tsx bench/provider-ab.ts <old-bundle> <new-bundle> [rounds]`: an A/B of two provider builds (e.g. one
 * built from main with `tsx provider/build.ts`, copied aside, and one from a branch). The bench's own
 * figures swing by tens of percent on a shared machine; alternating the two builds plan by plan (the order
 * flipped each round) against one token service shows differences of a few percent. Prints the median
 * wall time of `terraform plan` (100 tokenform_token, refreshed) per build and of 100 terraform_data, the
 * ratios, and the median CPU time (user + system) of terraform and the providers it waited for.
 * `B_NODE_OPTIONS` is given to the new build's processes only (to try V8 flags without rebuilding).
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformWorkspace } from "../provider/test/support/terraform.js";
import { startService } from "../src/service/index.js";
import { percentile } from "./harness.js";
import { DATA_HCL, TOKENS_HCL } from "./provider.bench.js";

/** One plan: wall milliseconds, and CPU milliseconds of terraform and its waited-for children (GNU time). */
function plan(ws: TerraformWorkspace): Promise<{ wall: number; cpu: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Asynchronous: the token service answers from this process's event loop.
    const child = spawn(
      "/usr/bin/time",
      ["-f", "CPU %U %S", "terraform", "plan", "-no-color", "-detailed-exitcode"],
      {
        cwd: ws.dir,
        env: ws.terraformEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = performance.now() - started;
      const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(output);
      if (code !== 0 || !cpu) reject(new Error(`terraform plan exited ${code}\n${output}`));
      else resolve({ wall, cpu: (Number(cpu[1]) + Number(cpu[2])) * 1000 });
    });
  });
}

async function main(): Promise<void> {
  const [oldBundle, newBundle, roundsArg] = process.argv.slice(2);
  if (!oldBundle || !newBundle) throw new Error("usage: provider-ab.ts <old-bundle> <new-bundle> [rounds]");
  const rounds = Number(roundsArg ?? 7);
  const dir = mkdtempSync(join(tmpdir(), "tokenform-provider-ab-"));
  const service = await startService({ dbPath: join(dir, "tokens.db"), port: 0 });
  const api = { TOKENFORM_API_URL: service.url, TOKENFORM_API_TOKEN: service.adminToken.reveal() };
  const extra = process.env.B_NODE_OPTIONS ? { NODE_OPTIONS: process.env.B_NODE_OPTIONS } : {};
  const builds = {
    old: new TerraformWorkspace(oldBundle, { ...api, XDG_CACHE_HOME: join(dir, "cache-old") }),
    new: new TerraformWorkspace(newBundle, { ...api, XDG_CACHE_HOME: join(dir, "cache-new"), ...extra }),
  };
  const data = new TerraformWorkspace(oldBundle, {});
  try {
    for (const ws of [builds.old, builds.new, data]) ws.install();
    builds.old.write(TOKENS_HCL);
    builds.new.write(TOKENS_HCL);
    data.write(DATA_HCL);
    for (const ws of [builds.old, builds.new, data]) await ws.ok(["init", "-no-color"]);
    await builds.old.ok(["apply", "-no-color", "-auto-approve"]);
    await data.ok(["apply", "-no-color", "-auto-approve"]);
    // The same tokens for both builds: a plan only reads them.
    copyFileSync(join(builds.old.dir, "terraform.tfstate"), join(builds.new.dir, "terraform.tfstate"));
    for (const ws of [builds.old, builds.new, data]) await plan(ws); // code caches, file cache
    const runs = { old: [] as Array<{ wall: number; cpu: number }>, new: [], data: [] } as Record<
      "old" | "new" | "data",
      Array<{ wall: number; cpu: number }>
    >;
    for (let i = 0; i < rounds; i++) {
      for (const k of i % 2 === 0 ? (["old", "new"] as const) : (["new", "old"] as const)) {
        runs[k].push(await plan(builds[k]));
      }
      runs.data.push(await plan(data));
    }
    const med = (k: keyof typeof runs, f: "wall" | "cpu") =>
      percentile(
        runs[k].map((r) => r[f]),
        50,
      );
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    process.stdout.write(
      [
        `wall, median of ${rounds}: old ${ms(med("old", "wall"))}, new ${ms(med("new", "wall"))}, terraform_data ${ms(med("data", "wall"))}`,
        `ratio to terraform_data: old ${(med("old", "wall") / med("data", "wall")).toFixed(2)}×, new ${(med("new", "wall") / med("data", "wall")).toFixed(2)}×; new/old ${(med("new", "wall") / med("old", "wall")).toFixed(3)}`,
        `CPU (terraform + providers), median: old ${ms(med("old", "cpu"))}, new ${ms(med("new", "cpu"))}, terraform_data ${ms(med("data", "cpu"))}; new/old ${(med("new", "cpu") / med("old", "cpu")).toFixed(3)}`,
        `wall per plan: old ${runs.old.map((r) => r.wall.toFixed(0)).join(" ")} | new ${runs.new.map((r) => r.wall.toFixed(0)).join(" ")}`,
        "",
      ].join("\n"),
    );
  } finally {
    for (const ws of [builds.old, builds.new, data]) ws.remove();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
