/**
 * The GitHub Action as the runner starts it: `node reconciler/dist/index.js` in a child process, planning a
 * pull request over 100 tokens against a real token service on loopback (SQLite in a temp dir), with
 * GitHub's REST API served by the loopback stand-in (nock cannot reach another process).
 * - cold start: from `spawn` until the token service sees the Action's first request (bundle load, input
 *   and event reading, spec loading and the pull request's file scan all happen before it);
 * - end to end: from `spawn` until the process exits with the plan computed, the comment posted (first
 *   run) or edited (later runs), the summary and outputs written.
 * A TCP relay in front of the service timestamps the first bytes of each run's first request. `node -e ""`
 * is timed the same way, as the floor no Action can go below.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BUNDLE_PATH } from "../reconciler/src/build.js";
import { startService } from "../src/service/index.js";
import { startGithubStub } from "../test/integration/reconciler/github-stub.js";
import { runnerEnv } from "../test/integration/reconciler/harness.js";
import { type BenchRow, type BenchSuite, percentile } from "./harness.js";

const TOKENS = 100;
const RUNS = 7;
const WORKFLOW_TOKEN = "ghs_benchWorkflowToken0123456789";

/** A spec of `count` tokens, each delivered to its own repository secret. */
function spec(count: number): string {
  const lines = [
    "apiVersion: tokenform.dev/v1",
    "kind: TokenSet",
    "metadata:",
    "  owner: acme/platform-infra",
    "defaults:",
    "  expiresIn: 180d",
    "  rotation: { every: 90d, overlap: 48h }",
    "tokens:",
  ];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  - name: pipeline-${String(i).padStart(3, "0")}`,
      `    description: CI pipeline ${i}`,
      "    scopes: [contexts:read, tools:call]",
      `    labels: { team: team-${i % 10} }`,
      "    deliver:",
      `      - github: { repository: acme/service-${i}, secret: MCP_API_KEY }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A relay to `port` that records when each new connection first sends bytes. */
async function relay(port: number): Promise<{ port: number; firstBytes: number[]; server: Server }> {
  const firstBytes: number[] = [];
  const server = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    client.once("data", () => firstBytes.push(performance.now()));
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : 0, firstBytes, server };
}

/** Spawns node with `args`; resolves with the spawn time, exit time and exit code. */
function timeProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ spawnedAt: number; exitedAt: number; code: number | null; stdout: string }> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ spawnedAt, exitedAt: performance.now(), code, stdout })),
  );
}

const median = (values: number[]) => percentile(values, 50);

const suite: BenchSuite = {
  name: "action",
  async run(): Promise<BenchRow[]> {
    const root = await mkdtemp(join(tmpdir(), "tf-action-bench-"));
    const service = await startService({ dbPath: join(root, "tokens.db"), port: 0, sweepIntervalMs: 0 });
    const github = await startGithubStub(WORKFLOW_TOKEN);
    const servicePort = Number(new URL(service.url).port);
    const proxy = await relay(servicePort);
    try {
      const workspace = join(root, "repo");
      await mkdir(join(workspace, "tokens"), { recursive: true });
      const text = spec(TOKENS);
      await writeFile(join(workspace, "tokens", "platform.yaml"), text);
      const lines = text.replace(/\n$/, "").split("\n");
      github.files = [
        {
          filename: "tokens/platform.yaml",
          status: "added",
          patch: [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n"),
        },
      ];

      const baseline: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await timeProcess(["-e", ""], { PATH: process.env.PATH ?? "" }, workspace);
        baseline.push(r.exitedAt - r.spawnedAt);
      }

      const cold: number[] = [];
      const total: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const dir = await mkdtemp(join(root, "run-"));
        const env = runnerEnv(
          {
            event: "pull_request",
            fixture: i === 0 ? "pull_request.opened" : "pull_request.synchronize",
            workspace,
            apiUrl: github.url,
            inputs: {
              "api-url": `http://127.0.0.1:${proxy.port}`,
              "api-token": service.adminToken.reveal(),
              "repo-token": WORKFLOW_TOKEN,
            },
          },
          dir,
        );
        await writeFile(env.GITHUB_STEP_SUMMARY!, "");
        await writeFile(env.GITHUB_OUTPUT!, "");
        const before = proxy.firstBytes.length;
        const r = await timeProcess([BUNDLE_PATH], { PATH: process.env.PATH ?? "", ...env }, workspace);
        const first = proxy.firstBytes[before];
        const outputs = await readFile(env.GITHUB_OUTPUT!, "utf8");
        if (r.code !== 0 || first === undefined || !outputs.includes(`Plan: ${TOKENS} to create.`)) {
          throw new Error(`the Action run failed (exit ${r.code}):\n${r.stdout}`);
        }
        cold.push(first - r.spawnedAt);
        total.push(r.exitedAt - r.spawnedAt);
      }
      if (github.comments.length !== 1)
        throw new Error(`expected one comment, found ${github.comments.length}`);

      const bundleKiB = (await stat(BUNDLE_PATH)).size / 1024;
      const coldMedian = median(cold);
      const totalMedian = median(total);
      return [
        { metric: "bundle size", value: bundleKiB, unit: "KiB" },
        { metric: "node startup floor (node -e '') median", value: median(baseline), unit: "ms" },
        {
          metric: "cold start: spawn → first token-service request, median",
          value: coldMedian,
          unit: "ms",
          target: "< 1000 ms",
          ok: coldMedian < 1000,
        },
        { metric: "cold start p95", value: percentile(cold, 95), unit: "ms" },
        {
          metric: `PR plan end to end, ${TOKENS} tokens (spawn → exit, comment posted), median`,
          value: totalMedian,
          unit: "ms",
          target: "< 3000 ms",
          ok: totalMedian < 3000,
        },
        { metric: `PR plan end to end, ${TOKENS} tokens, p95`, value: percentile(total, 95), unit: "ms" },
      ];
    } finally {
      proxy.server.close();
      await github.close();
      await service.close();
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default suite;
