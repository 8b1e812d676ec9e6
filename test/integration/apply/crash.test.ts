/**
 * Crash safety: an apply killed with SIGKILL after any step leaves a state the next run converges from,
 * with no active token lacking its delivered secret and no destination without a valid key. Also one
 * injected fault (500, 429, hang) at every token-service request of an apply, with the same checks.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { applyPlan } from "../../../src/apply/index.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import type { FileDestination, ResolvedToken, ResolvedTokenSet } from "../../../src/spec/resolved.js";
import { resolved, tokenSet } from "../../support/builders.js";
import { type Fault, startFaultProxy } from "../../support/fault-proxy.js";
import { type Harness, startHarness } from "../../support/harness.js";

const HOUR = 3600_000;

function dest(h: Harness, name: string): FileDestination {
  return { kind: "file", path: join(h.outDir, `${name}.env`), format: "env", key: "MCP_API_KEY" };
}

/** Before: keep, change, roll and gone exist. After: new is created, change updated, roll rotated, gone retired. */
function scenario(h: Harness): { before: ResolvedTokenSet; after: ResolvedTokenSet } {
  const t = (name: string, o: Partial<ResolvedToken> = {}) =>
    resolved(name, { deliver: [dest(h, name)], ...o });
  const rotation = { everySeconds: HOUR / 1000, overlapSeconds: 48 * 3600 };
  return {
    before: tokenSet([t("keep"), t("change"), t("roll", { rotation }), t("gone")]),
    after: tokenSet([
      t("keep"),
      t("change", { scopes: ["contexts:read", "tools:call"] }),
      t("roll", { rotation }),
      t("new"),
    ]),
  };
}

async function secretIn(d: FileDestination): Promise<string | undefined> {
  const text = await readFile(d.path, "utf8").catch(() => "");
  return (
    text
      .split("\n")
      .find((l) => l.startsWith(`${d.key}=`))
      ?.slice(d.key.length + 1) || undefined
  );
}

/** The two guarantees, checked against the service and the files. */
async function assertInvariants(h: Harness, set: ResolvedTokenSet): Promise<void> {
  const tokens = await h.api.listAllTokens();
  for (const spec of set.tokens) {
    const live = tokens.find((t) => t.name === spec.name && t.status === "active");
    if (!live) continue;
    // An active token's secret is at every destination its spec names (or a previous one still valid there).
    for (const d of spec.deliver as FileDestination[]) {
      const secret = await secretIn(d);
      expect(secret, `${spec.name} is active but ${d.path} holds no secret`).toBeDefined();
      const verdict = await h.api.verify({ token: secret! });
      expect(verdict.code, `${d.path} holds no valid key for active ${spec.name}`).toBe("VALID");
      expect(verdict.token?.id).toBe(live.id);
    }
  }
}

async function converge(h: Harness, set: ResolvedTokenSet, now?: Date): Promise<void> {
  const plan = await planTokenSet(h.api, set, now ? { now } : {});
  const result = await applyPlan(plan, { api: h.api, sinks: h.sinks });
  expect(result.results.filter((r) => !r.ok)).toEqual([]);
  // Judged at the real time: a plan "now + 2h" would find the fresh roll due again.
  const after = await planTokenSet(h.api, set);
  expect(after.changes.map((c) => `${c.kind}:${c.name}`)).toEqual([]);
}

describe("crash safety", () => {
  it("converges after SIGKILL between any two steps", async () => {
    const child = join(import.meta.dirname, "../../support/apply-child.ts");
    let completed = false;
    let kills = 0;
    for (let killAt = 1; killAt <= 60 && !completed; killAt++) {
      await using h = await startHarness();
      const { before, after } = scenario(h);
      await converge(h, before);
      const specFile = join(h.dir, "spec.json");
      await writeFile(specFile, JSON.stringify(after));
      const now = new Date(Date.now() + 2 * HOUR);
      // The service runs in this process, so the child must run asynchronously (spawnSync would block it).
      const proc = spawn(process.execPath, ["--import", "tsx", child], {
        env: {
          ...process.env,
          SPEC_JSON: specFile,
          KILL_AT: String(killAt),
          PLAN_NOW: now.toISOString(),
          TOKENFORM_API_URL: h.url,
          TOKENFORM_API_TOKEN: h.service.adminToken.reveal(),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      proc.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      proc.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => proc.kill("SIGTERM"), 60_000);
      const [code, signal] = (await once(proc, "exit")) as [number | null, NodeJS.Signals | null];
      clearTimeout(timer);
      const run = { status: code, signal, stdout, stderr };
      if (run.status === 0) {
        completed = true;
        expect(JSON.parse(run.stdout.trim()).ok).toBe(true);
      } else {
        expect(run.signal, run.stderr).toBe("SIGKILL");
        kills += 1;
      }
      await assertInvariants(h, after);
      await converge(h, after, now);
      await assertInvariants(h, after);
    }
    expect(completed).toBe(true);
    // create, update, rotate and retire each take steps: a kill landed between every two of them.
    expect(kills).toBeGreaterThanOrEqual(8);
  }, 600_000);

  for (const fault of ["500", "429", "hang"] as Fault[]) {
    it(`survives a ${fault} at every token-service request of an apply`, async () => {
      let n = 1;
      for (; n <= 80; n++) {
        await using h = await startHarness();
        const { before, after } = scenario(h);
        await converge(h, before);
        await using proxy = await startFaultProxy(h.url);
        const api = new TokenformClient({
          baseUrl: proxy.url,
          token: h.service.adminToken,
          retries: 0,
          timeoutMs: 300,
        });
        const now = new Date(Date.now() + 2 * HOUR);
        const plan = await planTokenSet(api, after, { now });
        proxy.failAt(n, fault);
        const start = proxy.count();
        const result = await applyPlan(plan, { api, sinks: h.sinks, concurrency: 1 });
        const used = proxy.count() - start;
        await assertInvariants(h, after);
        await converge(h, after, now);
        if (used < n) {
          // The fault fell after the last request: this apply ran clean, so every position has been tried.
          expect(result.ok).toBe(true);
          break;
        }
        expect(result.ok).toBe(false);
      }
      expect(n).toBeGreaterThan(5);
    }, 600_000);
  }
});
