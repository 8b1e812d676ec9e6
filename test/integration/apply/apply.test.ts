/**
 * The reconcile engine against the real token service (loopback, SQLite in a temp dir) with real file
 * sinks: every apply guarantee, plus a leak check over everything the engine printed or returned.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { fingerprintOf } from "../../../src/api/secret.js";
import { type ApplyEvent, applyPlan, assertPlanFresh, StalePlanFileError } from "../../../src/apply/index.js";
import { progressReporter } from "../../../src/cli/progress.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import { renderJson, renderMarkdown, renderText } from "../../../src/plan/index.js";
import type { Plan } from "../../../src/plan/types.js";
import type { FileDestination, ResolvedToken } from "../../../src/spec/resolved.js";
import { OWNER, resolved, tokenSet } from "../../support/builders.js";
import { type Harness, startHarness } from "../../support/harness.js";

/** Everything the engine printed or returned in a test, searched for secrets at the end. */
let transcript: string[] = [];
const issued = new Set<string>();

afterEach(() => {
  const all = transcript.join("\n");
  for (const secret of issued) expect(all.includes(secret), "a secret leaked into output").toBe(false);
  transcript = [];
  issued.clear();
});

function fileDest(h: Harness, name: string, key = "MCP_API_KEY"): FileDestination {
  return { kind: "file", path: join(h.outDir, `${name}.env`), format: "env", key };
}

function token(h: Harness, name: string, overrides: Partial<ResolvedToken> = {}): ResolvedToken {
  return resolved(name, { deliver: [fileDest(h, name)], ...overrides });
}

/** Reads the secret a file destination holds (env format), recording it for the leak check. */
async function secretAt(dest: FileDestination): Promise<string | undefined> {
  const text = await readFile(dest.path, "utf8").catch(() => "");
  const line = text.split("\n").find((l) => l.startsWith(`${dest.key}=`));
  const value = line?.slice(dest.key.length + 1).trim();
  if (value) issued.add(value);
  return value || undefined;
}

async function plan(h: Harness, tokens: ResolvedToken[], options: Parameters<typeof planTokenSet>[2] = {}) {
  const p = await planTokenSet(h.api, tokenSet(tokens), options);
  transcript.push(renderText(p), renderMarkdown(p), renderJson(p));
  return p;
}

async function apply(h: Harness, p: Plan) {
  const lines: string[] = [];
  const progress = progressReporter({
    out: { write: (t: string) => lines.push(t) } as unknown as NodeJS.WritableStream,
    tty: false,
    color: false,
  });
  const events: ApplyEvent[] = [];
  const result = await applyPlan(p, {
    api: h.api,
    sinks: h.sinks,
    onEvent: (e) => {
      events.push(e);
      progress(e);
    },
  });
  transcript.push(lines.join(""), JSON.stringify(result), JSON.stringify(events));
  return result;
}

async function verify(h: Harness, secret: string | undefined) {
  if (!secret) return "MISSING";
  return (await h.api.verify({ token: secret })).code;
}

async function byName(h: Harness, name: string) {
  return (await h.api.listAllTokens()).find((t) => t.name === name);
}

describe("apply", () => {
  it("creates, delivers and confirms; planning again finds nothing to do", async () => {
    await using h = await startHarness();
    const tokens = [token(h, "alice-cursor-dev"), token(h, "backend-ci", { type: "agent", readOnly: false })];
    const result = await apply(h, await plan(h, tokens));
    expect(result.ok).toBe(true);
    expect(result.results.map((r) => `${r.kind}:${r.name}`)).toEqual([
      "create:alice-cursor-dev",
      "create:backend-ci",
    ]);
    for (const t of tokens) {
      const secret = await secretAt(t.deliver[0] as FileDestination);
      expect(await verify(h, secret)).toBe("VALID");
      const stored = await byName(h, t.name);
      expect(stored?.status).toBe("active");
      expect(stored?.deliveries).toEqual([
        expect.objectContaining({ generation: 1, fingerprint: fingerprintOf(secret!) }),
      ]);
    }
    const again = await plan(h, tokens);
    expect(again.changes).toEqual([]);
    expect(again.drift).toEqual([]);
  });

  it("updates settings in place without touching the secret", async () => {
    await using h = await startHarness();
    await apply(h, await plan(h, [token(h, "ci")]));
    const before = await secretAt(fileDest(h, "ci"));
    const changed = token(h, "ci", { scopes: ["contexts:read", "tools:call"], description: "CI pipeline" });
    const p = await plan(h, [changed]);
    expect(p.changes.map((c) => c.kind)).toEqual(["update"]);
    expect((await apply(h, p)).ok).toBe(true);
    const stored = await byName(h, "ci");
    expect(stored?.scopes).toEqual(["contexts:read", "tools:call"]);
    expect(stored?.description).toBe("CI pipeline");
    expect(await secretAt(fileDest(h, "ci"))).toBe(before);
    expect(await verify(h, before)).toBe("VALID");
    expect((await plan(h, [changed])).changes).toEqual([]);
  });

  it("rotates when due: new secret everywhere, the previous one valid for the overlap", async () => {
    await using h = await startHarness();
    const second = fileDest(h, "ci-second");
    const spec = token(h, "ci", {
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
      deliver: [fileDest(h, "ci"), second],
    });
    await apply(h, await plan(h, [spec]));
    const old = await secretAt(fileDest(h, "ci"));
    const p = await plan(h, [spec], { now: new Date(Date.now() + 2 * 3600_000) });
    expect(p.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["rotate:ci"]);
    expect((await apply(h, p)).ok).toBe(true);
    const fresh = await secretAt(fileDest(h, "ci"));
    expect(fresh).not.toBe(old);
    expect(await secretAt(second)).toBe(fresh);
    expect(await verify(h, fresh)).toBe("VALID");
    expect(await verify(h, old)).toBe("VALID");
    const stored = await byName(h, "ci");
    expect(stored?.generation).toBe(2);
    expect(stored?.previousSecrets).toHaveLength(1);
    expect((await plan(h, [spec])).changes).toEqual([]);
  });

  it("an emergency rotation (overlap 0) revokes the previous secret at once", async () => {
    await using h = await startHarness();
    const spec = token(h, "leaked");
    await apply(h, await plan(h, [spec]));
    const old = await secretAt(fileDest(h, "leaked"));
    const p = await plan(h, [spec], { rotate: { names: ["leaked"], overlapSeconds: 0 } });
    expect(p.changes[0]).toMatchObject({ kind: "rotate", reason: "requested", overlapSeconds: 0 });
    expect((await apply(h, p)).ok).toBe(true);
    expect(await verify(h, old)).not.toBe("VALID");
    expect(await verify(h, await secretAt(fileDest(h, "leaked")))).toBe("VALID");
  });

  it("revokes a new token whose delivery failed, and a re-run tries again", async () => {
    await using h = await startHarness();
    const repo = join(h.dir, "repo"); // removed with the harness
    execFileSync("git", ["init", "-q", repo]);
    const good = fileDest(h, "mixed");
    const bad: FileDestination = { kind: "file", path: join(repo, "committed.env"), format: "env", key: "K" };
    const spec = token(h, "mixed", { deliver: [good, bad] });
    const result = await apply(h, await plan(h, [spec]));
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.map((f) => f.destination)).toEqual([`file:${bad.path}#K`]);
    expect(result.results[0]?.message).toContain("revoked");
    // The secret that reached the good destination does not authenticate: no live token without delivery.
    expect(await verify(h, await secretAt(good))).not.toBe("VALID");
    expect(await byName(h, "mixed")).toBeUndefined();
    const retry = await plan(h, [spec]);
    expect(retry.changes.map((c) => c.kind)).toEqual(["create"]);
    await mkdir(h.outDir, { recursive: true });
    const fixed = token(h, "mixed", { deliver: [good] });
    expect((await apply(h, await plan(h, [fixed]))).ok).toBe(true);
    expect(await verify(h, await secretAt(good))).toBe("VALID");
  });

  it("retires a removed token, then deletes it after the grace and removes its secret", async () => {
    await using h = await startHarness();
    const spec = token(h, "old-key");
    await apply(h, await plan(h, [spec]));
    const secret = await secretAt(fileDest(h, "old-key"));
    const retire = await plan(h, []);
    expect(retire.changes.map((c) => c.kind)).toEqual(["retire"]);
    await apply(h, retire);
    expect((await byName(h, "old-key"))?.status).toBe("disabled");
    expect(await verify(h, secret)).toBe("DISABLED");
    const waiting = await plan(h, []);
    expect(waiting.changes).toEqual([]);
    expect(waiting.reports.retiring.map((r) => r.name)).toEqual(["old-key"]);
    const due = await plan(h, [], { now: new Date(Date.now() + 8 * 86_400_000) });
    expect(due.changes.map((c) => c.kind)).toEqual(["delete"]);
    expect((await apply(h, due)).ok).toBe(true);
    expect(await byName(h, "old-key")).toBeUndefined();
    expect(await secretAt(fileDest(h, "old-key"))).toBeUndefined();
  });

  it("reports drift by another admin with its name, and sets it back", async () => {
    await using h = await startHarness();
    const spec = token(h, "ci");
    await apply(h, await plan(h, [spec]));
    const bob = await h.api.createToken({
      name: "bob-admin",
      type: "admin",
      scopes: ["tokens:read", "tokens:write"],
    });
    issued.add(bob.secret.reveal());
    const asBob = new TokenformClient({ baseUrl: h.url, token: bob.secret, retries: 0 });
    const stored = await byName(h, "ci");
    await asBob.updateToken(stored!.id, { scopes: ["*"], readOnly: false });
    const p = await plan(h, [spec]);
    expect(p.drift).toEqual([
      expect.objectContaining({ name: "ci", changedBy: "bob-admin", fields: expect.any(Array) }),
    ]);
    expect(p.drift[0]!.fields.map((f) => f.field).sort()).toEqual(["readOnly", "scopes"]);
    expect(renderText(p)).toContain("by bob-admin");
    expect((await apply(h, p)).ok).toBe(true);
    expect((await byName(h, "ci"))?.scopes).toEqual(["contexts:read"]);
    expect((await plan(h, [spec])).drift).toEqual([]);
  });

  it("names drift made by hand with the set's own key, as such, and tells it from its own apply", async () => {
    await using h = await startHarness();
    const spec = token(h, "ci");
    await apply(h, await plan(h, [spec]));
    const id = (await byName(h, "ci"))!.id;
    // The key plan and apply use, editing the token by hand through the API.
    await h.api.updateToken(id, { description: "edited by hand" });
    const p = await plan(h, [spec]);
    expect(p.drift).toEqual([
      expect.objectContaining({ name: "ci", changedBy: "bootstrap-admin", changedByOwnKey: true }),
    ]);
    expect(p.drift[0]!.fields.map((f) => f.field)).toEqual(["description"]);
    const at = p.drift[0]!.changedAt!;
    expect(renderText(p)).toContain(`description changed by bootstrap-admin (this set's own key) at ${at}`);
    expect(renderMarkdown(p)).toContain(`by \`bootstrap-admin\` (this set's own key) at ${at}`);
    // Setting it back is tokenform's own write: no drift, and the next hand edit is named again.
    expect((await apply(h, p)).ok).toBe(true);
    expect((await plan(h, [spec])).drift).toEqual([]);
    await h.api.updateToken(id, { scopes: ["*"] });
    const again = await plan(h, [spec]);
    expect(again.drift).toEqual([
      expect.objectContaining({
        changedBy: "bootstrap-admin",
        changedByOwnKey: true,
        fields: [expect.objectContaining({ field: "scopes" })],
      }),
    ]);
  });

  it("keeps a token in its owner's plans: tokenform's labels cannot be wiped by hand to hide its drift", async () => {
    await using h = await startHarness();
    const spec = token(h, "ci");
    await apply(h, await plan(h, [spec]));
    const stored = (await byName(h, "ci"))!;
    const userLabels = Object.fromEntries(
      Object.entries(stored.labels).filter(([key]) => !key.startsWith("tokenform.dev/")),
    );
    const wipe = h.api.updateToken(stored.id, { description: "hidden change", labels: userLabels });
    await expect(wipe).rejects.toMatchObject({
      code: "unprocessable",
      message: expect.stringContaining(`written only by tokenform for the token's owner ${OWNER}`),
    });
    const kept = (await byName(h, "ci"))!;
    expect(kept.labels).toEqual(stored.labels);
    expect(kept.description).toBe(stored.description);
    // The edit without the wipe goes through, and the owner's plan still sees it.
    await h.api.updateToken(stored.id, { description: "hidden change" });
    const p = await plan(h, [spec]);
    expect(p.drift).toEqual([expect.objectContaining({ name: "ci", changedBy: "bootstrap-admin" })]);
  });

  it("refuses a stale plan, both as a plan file and change by change", async () => {
    await using h = await startHarness();
    const spec = token(h, "ci");
    await apply(h, await plan(h, [spec]));
    const edited = token(h, "ci", { description: "new" });
    const saved = await plan(h, [edited]);
    const stored = await byName(h, "ci");
    await h.api.updateToken(stored!.id, { labels: { ...stored!.labels, team: "other" } });
    const fresh = await plan(h, [edited]);
    expect(() => assertPlanFresh(saved, fresh)).toThrow(StalePlanFileError);
    const result = await apply(h, saved);
    expect(result.ok).toBe(false);
    expect(result.results[0]?.message).toContain("changed in the service since the plan was made");
  });

  it("re-delivers with a roll when a destination is added, keeping existing ones working", async () => {
    await using h = await startHarness();
    await apply(h, await plan(h, [token(h, "ci")]));
    const old = await secretAt(fileDest(h, "ci"));
    const added = fileDest(h, "ci-added");
    const spec = token(h, "ci", { deliver: [fileDest(h, "ci"), added] });
    const p = await plan(h, [spec]);
    expect(p.changes.map((c) => c.kind)).toEqual(["redeliver"]);
    expect((await apply(h, p)).ok).toBe(true);
    expect(await secretAt(added)).toBe(await secretAt(fileDest(h, "ci")));
    expect(await verify(h, await secretAt(added))).toBe("VALID");
    expect(await verify(h, old)).toBe("VALID");
    expect((await plan(h, [spec])).changes).toEqual([]);
  });
  it("a rotation whose delivery fails keeps the previous secret working there and re-delivers next run", async () => {
    await using h = await startHarness();
    const flaky = {
      kind: "file" as const,
      path: join(h.dir, "flaky", "ci.env"),
      format: "env" as const,
      key: "K",
    };
    const spec = token(h, "ci", {
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
      deliver: [fileDest(h, "ci"), flaky],
    });
    await apply(h, await plan(h, [spec]));
    const old = await secretAt(flaky);
    // The flaky destination's directory becomes a git work tree: the file sink now refuses to write there.
    execFileSync("git", ["init", "-q", join(h.dir, "flaky")]);
    const later = new Date(Date.now() + 2 * 3600_000);
    const result = await apply(h, await plan(h, [spec], { now: later }));
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.map((f) => f.destination)).toEqual([`file:${flaky.path}#K`]);
    const fresh = await secretAt(fileDest(h, "ci"));
    expect(fresh).not.toBe(old);
    expect(await secretAt(flaky)).toBe(old);
    expect(await verify(h, old)).toBe("VALID");
    expect(await verify(h, fresh)).toBe("VALID");
    await rm(join(h.dir, "flaky", ".git"), { recursive: true, force: true });
    const retry = await plan(h, [spec]);
    expect(retry.changes.map((c) => c.kind)).toEqual(["redeliver"]);
    expect((await apply(h, retry)).ok).toBe(true);
    expect(await secretAt(flaky)).toBe(await secretAt(fileDest(h, "ci")));
    expect((await plan(h, [spec])).changes).toEqual([]);
  });
  it("a rename whose new token cannot be delivered keeps the old token working at the shared destination", async () => {
    await using h = await startHarness();
    const shared = fileDest(h, "shared");
    await apply(h, await plan(h, [token(h, "old-name", { deliver: [shared] })]));
    const old = await secretAt(shared);
    const repo = join(h.dir, "repo"); // removed with the harness
    execFileSync("git", ["init", "-q", repo]);
    const bad: FileDestination = { kind: "file", path: join(repo, "x.env"), format: "env", key: "K" };
    const renamed = token(h, "new-name", { deliver: [shared, bad] });
    const p = await plan(h, [renamed]);
    expect(p.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["create:new-name", "retire:old-name"]);
    const result = await apply(h, p);
    expect(result.results.map((r) => [r.kind, r.ok])).toEqual([
      ["create", false],
      ["retire", false],
    ]);
    expect(result.results[1]?.message).toContain("still holds the only working key");
    // The shared destination was to be written last, so it was never touched: it still holds the old key,
    // which still works. The next run (with the bad destination fixed) hands it over, then retires.
    expect(await secretAt(shared)).toBe(old);
    expect(await verify(h, old)).toBe("VALID");
    const fixed = token(h, "new-name", { deliver: [shared] });
    expect((await apply(h, await plan(h, [fixed]))).ok).toBe(true);
    expect(await verify(h, await secretAt(shared))).toBe("VALID");
    expect(await verify(h, old)).toBe("DISABLED");
  });

  it("a rotation never re-enables a token an admin disabled while it was delivering", async () => {
    await using h = await startHarness();
    const spec = token(h, "ci", { rotation: { everySeconds: 3600, overlapSeconds: 3600 } });
    await apply(h, await plan(h, [spec]));
    const stored = await byName(h, "ci");
    // A file sink that, while delivering, lets "an admin" disable the token through the API.
    const sinks = {
      ...h.sinks,
      file: {
        ...h.sinks.file,
        kind: "file" as const,
        deliver: async (...args: Parameters<typeof h.sinks.file.deliver>) => {
          const receipt = await h.sinks.file.deliver(...args);
          const now = await h.api.getToken(stored!.id);
          await h.api.updateToken(stored!.id, { enabled: false }, { ifMatch: now.version });
          return receipt;
        },
        inspect: h.sinks.file.inspect.bind(h.sinks.file),
        remove: h.sinks.file.remove.bind(h.sinks.file),
      },
    };
    const p = await plan(h, [spec], { now: new Date(Date.now() + 2 * 3600_000) });
    const result = await applyPlan(p, { api: h.api, sinks });
    transcript.push(JSON.stringify(result));
    expect(result.ok).toBe(false);
    expect(result.results[0]?.message).toMatch(/precondition|changed|version/i);
    expect((await byName(h, "ci"))?.enabled).toBe(false);
    expect(await verify(h, await secretAt(fileDest(h, "ci")))).toBe("DISABLED");
  });
});

describe("a key reported leaked", () => {
  it("is rolled with no overlap by the next plan, and enabled only once the new secret is delivered", async () => {
    await using h = await startHarness();
    const ci = token(h, "leaky-ci", { rotation: { everySeconds: 90 * 86_400, overlapSeconds: 2 * 86_400 } });
    await apply(h, await plan(h, [ci]));
    const leaked = (await secretAt(fileDest(h, "leaky-ci")))!;
    const outcome = await h.service.manager.reportLeak(
      leaked,
      { url: "https://github.com/acme/x/blob/1/.env" },
      "disable",
    );
    expect(outcome?.handled).toBe("disable");
    expect(await verify(h, leaked)).toBe("DISABLED");

    const p = await plan(h, [ci]);
    expect(p.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["rotate:leaky-ci"]);
    expect(p.changes[0]).toMatchObject({ reason: "its secret was reported leaked", overlapSeconds: 0 });
    expect(renderText(p)).toContain(
      "leaky-ci will be rotated (its secret was reported leaked); the previous secret stops working at once (no overlap)",
    );

    const result = await apply(h, p);
    expect(result.ok).toBe(true);
    const fresh = await secretAt(fileDest(h, "leaky-ci"));
    expect(fresh).not.toBe(leaked);
    expect(await verify(h, fresh)).toBe("VALID");
    expect(await verify(h, leaked)).not.toBe("VALID");
    const stored = await byName(h, "leaky-ci");
    expect(stored?.enabled).toBe(true);
    expect(Object.keys(stored?.labels ?? {})).not.toContain("tokenform.dev/leaked-at");
    expect((await plan(h, [ci])).changes).toEqual([]);
  });
});
