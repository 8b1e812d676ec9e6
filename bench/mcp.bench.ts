/**
 * MCP guard benchmarks (loopback only, bounded durations). An SDK MCP server with a session open, loaded
 * with `tools/call` of a trivial read-only tool (`get_status`), measured side by side in interleaved rounds:
 * 1. through `tokenform gateway` (keys verified in-process) vs straight to the same upstream — throughput
 *    ratio (target ≥ 70%) and added median latency at one connection (target < 1 ms);
 * 2. the SDK server guarded by `tokenform/mcp` (in-process service) vs the same server unguarded —
 *    throughput ratio (target ≥ 85%).
 *
 * Every server runs in its own child process (this file, started with a role), so the load generator never
 * shares an event loop with what it measures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { request } from "undici";
import {
  type BenchChild,
  type BenchRow,
  type BenchSuite,
  percentile,
  reportReady,
  startBenchChild,
  stopBenchChild,
} from "./harness.js";

const ROLE_ENV = "TOKENFORM_MCP_BENCH_ROLE";
const here = fileURLToPath(import.meta.url);
/** Seconds of load per target, split over interleaved rounds. */
const SECONDS = 12;
const ROUNDS = 3;
const CONNECTIONS = 20;
/** Limits high enough that the benchmark measures verification, not refusals. */
const UNLIMITED = { keyPerMinute: 1_000_000_000, accountPerHour: null };

/** Child roles: the plain upstream, the helper-guarded server, the gateway. */
async function runRole(role: string): Promise<void> {
  const { startMcpHttp, counters } = await import("../test/support/mcp.js");
  const { startService } = await import("../src/service/index.js");
  if (role === "upstream") {
    const mcp = await startMcpHttp({ stateful: true }, counters());
    reportReady({ url: mcp.url });
    return;
  }
  // The parent made the directory and removes it (children are killed, not asked to clean up).
  const dir = process.env.TOKENFORM_BENCH_DIR!;
  const service = await startService({ dbPath: join(dir, `${role}.sqlite`), rateLimits: UNLIMITED });
  const { TokenformClient } = await import("../src/api/client.js");
  const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  const token = (await api.createToken({ name: "bench-reader", scopes: ["tools:call"] })).secret.reveal();
  await api.close();
  if (role === "guarded") {
    const { tokenformMcp } = await import("../src/mcp/index.js");
    const { demoServer } = await import("../test/support/mcp.js");
    const c = counters();
    const auth = tokenformMcp(() => demoServer(c), { service });
    const mcp = await startMcpHttp({ stateful: true, guard: auth, protect: auth.protect }, c);
    reportReady({ url: mcp.url, token });
    return;
  }
  if (role === "gateway") {
    const { startGateway } = await import("../src/gateway/index.js");
    const gateway = await startGateway({ upstream: process.env.TOKENFORM_BENCH_UPSTREAM!, port: 0, service });
    reportReady({ url: gateway.url, token });
    return;
  }
  throw new Error(`unknown role ${role}`);
}

type Ready = { url: string; token?: string };
const startChild = (role: string, env: Record<string, string> = {}) =>
  startBenchChild<Ready>(here, ROLE_ENV, role, env);
// The parent owns what the children made (their database directory): no clean-up to wait for.
const stopChild = (child: BenchChild<Ready>) => stopBenchChild(child, "SIGKILL");

/** Opens an MCP session at `url` and returns the headers every later request carries. */
async function openSession(url: string, token?: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const init = await request(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      },
    }),
  });
  await init.body.text();
  const session = init.headers["mcp-session-id"];
  if (init.statusCode !== 200 || typeof session !== "string")
    throw new Error(`initialize failed: ${init.statusCode}`);
  const withSession = { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" };
  const ready = await request(url, {
    method: "POST",
    headers: withSession,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await ready.body.dump();
  return withSession;
}

const CALL = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "get_status", arguments: {} },
});

interface Target {
  name: string;
  options: autocannon.Options;
}

async function target(name: string, url: string, token?: string): Promise<Target> {
  return { name, options: { url, method: "POST", headers: await openSession(url, token), body: CALL } };
}

interface Measured {
  rps: number;
  bad: number;
}

/** Loads each target in turn, round after round (machine load drifts hit them alike). */
async function measure(
  targets: Target[],
  connections: number,
  seconds: number,
): Promise<Map<string, Measured>> {
  const runs = new Map<string, autocannon.Result[]>();
  for (const t of targets) await autocannon({ ...t.options, duration: 2, connections });
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const result = await autocannon({ ...t.options, duration: seconds / ROUNDS, connections });
      runs.set(t.name, [...(runs.get(t.name) ?? []), result]);
    }
  }
  const out = new Map<string, Measured>();
  for (const [name, list] of runs) {
    out.set(name, {
      rps: list.reduce((n, r) => n + r.requests.average, 0) / list.length,
      bad: list.reduce((n, r) => n + r.non2xx + r.errors, 0),
    });
  }
  return out;
}

/** Median latency of one request at a time, timed with hrtime (autocannon's histogram is too coarse here). */
async function sequentialLatency(targets: Target[], perRound = 1500): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const { Agent } = await import("undici");
  const agent = new Agent({ connections: 1 });
  try {
    for (let round = 0; round < ROUNDS + 1; round++) {
      for (const t of targets) {
        for (let i = 0; i < perRound; i++) {
          const started = process.hrtime.bigint();
          const res = await request(t.options.url!, {
            method: "POST",
            headers: t.options.headers as Record<string, string>,
            body: CALL,
            dispatcher: agent,
          });
          await res.body.text();
          // The first round warms up connections and V8; it is not counted.
          if (round > 0) samples.get(t.name)!.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
      }
    }
  } finally {
    await agent.close();
  }
  return new Map([...samples].map(([name, list]) => [name, percentile(list, 50)]));
}

async function run(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-"));
  const upstream = await startChild("upstream");
  const gateway = await startChild("gateway", {
    TOKENFORM_BENCH_UPSTREAM: upstream.ready.url,
    TOKENFORM_BENCH_DIR: dir,
  });
  const plain = await startChild("upstream");
  const guarded = await startChild("guarded", { TOKENFORM_BENCH_DIR: dir });
  try {
    const direct = await target("straight to the upstream", upstream.ready.url);
    const through = await target("through tokenform gateway", gateway.ready.url, gateway.ready.token);
    const unguarded = await target("SDK server, unguarded", plain.ready.url);
    const helper = await target(
      "SDK server guarded by tokenform/mcp",
      guarded.ready.url,
      guarded.ready.token,
    );
    const load = await measure([direct, through, unguarded, helper], CONNECTIONS, SECONDS);
    const latency = await sequentialLatency([direct, through]);
    const rows: BenchRow[] = [];
    const flag = (m: Measured) => (m.bad > 0 ? ` (${m.bad} non-2xx/errors!)` : "");
    for (const [name, m] of load) {
      rows.push({ metric: `tools/call ${name}${flag(m)}`, value: m.rps, unit: "req/s" });
    }
    const gw = load.get(through.name)!.rps / load.get(direct.name)!.rps;
    rows.push({
      metric: "gateway throughput / direct",
      value: gw * 100,
      unit: "%",
      target: "≥ 70%",
      ok: gw >= 0.7 && load.get(through.name)!.bad === 0,
    });
    const added = latency.get(through.name)! - latency.get(direct.name)!;
    rows.push({
      metric: "p50 straight to the upstream (one at a time)",
      value: latency.get(direct.name)!,
      unit: "ms",
    });
    rows.push({
      metric: "p50 through the gateway (one at a time)",
      value: latency.get(through.name)!,
      unit: "ms",
    });
    rows.push({
      metric: "p50 added by the gateway",
      value: added,
      unit: "ms",
      target: "< 1 ms",
      ok: added < 1,
    });
    const sdk = load.get(helper.name)!.rps / load.get(unguarded.name)!.rps;
    rows.push({
      metric: "tokenform/mcp-guarded / unguarded SDK server",
      value: sdk * 100,
      unit: "%",
      target: "≥ 85%",
      ok: sdk >= 0.85 && load.get(helper.name)!.bad === 0,
    });
    return rows;
  } finally {
    await Promise.all([stopChild(upstream), stopChild(gateway), stopChild(plain), stopChild(guarded)]);
    await rm(dir, { recursive: true, force: true });
  }
}

const role = process.env[ROLE_ENV];
if (role) await runRole(role);

const suite: BenchSuite = { name: "mcp", run };
export default suite;
