/**
 * The Terraform provider's speed:
 * - spawn-to-handshake of the bundled executable (median and p90 over 20 starts; Terraform starts the
 *   provider 3–5 times per command and waits for each handshake);
 * - `terraform plan` (refresh included) of 100 tokenform_token against 100 built-in terraform_data, both
 *   created first (so the plan refreshes 100 real tokens from the token service), median of 3 plans each,
 *   with the provider's code cache on (as users run it) and off, side by side;
 * - where one plan's time goes (Terraform's trace log): each provider process's spawn-to-handshake and
 *   serving time, Terraform's own time, the RPCs, and the HTTP requests the provider sent (through a
 *   counting proxy);
 * - where one plan's CPU goes: Terraform itself against the provider processes (each process's own
 *   `process.cpuUsage()`, the whole plan's from bash's `times`), next to the CPU of the terraform_data plan;
 * - the top self-time frames of the provider processes' CPU profiles during one plan (unminified build).
 * The token service runs in this process on a loopback port (SQLite in a temporary directory).
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { buildProvider } from "../provider/build.js";
import { createClientIdentity, pluginEnv } from "../provider/test/support/plugin-client.js";
import { requireTerraform, TerraformWorkspace } from "../provider/test/support/terraform.js";
import { startService } from "../src/service/index.js";
import { type BenchRow, type BenchSuite, percentile } from "./harness.js";
import { selfTimes } from "./support/cpu-profile.js";
import { providerProcesses } from "./support/terraform-log.js";

const SPAWNS = 20;
/** Frames listed from the provider processes' CPU profiles. */
const TOP_FRAMES = 10;
/** Resources in each measured configuration. */
export const RESOURCES = 100;
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

/** 100 tokenform_token (owner bench/provider), as the plans measured here declare them. */
export const TOKENS_HCL = `terraform {
  required_providers {
    tokenform = { source = "registry.terraform.io/tokenform/tokenform" }
  }
}

provider "tokenform" {
  owner = "bench/provider"
}

resource "tokenform_token" "t" {
  count  = ${RESOURCES}
  name   = "bench-\${count.index}"
  scopes = ["contexts:read"]
  labels = { bench = "provider" }
}
`;

/** The baseline: 100 built-in terraform_data with a similar input. */
export const DATA_HCL = `resource "terraform_data" "d" {
  count = ${RESOURCES}
  input = { name = "bench-\${count.index}", scopes = ["contexts:read"] }
}
`;

/** A loopback proxy in front of the token service that counts requests and the time any was in flight. */
async function countingProxy(target: string) {
  const upstream = new URL(target);
  const stats = { requests: 0, busyMs: 0, inFlight: 0, since: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    if (stats.inFlight++ === 0) stats.since = performance.now();
    const done = () => {
      if (--stats.inFlight === 0) stats.busyMs += performance.now() - stats.since;
    };
    const forward = httpRequest(
      new URL(req.url ?? "/", upstream),
      { method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once("end", done);
      },
    );
    forward.once("error", () => {
      done();
      res.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, stats };
}

/**
 * One plan with Terraform's trace log and the API behind the counting proxy: where its time goes —
 * provider process starts to handshake, the processes' serving time (methods loaded, RPCs answered),
 * Terraform's own time, the RPCs made and the HTTP requests the provider sent.
 */
async function breakdown(
  ws: TerraformWorkspace,
  proxy: Awaited<ReturnType<typeof countingProxy>>,
  dir: string,
): Promise<BenchRow[]> {
  const log = join(dir, "plan-trace.log");
  const direct = ws.env.TOKENFORM_API_URL;
  Object.assign(ws.env, { TF_LOG: "trace", TF_LOG_PATH: log, TOKENFORM_API_URL: proxy.url });
  proxy.stats.requests = 0;
  proxy.stats.busyMs = 0;
  const started = performance.now();
  await ws.ok(["plan", "-no-color", "-detailed-exitcode"]);
  const total = performance.now() - started;
  Object.assign(ws.env, { TOKENFORM_API_URL: direct });
  delete ws.env.TF_LOG;
  delete ws.env.TF_LOG_PATH;
  const { processes } = providerProcesses(log);
  const handshakes = processes.reduce((a, p) => a + p.handshakeMs, 0);
  const serving = processes.reduce((a, p) => a + p.servingMs, 0);
  const rpcs: Record<string, number> = {};
  for (const p of processes) for (const [k, n] of Object.entries(p.rpcs)) rpcs[k] = (rpcs[k] ?? 0) + n;
  const count = (name: string) => rpcs[name] ?? 0;
  return [
    { metric: "breakdown: traced plan (TF_LOG=trace), total", value: total, unit: "ms" },
    { metric: "breakdown: provider processes started", value: processes.length, unit: "" },
    { metric: "breakdown: process starts, spawn to handshake (sum)", value: handshakes, unit: "ms" },
    ...processes.map((p, i) => ({
      metric: `breakdown: process ${i + 1} (${Object.keys(p.rpcs).slice(0, 3).join(", ") || "no RPC"}): handshake + serving`,
      value: p.handshakeMs + p.servingMs,
      unit: "ms",
    })),
    { metric: "breakdown: processes serving RPCs, handshake to exit (sum)", value: serving, unit: "ms" },
    {
      metric: "breakdown: terraform alone (total − provider processes)",
      value: total - handshakes - serving,
      unit: "ms",
    },
    {
      metric: "breakdown: RPCs (all / ReadResource / PlanResourceChange / Validate*)",
      value: Object.values(rpcs).reduce((a, n) => a + n, 0),
      unit: `${count("ReadResource")} / ${count("PlanResourceChange")} / ${count("ValidateResourceConfig") + count("ValidateProviderConfig")}`,
    },
    { metric: "breakdown: HTTP requests to the token service", value: proxy.stats.requests, unit: "" },
    { metric: "breakdown: HTTP, time with a request in flight", value: proxy.stats.busyMs, unit: "ms" },
  ];
}

/** CPU milliseconds (user + system) of one `terraform plan` and every process it waited for. */
function planCpu(ws: TerraformWorkspace, env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    // bash's `times` prints its own and then its children's user and system time ("0m1.234s 0m0.210s").
    const child = spawn(
      "bash",
      ["-c", "terraform plan -no-color -detailed-exitcode >/dev/null 2>&1; code=$?; times; exit $code"],
      { cwd: ws.dir, env: { ...ws.terraformEnv(), ...env }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const children = out
        .trim()
        .split("\n")[1]
        ?.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
      if (code !== 0 || !children) reject(new Error(`terraform plan exited ${code}: ${out}`));
      else {
        const [, um, us, sm, ss] = children.map(Number) as [number, number, number, number, number];
        resolve((um * 60 + us + sm * 60 + ss) * 1000);
      }
    });
  });
}

/**
 * Where the CPU of a plan goes, median of `PLANS` plans: the whole plan's, each provider process's
 * (bench/support/cpu-usage-hook.cjs), Terraform's own (the difference), and terraform_data's whole plan.
 * On two cores Terraform's own share bounds the ratio from below whatever the provider does.
 */
async function cpuSplit(
  tokens: TerraformWorkspace,
  data: TerraformWorkspace,
  dir: string,
): Promise<BenchRow[]> {
  const file = join(dir, "cpu-usage.jsonl");
  const hook = fileURLToPath(new URL("./support/cpu-usage-hook.cjs", import.meta.url));
  const runs: Array<{ total: number; providers: number[] }> = [];
  for (let i = 0; i < PLANS; i++) {
    writeFileSync(file, "");
    const total = await planCpu(tokens, {
      NODE_OPTIONS: `--require ${hook}`,
      TOKENFORM_CPU_USAGE_FILE: file,
    });
    const providers = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { userMs: number; systemMs: number })
      .map((p) => p.userMs + p.systemMs);
    runs.push({ total, providers });
  }
  const dataCpu: number[] = [];
  for (let i = 0; i < PLANS; i++) dataCpu.push(await planCpu(data));
  const median = (f: (r: (typeof runs)[number]) => number) => percentile(runs.map(f), 50);
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const processes = Math.max(...runs.map((r) => r.providers.length));
  return [
    {
      metric: `CPU: terraform plan, ${RESOURCES} tokenform_token, all processes`,
      value: median((r) => r.total),
      unit: "ms",
    },
    ...Array.from({ length: processes }, (_, i) => ({
      metric: `CPU: provider process ${i + 1}`,
      value: median((r) => r.providers[i] ?? 0),
      unit: "ms",
    })),
    {
      metric: "CPU: terraform itself (all − provider processes)",
      value: median((r) => r.total - sum(r.providers)),
      unit: "ms",
    },
    {
      metric: `CPU: terraform plan, ${RESOURCES} terraform_data`,
      value: percentile(dataCpu, 50),
      unit: "ms",
    },
  ];
}

/**
 * One plan with every provider process CPU-profiled (bench/support/cpu-profile-hook.cjs), from an
 * unminified build so frames have their names, on a copy of the token workspace's state: the top
 * self-time frames over all processes (V8's idle time left out).
 */
async function profile(ws: TerraformWorkspace, from: TerraformWorkspace, dir: string): Promise<BenchRow[]> {
  const profiles = join(dir, "profiles");
  mkdirSync(profiles, { recursive: true });
  ws.install();
  ws.write(TOKENS_HCL);
  await ws.ok(["init", "-no-color"]);
  copyFileSync(join(from.dir, "terraform.tfstate"), join(ws.dir, "terraform.tfstate"));
  await ws.ok(["plan", "-no-color", "-detailed-exitcode"]); // writes the readable build's code cache
  Object.assign(ws.env, {
    NODE_OPTIONS: `--require ${fileURLToPath(new URL("./support/cpu-profile-hook.cjs", import.meta.url))}`,
    TOKENFORM_CPU_PROFILE_DIR: profiles,
  });
  await ws.ok(["plan", "-no-color", "-detailed-exitcode"]);
  const { frames, profiles: count, totalMs } = selfTimes(profiles);
  return [
    {
      metric: `CPU of the ${count} provider processes (profiled plan, idle excluded)`,
      value: totalMs,
      unit: "ms",
    },
    ...frames.slice(0, TOP_FRAMES).map((f, i) => ({
      metric: `CPU self time #${i + 1}: ${f.frame}`,
      value: f.ms,
      unit: "ms",
    })),
  ];
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
    const proxy = await countingProxy(service.url);
    const tokens = new TerraformWorkspace(bundle, {
      TOKENFORM_API_URL: service.url,
      TOKENFORM_API_TOKEN: service.adminToken.reveal(),
      // The provider's code cache, kept with this run (src/runtime/code-cache.ts).
      XDG_CACHE_HOME: join(dir, "cache"),
    });
    const data = new TerraformWorkspace(bundle, {});
    const profiled = new TerraformWorkspace(
      await buildProvider({ outfile: join(dir, "readable", "terraform-provider-tokenform"), minify: false }),
      { ...tokens.env },
    );
    try {
      tokens.install();
      tokens.write(TOKENS_HCL);
      data.install();
      data.write(DATA_HCL);
      for (const ws of [tokens, data]) {
        await ws.ok(["init", "-no-color"]);
        await ws.ok(["apply", "-no-color", "-auto-approve"]);
      }
      // Side by side: the provider with its code cache (as users run it), without, and terraform_data.
      const tokenPlan = await timedPlans(tokens);
      tokens.env.TOKENFORM_PROVIDER_CODE_CACHE = "0";
      const uncachedPlan = await timedPlans(tokens);
      delete tokens.env.TOKENFORM_PROVIDER_CODE_CACHE;
      const dataPlan = await timedPlans(data);
      const ratio = tokenPlan / dataPlan;
      rows.push(
        {
          metric: `terraform plan, ${RESOURCES} tokenform_token (created, refreshed)`,
          value: tokenPlan,
          unit: "ms",
        },
        {
          metric: `terraform plan, ${RESOURCES} tokenform_token, code cache off`,
          value: uncachedPlan,
          unit: "ms",
        },
        { metric: `terraform plan, ${RESOURCES} terraform_data (created)`, value: dataPlan, unit: "ms" },
        {
          metric: "plan time ratio tokenform_token / terraform_data",
          value: ratio,
          unit: "×",
          target: "≤ 3×",
          ok: ratio <= 3,
        },
        { metric: "plan time ratio, code cache off", value: uncachedPlan / dataPlan, unit: "×" },
        ...(await breakdown(tokens, proxy, dir)),
        ...(await cpuSplit(tokens, data, dir)),
        ...(await profile(profiled, tokens, dir)),
      );
    } finally {
      tokens.remove();
      data.remove();
      profiled.remove();
      proxy.server.close();
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
