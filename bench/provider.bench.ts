/**
 * The Terraform provider's speed:
 * - spawn-to-handshake of the bundled executable (median and p90 over 20 starts; Terraform starts the
 *   provider 3–5 times per command and waits for each handshake);
 * - `terraform plan` (refresh included) of 100 tokenform_token against 100 built-in terraform_data, both
 *   created first (so the plan refreshes 100 real tokens from the token service), median of 3 plans each.
 * The token service runs in this process on a loopback port (SQLite in a temporary directory).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { buildProvider } from "../provider/build.js";
import { createClientIdentity, pluginEnv } from "../provider/test/support/plugin-client.js";
import { requireTerraform, TerraformWorkspace } from "../provider/test/support/terraform.js";
import { startService } from "../src/service/index.js";
import { type BenchRow, type BenchSuite, percentile } from "./harness.js";

const SPAWNS = 20;
const RESOURCES = 100;
const PLANS = 3;

/** Milliseconds from spawn to the handshake line on stdout. */
async function handshakeTime(bundle: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn(bundle, [], { env, stdio: ["ignore", "pipe", "ignore"] });
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    lines.once("line", () => resolve());
    child.once("exit", (code) => reject(new Error(`provider exited ${code} before the handshake`)));
  });
  const elapsed = performance.now() - started;
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("close", resolve));
  return elapsed;
}

async function timedPlans(ws: TerraformWorkspace): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < PLANS; i++) {
    const started = performance.now();
    await ws.ok(["plan", "-no-color", "-detailed-exitcode"]);
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

const suite: BenchSuite = {
  name: "provider",
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(join(tmpdir(), "tokenform-bench-provider-"));
    const bundle = await buildProvider({ outfile: join(dir, "terraform-provider-tokenform") });
    const identity = await createClientIdentity();
    const env = pluginEnv(identity.certPem);
    await handshakeTime(bundle, env); // warm the file cache
    const starts: number[] = [];
    for (let i = 0; i < SPAWNS; i++) starts.push(await handshakeTime(bundle, env));
    const median = percentile(starts, 50);
    // The floor on this machine: a Node script that prints one line and does nothing else.
    const bare = join(dir, "bare-node");
    writeFileSync(bare, '#!/usr/bin/env node\nprocess.stdout.write("1\\n");\n', { mode: 0o755 });
    const floor: number[] = [];
    for (let i = 0; i < SPAWNS; i++) floor.push(await handshakeTime(bare, env));
    const rows: BenchRow[] = [
      {
        metric: "spawn to handshake, median (20 starts)",
        value: median,
        unit: "ms",
        target: "≤ 150 ms",
        ok: median <= 150,
      },
      { metric: "spawn to handshake, p90", value: percentile(starts, 90), unit: "ms" },
      { metric: "spawn to first line, bare node script (floor)", value: percentile(floor, 50), unit: "ms" },
    ];

    requireTerraform();
    const service = await startService({ dbPath: join(dir, "tokens.db"), port: 0 });
    const header = `terraform {\n  required_providers {\n    tokenform = { source = "registry.terraform.io/tokenform/tokenform" }\n  }\n}\n`;
    const tokens = new TerraformWorkspace(bundle, {
      TOKENFORM_API_URL: service.url,
      TOKENFORM_API_TOKEN: service.adminToken.reveal(),
    });
    const data = new TerraformWorkspace(bundle, {});
    try {
      tokens.install();
      tokens.write(
        `${header}provider "tokenform" {\n  owner = "bench/provider"\n}\n\nresource "tokenform_token" "t" {\n  count  = ${RESOURCES}\n  name   = "bench-\${count.index}"\n  scopes = ["contexts:read"]\n  labels = { bench = "provider" }\n}\n`,
      );
      data.install();
      data.write(
        `resource "terraform_data" "d" {\n  count = ${RESOURCES}\n  input = { name = "bench-\${count.index}", scopes = ["contexts:read"] }\n}\n`,
      );
      for (const ws of [tokens, data]) {
        await ws.ok(["init", "-no-color"]);
        await ws.ok(["apply", "-no-color", "-auto-approve"]);
      }
      const tokenPlan = await timedPlans(tokens);
      const dataPlan = await timedPlans(data);
      const ratio = tokenPlan / dataPlan;
      rows.push(
        {
          metric: `terraform plan, ${RESOURCES} tokenform_token (created, refreshed)`,
          value: tokenPlan,
          unit: "ms",
        },
        { metric: `terraform plan, ${RESOURCES} terraform_data (created)`, value: dataPlan, unit: "ms" },
        {
          metric: "plan time ratio tokenform_token / terraform_data",
          value: ratio,
          unit: "×",
          target: "≤ 1.5×",
          ok: ratio <= 1.5,
        },
      );
    } finally {
      tokens.remove();
      data.remove();
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
