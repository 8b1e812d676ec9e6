/**
 * The cost of the destination-drift check a plan runs: 100 tokens, each delivered to one GitHub repository
 * secret, against the real token service on loopback (SQLite in a temp dir); GitHub answered by nock in
 * its REST shape with a simulated read latency (`READ_LATENCY_MS`, about what GitHub.com answers a runner
 * in). Reported: the reads a plan makes (one per destination, none when skipped), the plan's time with
 * and without the check side by side, and the same for 100 file destinations. The drift found is checked
 * too: the 100 secrets in place plan nothing; 10 deleted plan exactly those 10 re-deliveries.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import sodium from "libsodium-wrappers";
import nock from "nock";
import { TokenformClient } from "../src/api/client.js";
import { applyPlan } from "../src/apply/index.js";
import { CHECK_CONCURRENCY } from "../src/plan/destinations.js";
import { planTokenSet } from "../src/plan/fetch.js";
import { startService } from "../src/service/index.js";
import { createSinks } from "../src/sinks/index.js";
import type { Destination, ResolvedToken, ResolvedTokenSet } from "../src/spec/resolved.js";
import { type BenchRow, type BenchSuite, peakRssMiB } from "./harness.js";

const DESTINATIONS = 100;
const DELETED = 10;
const READ_LATENCY_MS = 100;
const GITHUB = "https://api.github.bench";
/** Plans timed per variant (the median is reported). */
const ROUNDS = 3;

function token(prefix: string, i: number, destination: Destination): ResolvedToken {
  return {
    name: `${prefix}-${String(i).padStart(3, "0")}`,
    description: "",
    type: "mcp",
    scopes: ["contexts:read"],
    readOnly: true,
    ipAllowlist: [],
    tools: null,
    rateLimit: {},
    labels: {},
    enabled: true,
    expiry: { kind: "never" },
    deliver: [destination],
    onRemove: "disable-then-delete",
    removalGraceSeconds: 7 * 86_400,
  };
}

function set(owner: string, destinations: Destination[]): ResolvedTokenSet {
  return {
    owner,
    tokens: destinations.map((d, i) => token(owner.replace("/", "-"), i, d)),
    defaults: { onRemove: "disable-then-delete", removalGraceSeconds: 604_800 },
  };
}

const secretName = (i: number) => `MCP_KEY_${String(i).padStart(3, "0")}`;

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const suite: BenchSuite = {
  name: "destination-drift",
  async run(): Promise<BenchRow[]> {
    await sodium.ready;
    const kp = sodium.crypto_box_keypair();
    const dir = await mkdtemp(join(tmpdir(), "tokenform-bench-drift-"));
    const service = await startService({ dbPath: join(dir, "tokenform.db"), port: 0 });
    const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    try {
      const sinks = createSinks({
        env: { GITHUB_TOKEN: "ghs_bench" },
        githubBaseUrl: GITHUB,
        github: { writeIntervalMs: 0 },
      });
      const githubSet = set(
        "bench/github",
        Array.from({ length: DESTINATIONS }, (_, i) => ({
          kind: "github" as const,
          repository: "acme/backend",
          secret: secretName(i),
        })),
      );
      const fileSet = set(
        "bench/files",
        Array.from({ length: DESTINATIONS }, (_, i) => ({
          kind: "file" as const,
          path: join(dir, "out", `t${i}.env`),
          format: "env" as const,
          key: "MCP_API_KEY",
        })),
      );

      // Deliver everything once (GitHub writes through nock, unpaced here).
      nock(GITHUB)
        .get("/repos/acme/backend/actions/secrets/public-key")
        .reply(200, { key_id: "1", key: sodium.to_base64(kp.publicKey, sodium.base64_variants.ORIGINAL) })
        .put(/\/actions\/secrets\/MCP_KEY_\d+$/)
        .times(DESTINATIONS)
        .reply(201);
      for (const s of [githubSet, fileSet]) {
        const result = await applyPlan(await planTokenSet(api, s), { api, sinks });
        if (!result.ok) throw new Error("the bench's first apply failed");
      }

      // GitHub's reads: each secret exists, last written long ago — except the DELETED first ones.
      const deleted = new Set<string>();
      let reads = 0;
      nock(GITHUB)
        .persist()
        .get(/\/actions\/secrets\/MCP_KEY_\d+$/)
        .reply(async (uri) => {
          reads++;
          await new Promise((resolve) => setTimeout(resolve, READ_LATENCY_MS));
          const name = uri.split("/").pop()!;
          return deleted.has(name)
            ? [404, { message: "Not Found" }]
            : [200, { name, created_at: "2020-01-01T00:00:00Z", updated_at: "2020-01-01T00:00:00Z" }];
        });

      const githubSkipped = await median(() =>
        planTokenSet(api, githubSet, { sinks, checkDestinations: false }),
      );
      reads = 0;
      let inPlace = await planTokenSet(api, githubSet, { sinks });
      const readsPerPlan = reads;
      const githubChecked = await median(async () => {
        inPlace = await planTokenSet(api, githubSet, { sinks });
      });
      reads = 0;
      await planTokenSet(api, githubSet, { sinks, checkDestinations: false });
      const readsSkipped = reads;
      for (let i = 0; i < DELETED; i++) deleted.add(secretName(i));
      const afterDeletes = await planTokenSet(api, githubSet, { sinks });
      const redelivers = afterDeletes.changes.filter((c) => c.kind === "redeliver").length;

      const filesSkipped = await median(() =>
        planTokenSet(api, fileSet, { sinks, checkDestinations: false }),
      );
      const filesChecked = await median(() => planTokenSet(api, fileSet, { sinks }));
      await writeFile(join(dir, "out", "t0.env"), "MCP_API_KEY=overwritten\n");
      const fileDrift = (await planTokenSet(api, fileSet, { sinks })).changes.length;

      return [
        { metric: "destinations (GitHub repository secrets)", value: DESTINATIONS, unit: "" },
        {
          metric: "GitHub reads per plan with the check",
          value: readsPerPlan,
          unit: "requests",
          target: `= ${DESTINATIONS}`,
          ok: readsPerPlan === DESTINATIONS,
        },
        {
          metric: "GitHub reads per plan, --no-check-destinations",
          value: readsSkipped,
          unit: "requests",
          target: "= 0",
          ok: readsSkipped === 0,
        },
        {
          metric: `simulated GitHub read latency (${CHECK_CONCURRENCY} in flight)`,
          value: READ_LATENCY_MS,
          unit: "ms",
        },
        { metric: "plan, 100 GitHub destinations, not checked", value: githubSkipped, unit: "ms" },
        { metric: "plan, 100 GitHub destinations, checked", value: githubChecked, unit: "ms" },
        {
          metric: "check's added time per destination (GitHub)",
          value: (githubChecked - githubSkipped) / DESTINATIONS,
          unit: "ms",
          target: `<= ${(1.5 * READ_LATENCY_MS) / CHECK_CONCURRENCY} (1.5 × latency / in flight)`,
          ok: (githubChecked - githubSkipped) / DESTINATIONS <= (1.5 * READ_LATENCY_MS) / CHECK_CONCURRENCY,
        },
        {
          metric: "changes planned with every secret in place",
          value: inPlace.changes.length,
          unit: "",
          target: "= 0",
          ok: inPlace.changes.length === 0,
        },
        {
          metric: `re-deliveries planned after ${DELETED} secrets deleted`,
          value: redelivers,
          unit: "",
          target: `= ${DELETED}`,
          ok: redelivers === DELETED,
        },
        { metric: "plan, 100 file destinations, not checked", value: filesSkipped, unit: "ms" },
        { metric: "plan, 100 file destinations, checked", value: filesChecked, unit: "ms" },
        {
          metric: "re-deliveries planned after 1 file overwritten",
          value: fileDrift,
          unit: "",
          target: "= 1",
          ok: fileDrift === 1,
        },
        { metric: "peak RSS", value: peakRssMiB(), unit: "MiB" },
      ];
    } finally {
      nock.cleanAll();
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
