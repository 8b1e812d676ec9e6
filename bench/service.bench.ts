/**
 * Token service benchmarks (loopback only, bounded durations):
 * 1. in-process verification of a valid cached key — ops/s on one core and p99 per call;
 * 2. HTTP throughput with autocannon (50 connections, 10 s each in 5 interleaved rounds) against a bare
 *    node:http hello-world and a node:http POST-echo started in the same run: `POST /v1/verify` on
 *    `tokenform serve` started as a user starts it, and a GET protected by `tokenformAuth({ service })`;
 * 3. a store of 100,000 tokens: how long `startService` takes on it and the process RSS afterwards.
 *
 * Every server runs in its own child process (this file, started with a role in the environment) so the
 * load generator never shares an event loop with the server it measures.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
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
import { selfTimes } from "./support/cpu-profile.js";

const ROLE_ENV = "TOKENFORM_SERVICE_BENCH_ROLE";
const here = fileURLToPath(import.meta.url);
/** Seconds of load per target, split over `HTTP_ROUNDS` interleaved rounds. */
const HTTP_SECONDS = 10;
const HTTP_ROUNDS = 5;
const CONNECTIONS = 50;
const STORE_TOKENS = 100_000;
/** Limits high enough that the benchmarks measure verification, not refusals. */
const UNLIMITED = { keyPerMinute: 1_000_000_000, accountPerHour: null };
/** The measured key's own limit on `tokenform serve`: none, so the run measures admissions. */
const UNLIMITED_KEY = { perMinute: 1_000_000_000 };
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The CLI as the package ships it (`npm run build`, `bin` in package.json), built by this suite first. */
const CLI = join(ROOT, "dist/cli/index.js");

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
  if (role === "echo") {
    // Reads the JSON body, parses it, and answers JSON of the size `/v1/verify` answers with.
    const size = Number(process.env.TOKENFORM_BENCH_ECHO_BYTES);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
        const payload = JSON.stringify({ echo: parsed, pad: "" });
        const body = JSON.stringify({ echo: parsed, pad: "x".repeat(Math.max(0, size - payload.length)) });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    reportReady({ url: `http://127.0.0.1:${port}` });
    return;
  }
  if (role === "middleware") {
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
 * Builds the package (`npm run build`: what `npx tokenform` runs is compiled JavaScript, not the sources
 * through a loader).
 */
function buildCli(): void {
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const built = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
}

/**
 * `tokenform serve` as a user runs it: the built CLI in a child process with its default settings (info-level
 * JSON logs on stdout — here into a file, as a log collector would take them —, rate limits on, a new
 * SQLite database whose first admin key is read from stderr). With `profile` (a directory) it runs under
 * `node --cpu-prof` and writes its profile there when stopped.
 */
async function startServe(
  dir: string,
  profile?: string,
): Promise<{ child: ChildProcess; url: string; adminToken: string }> {
  const port = await freePort();
  const out = join(dir, "serve.stdout");
  const err = join(dir, "serve.stderr");
  const child = spawn(
    process.execPath,
    [
      ...(profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : []),
      CLI,
      "serve",
      "--db",
      join(dir, "db.sqlite"),
      "--port",
      String(port),
    ],
    {
      cwd: ROOT,
      env: servingEnv(),
      stdio: ["ignore", openSync(out, "w"), openSync(err, "w")],
    },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tokenform serve exited: ${readFileSync(err, "utf8")}`);
    if (Date.now() > deadline) throw new Error("tokenform serve did not start within 60 s");
    const key = /mcp_adm_\w+/.exec(readFileSync(err, "utf8"))?.[0];
    if (key && readFileSync(out, "utf8").includes("token service listening")) {
      return { child, url: `http://127.0.0.1:${port}`, adminToken: key };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** This environment without anything that would change `serve`'s defaults. */
function servingEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("TOKENFORM_")) delete env[name];
  return env;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * The measured key on a started `tokenform serve`: it and its account may verify without limit (as an
 * operator sets them), so a run measures admissions, not refusals; the limiter still runs, as deployed.
 * Checks one verify answers VALID and returns what autocannon sends.
 */
async function prepareVerify(serve: { url: string; adminToken: string }): Promise<{
  verifyBody: string;
  verifyHeaders: Record<string, string>;
  sampleText: string;
}> {
  const { TokenformClient } = await import("../src/api/client.js");
  const api = new TokenformClient({ baseUrl: serve.url, token: serve.adminToken });
  const issued = await api.createToken({ name: "bench", scopes: ["tools:call"], rateLimit: UNLIMITED_KEY });
  await api.updateAccount({ rateLimit: { perHour: "unlimited" } });
  await api.close();
  const verifyBody = JSON.stringify({ token: issued.secret.reveal(), scopes: ["tools:call"] });
  const verifyHeaders = { "content-type": "application/json", authorization: `Bearer ${serve.adminToken}` };
  const sample = await fetch(`${serve.url}/v1/verify`, {
    method: "POST",
    headers: verifyHeaders,
    body: verifyBody,
  });
  const sampleText = await sample.text();
  if (!sample.ok || !(JSON.parse(sampleText) as { valid: boolean }).valid) {
    throw new Error(`bench key refused: ${sample.status} ${sampleText}`);
  }
  return { verifyBody, verifyHeaders, sampleText };
}

/** Seconds of load on the CPU-profiled `tokenform serve` (after a 1 s warm-up). */
const PROFILE_SECONDS = 5;
const TOP_FRAMES = 10;

/**
 * A second `tokenform serve`, started as the measured one but under `node --cpu-prof`, loaded with the same
 * verify requests after the measured rounds (profiling slows a server; its figures are not the table's):
 * the top self-time frames of the serving process, V8's idle time left out.
 */
async function profileVerify(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-serve-prof-"));
  const profiles = join(dir, "profiles");
  const serve = await startServe(dir, profiles);
  try {
    const { verifyBody, verifyHeaders } = await prepareVerify(serve);
    const options = {
      url: `${serve.url}/v1/verify`,
      method: "POST" as const,
      headers: verifyHeaders,
      body: verifyBody,
    };
    await autocannon({ ...options, duration: 1, connections: CONNECTIONS });
    await autocannon({ ...options, duration: PROFILE_SECONDS, connections: CONNECTIONS });
    await stopServe(serve.child);
    const { frames, totalMs } = selfTimes(profiles);
    return [
      { metric: "verify CPU profile: serving process CPU (idle excluded)", value: totalMs, unit: "ms" },
      ...frames.slice(0, TOP_FRAMES).map((f, i) => ({
        metric: `verify CPU self time #${i + 1}: ${f.frame}`,
        value: (f.ms / totalMs) * 100,
        unit: `% (${f.ms.toFixed(0)} ms)`,
      })),
    ];
  } finally {
    await stopServe(serve.child);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * 2. HTTP at 50 connections, all servers started at once and loaded in turn, round after round, so a change
 * in the machine's load (other work on a shared box) affects them alike; throughput and p99 are the medians
 * of the rounds'. Baselines: a node:http hello-world, and a node:http POST-echo that
 * reads a JSON body, parses it and replies with a JSON body of the size verify answers with. Measured:
 * `POST /v1/verify` on `tokenform serve` as deployed (admin key as Bearer, the key in the body), and a GET
 * protected by `tokenformAuth({ service })` (an in-process service, silent, no limits).
 */
async function httpThroughput(): Promise<BenchRow[]> {
  buildCli();
  const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-serve-"));
  const serve = await startServe(dir);
  const { verifyBody, verifyHeaders, sampleText } = await prepareVerify(serve);
  const baseline = await startChild("baseline");
  const echo = await startChild("echo", { TOKENFORM_BENCH_ECHO_BYTES: String(sampleText.length) });
  const middleware = await startChild("middleware");
  const targets: Array<[string, autocannon.Options, number | undefined]> = [
    ["node:http hello-world", { url: baseline.ready.url }, baseline.process.pid],
    [
      "node:http POST-echo",
      {
        url: echo.ready.url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: verifyBody,
      },
      echo.process.pid,
    ],
    [
      "POST /v1/verify (tokenform serve)",
      { url: `${serve.url}/v1/verify`, method: "POST", headers: verifyHeaders, body: verifyBody },
      serve.child.pid,
    ],
    [
      "GET behind tokenformAuth({service})",
      { url: middleware.ready.url, headers: { authorization: `Bearer ${middleware.ready.token}` } },
      middleware.process.pid,
    ],
  ];
  const results = new Map<string, autocannon.Result[]>();
  /** CPU seconds each server spent in the measured rounds (Linux), and the requests it answered then. */
  const cpu = new Map<string, { seconds: number; requests: number }>();
  try {
    // Warm-up: let V8 optimise each server's hot path before anything is measured.
    for (const [, options] of targets)
      await autocannon({ ...options, duration: 1, connections: CONNECTIONS });
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (const [name, options, pid] of targets) {
        const before = cpuSeconds(pid);
        const result = await autocannon({
          ...options,
          duration: HTTP_SECONDS / HTTP_ROUNDS,
          connections: CONNECTIONS,
        });
        const after = cpuSeconds(pid);
        results.set(name, [...(results.get(name) ?? []), result]);
        if (before !== undefined && after !== undefined) {
          const sum = cpu.get(name) ?? { seconds: 0, requests: 0 };
          cpu.set(name, {
            seconds: sum.seconds + after - before,
            requests: sum.requests + result.requests.total,
          });
        }
      }
    }
  } finally {
    await Promise.all([stopChild(baseline), stopChild(echo), stopChild(middleware), stopServe(serve.child)]);
    await rm(dir, { recursive: true, force: true });
  }
  // Medians over the rounds: on a shared machine one round may fall on a burst of other work, which a
  // mean (or a worst-round p99) would charge to whichever target ran then.
  const measure = (name: string): Measured => {
    const runs = results.get(name)!;
    return {
      rps: percentile(
        runs.map((r) => r.requests.average),
        50,
      ),
      p99: percentile(
        runs.map((r) => r.latency.p99),
        50,
      ),
      bad: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
    };
  };
  const base = measure(targets[0]![0]);
  const post = measure(targets[1]![0]);
  const rows: BenchRow[] = [
    { metric: "node:http hello-world", value: base.rps, unit: "req/s" },
    { metric: "node:http hello-world p99", value: base.p99, unit: "ms" },
    { metric: "node:http POST-echo", value: post.rps, unit: "req/s" },
    { metric: "node:http POST-echo p99", value: post.p99, unit: "ms" },
  ];
  // Server CPU per request (user + system, all threads): less at the mercy of other work on a shared
  // machine than throughput, which also depends on how much CPU the load generator gets.
  for (const [name] of targets) {
    const used = cpu.get(name);
    if (used !== undefined && used.requests > 0) {
      rows.push({
        metric: `${name}: server CPU per request`,
        value: (used.seconds / used.requests) * 1e6,
        unit: "µs",
      });
    }
  }
  for (const [name] of targets.slice(2)) {
    const m = measure(name);
    const share = m.rps / base.rps;
    const postShare = m.rps / post.rps;
    const verify = name.startsWith("POST");
    rows.push({
      metric: `${name}${m.bad > 0 ? ` (${m.bad} non-2xx/errors!)` : ""}`,
      value: m.rps,
      unit: "req/s",
    });
    rows.push({
      metric: `${name}: share of POST-echo`,
      value: postShare * 100,
      unit: "%",
      ...(verify ? { target: "≥ 75%", ok: postShare >= 0.75 && m.bad === 0 } : {}),
    });
    rows.push({
      metric: `${name}: share of hello-world`,
      value: share * 100,
      unit: "%",
      target: verify ? "≥ 50%" : "≥ 60%",
      ok: share >= (verify ? 0.5 : 0.6) && m.bad === 0,
    });
    rows.push({
      metric: `${name} p99 (× hello-world p99)`,
      value: m.p99 / base.p99,
      unit: `× (${m.p99} ms)`,
      target: "≤ 2×",
      ok: m.p99 <= 2 * base.p99,
    });
  }
  return [...rows, ...(await profileVerify())];
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU seconds of process `pid` so far (its threads included); undefined off Linux. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
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
    // TOKENFORM_BENCH_ONLY=http runs the HTTP comparison alone (profiling, quick before/after checks).
    if (process.env.TOKENFORM_BENCH_ONLY === "http") return httpThroughput();
    return [...(await inProcessVerify()), ...(await httpThroughput()), ...(await largeStore())];
  },
};

export default suite;

const role = process.env[ROLE_ENV];
if (role) await runRole(role);
