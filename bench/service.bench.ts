/**
 * Token service benchmarks (loopback only, bounded durations):
 * 1. in-process verification of a valid cached key — ops/s on one core and p99 per call;
 * 2. HTTP throughput with autocannon (50 connections, 6 s each in 3 interleaved rounds) against a bare
 *    node:http hello-world started in the same run: `POST /v1/verify`, and a GET protected by
 *    `tokenformAuth({ service })`;
 * 3. a store of 100,000 tokens: how long `startService` takes on it and the process RSS afterwards.
 *
 * Every server runs in its own child process (this file, started with a role in the environment) so the
 * load generator never shares an event loop with the server it measures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import {
  type BenchChild,
  type BenchRow,
  type BenchSuite,
  percentile,
  reportReady,
  startBenchChild,
  stopBenchChild,
} from "./harness.js";

const ROLE_ENV = "TOKENFORM_SERVICE_BENCH_ROLE";
const here = fileURLToPath(import.meta.url);
/** Seconds of load per target, split over `HTTP_ROUNDS` interleaved rounds. */
const HTTP_SECONDS = 6;
const HTTP_ROUNDS = 3;
const CONNECTIONS = 50;
const STORE_TOKENS = 100_000;
/** Limits high enough that the benchmarks measure verification, not refusals. */
const UNLIMITED = { keyPerMinute: 1_000_000_000, accountPerHour: null };

/** Child roles: servers for the HTTP benchmarks and the 100k-token start-up probe. */
async function runRole(role: string): Promise<void> {
  const { startService } = await import("../src/service/index.js");
  if (role === "baseline") {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"hello":"world"}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    reportReady({ url: `http://127.0.0.1:${port}` });
    return;
  }
  if (role === "verify" || role === "middleware") {
    const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-"));
    const service = await startService({ dbPath: join(dir, "db.sqlite"), rateLimits: UNLIMITED });
    const { TokenformClient } = await import("../src/api/client.js");
    const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    const issued = await api.createToken({ name: "bench", scopes: ["tools:call"] });
    await api.close();
    const token = issued.secret.reveal();
    process.once("SIGTERM", () => {
      void service
        .close()
        .then(() => rm(dir, { recursive: true, force: true }))
        .then(() => process.exit(0));
    });
    if (role === "verify") {
      reportReady({ url: service.url, token });
      return;
    }
    const { tokenformAuth } = await import("../src/middleware/index.js");
    const auth = tokenformAuth({ service, scopes: ["tools:call"], protocol: "http" });
    const server = createServer((req, res) => {
      void auth(req, res, () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"hello":"world"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    reportReady({ url: `http://127.0.0.1:${port}/mcp`, token });
    return;
  }
  if (role === "startup") {
    const dbPath = process.env.TOKENFORM_BENCH_DB!;
    const started = performance.now();
    const service = await startService({ dbPath, sessionAdminKey: false, rateLimits: UNLIMITED });
    const startMs = performance.now() - started;
    const probe = process.env.TOKENFORM_BENCH_PROBE!;
    const coldStart = performance.now();
    const verdict = await service.verifier.verify({ token: probe });
    const coldMs = performance.now() - coldStart;
    global.gc?.();
    reportReady({
      startMs,
      rssMiB: process.memoryUsage().rss / 1024 / 1024,
      coldVerifyMs: coldMs,
      valid: verdict.valid,
    });
    await service.close();
    return;
  }
  throw new Error(`unknown role ${role}`);
}

type Ready = { url: string; token?: string } & Record<string, unknown>;
const startChild = (role: string, env: Record<string, string> = {}) =>
  startBenchChild<Ready>(here, ROLE_ENV, role, env);
const stopChild = (child: BenchChild<Ready>) => stopBenchChild(child);

/** 1. The verifier's hot path, in this process. */
async function inProcessVerify(): Promise<BenchRow[]> {
  const { startService } = await import("../src/service/index.js");
  const { TokenformClient } = await import("../src/api/client.js");
  const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-"));
  const service = await startService({ dbPath: join(dir, "db.sqlite"), rateLimits: UNLIMITED });
  const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  const token = (await api.createToken({ name: "hot", scopes: ["tools:call"] })).secret.reveal();
  await api.close();
  const verifier = service.verifier;
  const input = { token, ip: "203.0.113.7", scopes: ["tools:call"] };
  const first = await verifier.verify(input);
  if (!first.valid) throw new Error(`bench token refused: ${first.code}`);

  // Throughput of the synchronous fast path (what the middleware calls) and of the promise API.
  const run = (ms: number, body: () => void) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) body();
      n += 1000;
    }
    return n / (ms / 1000);
  };
  run(500, () => verifier.verifyCached(input));
  const syncOps = run(3000, () => verifier.verifyCached(input));
  let asyncOps = 0;
  {
    const end = performance.now() + 2000;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) await verifier.verify(input);
      n += 1000;
    }
    asyncOps = n / 2;
  }
  // Per-call latency, each call timed on its own.
  const samples: number[] = new Array(200_000);
  for (let i = 0; i < samples.length; i++) {
    const t = process.hrtime.bigint();
    verifier.verifyCached(input);
    samples[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  await service.close();
  await rm(dir, { recursive: true, force: true });
  return [
    {
      metric: "in-process verify (cached key, sync path)",
      value: syncOps,
      unit: "ops/s",
      target: "≥ 500,000",
      ok: syncOps >= 500_000,
    },
    { metric: "in-process verify (cached key, await verify())", value: asyncOps, unit: "ops/s" },
    { metric: "in-process verify p99", value: percentile(samples, 99), unit: "µs" },
  ];
}

/** Aggregate of several autocannon runs against one target. */
interface Measured {
  rps: number;
  p99: number;
  bad: number;
}

/**
 * 2. HTTP: baseline hello-world vs POST /v1/verify vs a middleware-protected GET. The three servers run at
 * once and are loaded in turn, round after round, so a change in the machine's load (other work on a
 * shared box) affects them alike; throughput is averaged over the rounds and p99 is the worst round's.
 */
async function httpThroughput(): Promise<BenchRow[]> {
  const baseline = await startChild("baseline");
  const verify = await startChild("verify");
  const middleware = await startChild("middleware");
  const targets: Array<[string, autocannon.Options]> = [
    ["node:http hello-world", { url: baseline.ready.url }],
    [
      "POST /v1/verify",
      {
        url: `${verify.ready.url}/v1/verify`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: verify.ready.token, scopes: ["tools:call"] }),
      },
    ],
    [
      "GET behind tokenformAuth({service})",
      { url: middleware.ready.url, headers: { authorization: `Bearer ${middleware.ready.token}` } },
    ],
  ];
  const results = new Map<string, autocannon.Result[]>();
  try {
    // Warm-up: let V8 optimise each server's hot path before anything is measured.
    for (const [, options] of targets)
      await autocannon({ ...options, duration: 1, connections: CONNECTIONS });
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (const [name, options] of targets) {
        const result = await autocannon({
          ...options,
          duration: HTTP_SECONDS / HTTP_ROUNDS,
          connections: CONNECTIONS,
        });
        results.set(name, [...(results.get(name) ?? []), result]);
      }
    }
  } finally {
    await Promise.all([stopChild(baseline), stopChild(verify), stopChild(middleware)]);
  }
  const measure = (name: string): Measured => {
    const runs = results.get(name)!;
    return {
      rps: runs.reduce((n, r) => n + r.requests.average, 0) / runs.length,
      p99: Math.max(...runs.map((r) => r.latency.p99)),
      bad: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
    };
  };
  const base = measure(targets[0]![0]);
  const rows: BenchRow[] = [
    { metric: "node:http hello-world", value: base.rps, unit: "req/s" },
    { metric: "node:http hello-world p99", value: base.p99, unit: "ms" },
  ];
  for (const [name] of targets.slice(1)) {
    const m = measure(name);
    const share = m.rps / base.rps;
    rows.push({
      metric: `${name}${m.bad > 0 ? ` (${m.bad} non-2xx/errors!)` : ""}`,
      value: m.rps,
      unit: "req/s",
      target: "≥ 60% of hello-world",
      ok: share >= 0.6 && m.bad === 0,
    });
    rows.push({ metric: `${name}: share of hello-world`, value: share * 100, unit: "%" });
    rows.push({ metric: `${name} p99`, value: m.p99, unit: "ms", target: "< 5 ms", ok: m.p99 < 5 });
  }
  return rows;
}

/** 3. A database of 100,000 tokens: start-up time and RSS of a fresh process opening it. */
async function largeStore(): Promise<BenchRow[]> {
  const { SqliteStore } = await import("../src/service/store/sqlite.js");
  const { TokenManager } = await import("../src/service/tokens.js");
  const { LocalInvalidation } = await import("../src/service/invalidation.js");
  const { Digester } = await import("../src/service/digest.js");
  const { UsageAccumulator } = await import("../src/service/usage.js");
  const { silentLogger } = await import("../src/service/logger.js");
  const { systemClock } = await import("../src/service/clock.js");
  const { DEFAULT_PREFIXES } = await import("../src/spec/token-format.js");
  const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-"));
  const dbPath = join(dir, "db.sqlite");
  const store = new SqliteStore({ path: dbPath });
  await store.init();
  const manager = new TokenManager({
    store,
    invalidation: new LocalInvalidation(),
    clock: systemClock,
    digester: new Digester(),
    usage: new UsageAccumulator({ store, flushIntervalMs: 0, logger: silentLogger() }),
    pendingTtlSeconds: 900,
    defaultPrefixes: { ...DEFAULT_PREFIXES },
  });
  await manager.createAccount("default");
  const actor = { account: "default", name: "bench", tokenId: null, scopes: ["*"], ip: null };
  const started = performance.now();
  let probe = "";
  // Seeded through the manager (digests, labels, audit entries: the real write path), 5,000 per transaction.
  for (let batch = 0; batch < STORE_TOKENS; batch += 5000) {
    await store.bulk(async () => {
      for (let i = batch; i < batch + 5000; i++) {
        const issued = await manager.create(actor, {
          name: `token-${i}`,
          type: "mcp",
          scopes: ["tools:call"],
          labels: { "tokenform.dev/owner": `team-${i % 50}`, n: String(i) },
        });
        if (i === STORE_TOKENS / 2) probe = issued.secret;
      }
    });
  }
  const insertSeconds = (performance.now() - started) / 1000;
  await store.close();
  const child = await startChild("startup", { TOKENFORM_BENCH_DB: dbPath, TOKENFORM_BENCH_PROBE: probe });
  await new Promise((r) => child.process.once("exit", r));
  await rm(dir, { recursive: true, force: true });
  const r = child.ready as unknown as {
    startMs: number;
    rssMiB: number;
    coldVerifyMs: number;
    valid: boolean;
  };
  if (!r.valid) throw new Error("the probe token did not verify in the 100k store");
  return [
    {
      metric: `seed ${STORE_TOKENS.toLocaleString("en-US")} tokens (manager path, 5,000 per tx)`,
      value: STORE_TOKENS / insertSeconds,
      unit: "tokens/s",
    },
    {
      metric: `startService on ${STORE_TOKENS.toLocaleString("en-US")} tokens`,
      value: r.startMs,
      unit: "ms",
    },
    {
      metric: `RSS after start-up (${STORE_TOKENS.toLocaleString("en-US")} tokens)`,
      value: r.rssMiB,
      unit: "MiB",
    },
    { metric: "first (uncached) verify in the 100k store", value: r.coldVerifyMs, unit: "ms" },
  ];
}

const suite: BenchSuite = {
  name: "service",
  async run() {
    return [...(await inProcessVerify()), ...(await httpThroughput()), ...(await largeStore())];
  },
};

export default suite;

const role = process.env[ROLE_ENV];
if (role) await runRole(role);
