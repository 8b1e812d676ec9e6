/**
 * GitHub delivery throughput under the sink's write pacing: 100 repository secrets delivered at once (as
 * apply may) through nock with GitHub's REST shapes, throttling and retry plugins on. The production
 * spacing is 1000 ms between writes (≤ 60/min, under GitHub's ~80 content-creating requests per minute),
 * which would make this run take 100 s; the bench uses BENCH_WRITE_INTERVAL_MS (50 ms, ≤ 1200/min)
 * instead and checks that the spacing and one-write-at-a-time rule hold. Loopback-free: nock answers.
 */
import { performance } from "node:perf_hooks";
import sodium from "libsodium-wrappers";
import nock from "nock";
import { SecretValue } from "../src/api/secret.js";
import { GithubSink } from "../src/sinks/github/sink.js";
import { generateToken } from "../src/spec/token-format.js";
import { type BenchRow, type BenchSuite, peakRssMiB, percentile } from "./harness.js";

/** Spacing used here instead of the production 1000 ms, so 100 writes take ~5 s rather than ~100 s. */
const BENCH_WRITE_INTERVAL_MS = 50;
const SECRETS = 100;
/** Simulated GitHub latency per write: well under the interval, as for a healthy GitHub. */
const WRITE_LATENCY_MS = 10;

const suite: BenchSuite = {
  name: "github-delivery",
  async run(): Promise<BenchRow[]> {
    await sodium.ready;
    const kp = sodium.crypto_box_keypair();
    const publicKey = sodium.to_base64(kp.publicKey, sodium.base64_variants.ORIGINAL);
    nock.disableNetConnect();

    let keyFetches = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let decrypted = 0;
    const starts: number[] = [];
    const issued = new Map<string, string>();

    nock("https://api.github.com")
      .get("/repos/acme/backend/actions/secrets/public-key")
      .times(SECRETS)
      .reply(() => {
        keyFetches++;
        return [200, { key_id: "3380204578043523366", key: publicKey }];
      })
      .put(/^\/repos\/acme\/backend\/actions\/secrets\/[A-Z0-9_]+$/)
      .times(SECRETS)
      .reply(async (uri, body) => {
        starts.push(performance.now());
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const { encrypted_value } = body as { encrypted_value: string; key_id: string };
        const name = uri.split("/").pop() ?? "";
        const sealed = sodium.from_base64(encrypted_value, sodium.base64_variants.ORIGINAL);
        const plain = sodium.to_string(sodium.crypto_box_seal_open(sealed, kp.publicKey, kp.privateKey));
        if (plain === issued.get(name)) decrypted++;
        await new Promise((resolve) => setTimeout(resolve, WRITE_LATENCY_MS));
        inFlight--;
        return [201, ""];
      });

    // When the client hands each write to fetch: the moment the pacing governs (the server-side arrival
    // adds the event loop's jitter on top).
    const sent: number[] = [];
    const fetchSpy: typeof globalThis.fetch = (input, init) => {
      if (init?.method === "PUT") sent.push(performance.now());
      return globalThis.fetch(input, init);
    };
    const sink = new GithubSink({
      token: "ghs_bench",
      writeIntervalMs: BENCH_WRITE_INTERVAL_MS,
      fetch: fetchSpy,
    });
    const context = { tokenName: "bench", owner: "acme/platform-infra" };
    const jobs = Array.from({ length: SECRETS }, (_, i) => {
      const name = `MCP_KEY_${String(i).padStart(3, "0")}`;
      const raw = generateToken("mcp_sk_");
      issued.set(name, raw);
      return { name, secret: new SecretValue(raw) };
    });

    const t0 = performance.now();
    await Promise.all(
      jobs.map((j) =>
        sink.deliver({ kind: "github", repository: "acme/backend", secret: j.name }, j.secret, context),
      ),
    );
    const totalMs = performance.now() - t0;
    nock.cleanAll();

    const gapsOf = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);
    const minGap = Math.min(...gapsOf(sent));
    const serverGaps = gapsOf(starts);
    const spanMin = (starts[starts.length - 1]! - starts[0]!) / 60_000;
    const writesPerMinute = (starts.length - 1) / spanMin;
    const ceiling = 60_000 / BENCH_WRITE_INTERVAL_MS;

    return [
      {
        metric: "write interval (bench setting; production 1000)",
        value: BENCH_WRITE_INTERVAL_MS,
        unit: "ms",
      },
      {
        metric: "secrets delivered",
        value: starts.length,
        unit: "",
        target: `= ${SECRETS}`,
        ok: starts.length === SECRETS,
      },
      {
        metric: "sealed boxes that opened to the issued secret",
        value: decrypted,
        unit: "",
        target: `= ${SECRETS}`,
        ok: decrypted === SECRETS,
      },
      { metric: "public-key fetches", value: keyFetches, unit: "", target: "= 1", ok: keyFetches === 1 },
      { metric: "max concurrent writes", value: maxInFlight, unit: "", target: "= 1", ok: maxInFlight === 1 },
      {
        metric: "min gap between writes sent (client)",
        value: minGap,
        unit: "ms",
        target: `>= ${BENCH_WRITE_INTERVAL_MS}`,
        ok: minGap >= BENCH_WRITE_INTERVAL_MS,
      },
      { metric: "min gap between writes received (server)", value: Math.min(...serverGaps), unit: "ms" },
      { metric: "median gap between writes received", value: percentile(serverGaps, 50), unit: "ms" },
      {
        metric: "achieved write rate",
        value: writesPerMinute,
        unit: "writes/min",
        target: `<= ${ceiling}`,
        ok: writesPerMinute <= ceiling,
      },
      { metric: "total time (100 secrets)", value: totalMs / 1000, unit: "s" },
      { metric: "projected total at production 1000 ms", value: ((SECRETS - 1) * 1000) / 1000, unit: "s" },
      { metric: "peak RSS", value: peakRssMiB(), unit: "MiB" },
    ];
  },
};

export default suite;
