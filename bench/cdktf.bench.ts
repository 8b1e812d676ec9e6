/**
 * CDKTF: in-process synthesis of a stack with 1,000 tokens (from a typed object and from YAML files), and
 * the wall time of the real `cdktf plan` on examples/cdktf (cdktf CLI → app synth → terraform init and
 * plan, provider from a filesystem mirror, token service and GitHub/GitLab stand-ins on loopback).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Testing } from "cdktf";
import { TokenSet, type TokenSetInput } from "../src/cdktf/index.js";
import { startService } from "../src/service/index.js";
import { FORGE_TOKEN, startFakeForges } from "../test/e2e/cdktf/fake-forges.js";
import { CdktfProject, requireTerraform } from "../test/e2e/cdktf/project.js";
import { type BenchRow, type BenchSuite, peakRssMiB } from "./harness.js";

/** The target for synthesizing 1,000 tokens in-process. */
const SYNTH_TARGET_MS = 5_000;
const TOKENS = 1_000;

/** Token `i` of the benchmark set: one GitHub delivery each. */
function bigToken(i: number): TokenSetInput["tokens"][number] {
  return {
    name: `service-${i}`,
    description: `Token ${i}`,
    scopes: ["contexts:read", "tools:call"],
    ipAllowlist: ["203.0.113.0/24"],
    labels: { team: `team-${i % 10}` },
    deliver: [{ github: { repository: `acme/repo-${i}`, secret: "MCP_API_KEY" } }],
  };
}

function bigSpec(): TokenSetInput {
  return {
    apiVersion: "tokenform.dev/v1",
    kind: "TokenSet",
    metadata: { owner: "acme/platform" },
    defaults: {
      expiresIn: "180d",
      rotation: { every: "90d", overlap: "48h" },
      labels: { "managed-by": "cdktf" },
    },
    tokens: Array.from({ length: TOKENS }, (_, i) => bigToken(i)),
  };
}

/** The same set as YAML text (one file). */
function bigYaml(): string {
  const lines = [
    "apiVersion: tokenform.dev/v1",
    "kind: TokenSet",
    "metadata:",
    "  owner: acme/platform",
    "defaults:",
    "  expiresIn: 180d",
    "  rotation: { every: 90d, overlap: 48h }",
    "  labels: { managed-by: cdktf }",
    "tokens:",
  ];
  for (let i = 0; i < TOKENS; i++) {
    lines.push(
      `  - name: service-${i}`,
      `    description: Token ${i}`,
      "    scopes: [contexts:read, tools:call]",
      "    ipAllowlist: [203.0.113.0/24]",
      `    labels: { team: team-${i % 10} }`,
      "    deliver:",
      `      - github: { repository: acme/repo-${i}, secret: MCP_API_KEY }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function timeSynth(make: Parameters<typeof Testing.synthScope>[0]): { ms: number; resources: number } {
  const start = performance.now();
  const out = Testing.synthScope(make);
  const ms = performance.now() - start;
  const doc = JSON.parse(out) as { resource: { tokenform_token: Record<string, unknown> } };
  return { ms, resources: Object.keys(doc.resource.tokenform_token).length };
}

/** Wall times of the example's first and second `cdktf plan`, and the parts of a plan measured alone. */
interface PlanTimes {
  first: number;
  warm: number;
  /** `cdktf synth`: the cdktf CLI's start and the app. */
  synth: number;
  /** The app alone (`cdktf.json`'s `app` command), as cdktf runs it. */
  app: number;
  /** The app started the way the example used to start it (`npx tsx main.ts`), for comparison. */
  npxApp: number;
}

async function planWallTimes(): Promise<PlanTimes> {
  requireTerraform();
  const dataDir = mkdtempSync(join(tmpdir(), "tokenform-cdktf-bench-"));
  const service = await startService({ dbPath: join(dataDir, "tokenform.db"), port: 0 });
  const forges = await startFakeForges();
  const project = new CdktfProject({
    TOKENFORM_API_URL: service.url,
    TOKENFORM_API_TOKEN: service.adminToken.reveal(),
    GITHUB_TOKEN: FORGE_TOKEN,
    GITHUB_API_URL: forges.githubUrl,
    GITLAB_TOKEN: FORGE_TOKEN,
    GITLAB_URL: forges.gitlabUrl,
  });
  try {
    project.installProvider();
    const run = async () => {
      const start = performance.now();
      const result = await project.cdktf(["plan", "--skip-provider-lock"]);
      if (result.code !== 0) throw new Error(`cdktf plan failed:\n${result.stdout}\n${result.stderr}`);
      return performance.now() - start;
    };
    const first = await run();
    const warm = await run();
    const synthStart = performance.now();
    const synth = await project.cdktf(["synth"]);
    if (synth.code !== 0) throw new Error(`cdktf synth failed:\n${synth.stdout}\n${synth.stderr}`);
    const synthMs = performance.now() - synthStart;
    const timeApp = (command: string) => {
      const start = performance.now();
      const ran = spawnSync(command, {
        shell: true,
        cwd: project.dir,
        env: { ...process.env, ...project.env, CDKTF_OUTDIR: join(project.dir, "cdktf.out") },
        encoding: "utf8",
      });
      if (ran.status !== 0) throw new Error(`${command} failed:\n${ran.stderr}`);
      return performance.now() - start;
    };
    const app = (JSON.parse(readFileSync(join(project.dir, "cdktf.json"), "utf8")) as { app: string }).app;
    return { first, warm, synth: synthMs, app: timeApp(app), npxApp: timeApp("npx tsx main.ts") };
  } finally {
    await forges.close();
    await service.close();
    project.remove();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const suite: BenchSuite = {
  name: "cdktf",
  async run(): Promise<BenchRow[]> {
    const spec = bigSpec();
    timeSynth((scope) => {
      new TokenSet(scope, "warmup", { spec: { ...spec, tokens: spec.tokens.slice(0, 20) } });
    });
    const fromObject = timeSynth((scope) => {
      new TokenSet(scope, "tokens", { spec });
    });
    const dir = mkdtempSync(join(tmpdir(), "tokenform-cdktf-yaml-"));
    let fromYaml: { ms: number; resources: number };
    try {
      writeFileSync(join(dir, "tokens.yaml"), bigYaml());
      fromYaml = timeSynth((scope) => {
        new TokenSet(scope, "tokens", { paths: [dir] });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const r of [fromObject, fromYaml]) {
      if (r.resources !== TOKENS) throw new Error(`synthesized ${r.resources} tokens, expected ${TOKENS}`);
    }
    const synthRss = peakRssMiB();
    const plan = await planWallTimes();
    const target = `< ${SYNTH_TARGET_MS} ms`;
    return [
      {
        metric: "synth 1,000 tokens (typed object)",
        value: fromObject.ms,
        unit: "ms",
        target,
        ok: fromObject.ms < SYNTH_TARGET_MS,
      },
      {
        metric: "synth 1,000 tokens (YAML file)",
        value: fromYaml.ms,
        unit: "ms",
        target,
        ok: fromYaml.ms < SYNTH_TARGET_MS,
      },
      { metric: "peak RSS after synth", value: synthRss, unit: "MiB" },
      {
        metric: "cdktf plan, example (first: synth + init + plan)",
        value: plan.first,
        unit: "ms",
        target: "< 6000 ms",
        ok: plan.first < 6000,
      },
      { metric: "cdktf plan, example (again)", value: plan.warm, unit: "ms" },
      { metric: "  of which cdktf synth (CLI start + app)", value: plan.synth, unit: "ms" },
      { metric: "  of which the app alone (cdktf.json app)", value: plan.app, unit: "ms" },
      { metric: "  the app through npx tsx main.ts instead", value: plan.npxApp, unit: "ms" },
      { metric: "  of which terraform init + plan (the rest)", value: plan.warm - plan.synth, unit: "ms" },
    ];
  },
};

export default suite;
