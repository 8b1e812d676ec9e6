/**
 * Two TokenSets with different owners sharing one token service: a destination or a name the other owner
 * holds is a plan error naming the holder, never a create; nothing is overwritten or deleted; adoption is
 * explicit; two applies racing in two processes leave exactly one holder. Real service, real file sinks,
 * GitHub through nock.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyPlan, PlanErrorsError } from "../../../src/apply/index.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import { renderMarkdown, renderText } from "../../../src/plan/index.js";
import type { FileDestination, GithubDestination, ResolvedToken } from "../../../src/spec/resolved.js";
import { resolved, tokenSet } from "../../support/builders.js";
import { GITHUB_API, type Harness, startHarness } from "../../support/harness.js";
import { keypair } from "../sinks/helpers.js";

const github: GithubDestination = { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" };

function setOf(owner: string, tokens: ResolvedToken[]) {
  return { ...tokenSet(tokens), owner };
}

function file(h: Harness, name: string): FileDestination {
  return { kind: "file", path: join(h.outDir, `${name}.env`), format: "env", key: "MCP_API_KEY" };
}

async function apply(h: Harness, owner: string, tokens: ResolvedToken[]) {
  const plan = await planTokenSet(h.api, setOf(owner, tokens));
  return { plan, result: await applyPlan(plan, { api: h.api, sinks: h.sinks }) };
}

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("two owners on one token service", () => {
  it("refuses the second owner's claim on a GitHub secret the first holds: an error, no write, no delete", async () => {
    await using h = await startHarness();
    const kp = await keypair();
    let writes = 0;
    nock(GITHUB_API)
      .get("/repos/acme/backend/actions/secrets/public-key")
      .reply(200, { key_id: "1", key: kp.publicKey })
      .put("/repos/acme/backend/actions/secrets/MCP_API_KEY", () => {
        writes++;
        return true;
      })
      .reply(201);
    const first = await apply(h, "team/a", [resolved("a-ci", { deliver: [github] })]);
    expect(first.result.ok).toBe(true);
    expect(writes).toBe(1);

    const second = await planTokenSet(h.api, setOf("team/b", [resolved("b-ci", { deliver: [github] })]));
    expect(second.changes).toEqual([]);
    expect(second.errors).toEqual([
      {
        name: "b-ci",
        code: "destination_held",
        message:
          "GitHub acme/backend secret MCP_API_KEY is held by token a-ci (owner team/a); one destination holds one token's secret, so deliver b-ci elsewhere or free it there first",
        holder: { id: expect.stringMatching(/^tok_/), name: "a-ci", owner: "team/a" },
        destination: "github:repo/acme/backend/MCP_API_KEY",
      },
    ]);
    expect(renderText(second)).toContain(
      "✗ b-ci: GitHub acme/backend secret MCP_API_KEY is held by token a-ci",
    );
    expect(renderText(second)).toContain("Plan: 1 error; nothing can be applied until it is fixed.");
    expect(renderMarkdown(second)).toContain("> [!CAUTION]");
    await expect(applyPlan(second, { api: h.api, sinks: h.sinks })).rejects.toBeInstanceOf(PlanErrorsError);
    expect(writes).toBe(1);
    // The first set still holds its destination and plans nothing.
    const again = await planTokenSet(h.api, setOf("team/a", [resolved("a-ci", { deliver: [github] })]));
    expect(again.changes).toEqual([]);
    expect(again.errors).toEqual([]);
  });

  it("refuses a name another owner holds, naming it, and adopts it only when the spec says adopt: true", async () => {
    await using h = await startHarness();
    await apply(h, "team/a", [resolved("alice-cursor-dev", { deliver: [file(h, "a")] })]);
    const clash = await planTokenSet(
      h.api,
      setOf("team/b", [resolved("alice-cursor-dev", { deliver: [file(h, "b")] })]),
    );
    expect(clash.changes).toEqual([]);
    expect(clash.errors.map((e) => e.message)).toEqual([
      "the name alice-cursor-dev is held by token alice-cursor-dev (owner team/a); choose another name, or set adopt: true on the token to take it over",
    ]);

    const adopting = resolved("alice-cursor-dev", { adopt: true, deliver: [file(h, "b")] });
    const adopt = await planTokenSet(h.api, setOf("team/b", [adopting]));
    expect(adopt.changes.map((c) => c.kind)).toEqual(["adopt", "redeliver"]);
    expect(renderText(adopt)).toContain("alice-cursor-dev will be adopted from owner team/a (adopt: true)");
    const done = await applyPlan(adopt, { api: h.api, sinks: h.sinks });
    expect(done.ok).toBe(true);
    const [token] = await h.api.listAllTokens({ name: "alice-cursor-dev" });
    expect(token!.labels["tokenform.dev/owner"]).toBe("team/b");
    expect((await planTokenSet(h.api, setOf("team/b", [adopting]))).changes).toEqual([]);
    // The first owner's plan now sees the name held by team/b, and says so.
    const lost = await planTokenSet(
      h.api,
      setOf("team/a", [resolved("alice-cursor-dev", { deliver: [file(h, "a")] })]),
    );
    expect(lost.errors[0]?.holder.owner).toBe("team/b");
  });

  it("leaves exactly one holder when two owners' applies race for one file in two processes", async () => {
    await using h = await startHarness();
    const shared = file(h, "shared");
    const specs = await Promise.all(
      ["team/a", "team/b"].map(async (owner, i) => {
        const path = join(h.dir, `spec-${i}.json`);
        await writeFile(path, JSON.stringify(setOf(owner, [resolved(`racer-${i}`, { deliver: [shared] })])));
        return path;
      }),
    );
    const runs = await Promise.all(
      specs.map(
        (spec) =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, ["--import", "tsx", "test/support/apply-child.ts"], {
              env: {
                ...process.env,
                SPEC_JSON: spec,
                KILL_AT: "0",
                TOKENFORM_API_URL: h.url,
                TOKENFORM_API_TOKEN: h.service.adminToken.reveal(),
              },
              stdio: ["ignore", "pipe", "ignore"],
            });
            let out = "";
            child.stdout.on("data", (chunk: Buffer) => {
              out += chunk.toString("utf8");
            });
            child.once("close", () => resolve(out));
          }),
      ),
    );
    const holders = await h.api.listAllTokens({
      destination: `file://${hostname()}${shared.path}#MCP_API_KEY`,
    });
    expect(holders).toHaveLength(1);
    const winner = holders[0]!;
    // The loser created nothing (its claim failed before any delivery), and the file holds the winner's key.
    const all = await h.api.listAllTokens();
    expect(all.filter((t) => t.name.startsWith("racer-")).map((t) => t.name)).toEqual([winner.name]);
    const text = await readFile(shared.path, "utf8");
    const secret = text.trim().split("=")[1]!;
    expect((await h.service.verifier.verify({ token: secret })).valid).toBe(true);
    expect(runs.join("")).toMatch(/"ok":true/);
  });
});

describe("renames", () => {
  it("renames a token in place with renamedFrom: same token, same secret, same variable in its file", async () => {
    await using h = await startHarness();
    const laptop: FileDestination = {
      kind: "file",
      path: join(h.outDir, "laptop.env"),
      format: "env",
      key: "LAPTOP_DEV",
    };
    await apply(h, "team/a", [resolved("laptop-dev", { deliver: [laptop] })]);
    const [before] = await h.api.listAllTokens({ name: "laptop-dev" });
    const fileBefore = await readFile(laptop.path, "utf8");
    // What the spec loader resolves for `renamedFrom: laptop-dev` with no `key` (unit-tested in resolve).
    const renamed = resolved("laptop-editor", { renamedFrom: "laptop-dev", deliver: [laptop] });
    const plan = await planTokenSet(h.api, setOf("team/a", [renamed]));
    expect(plan.changes.map((c) => c.kind)).toEqual(["update"]);
    expect(renderText(plan)).toContain(
      "laptop-editor will be renamed in place (was laptop-dev); its secret and destinations stay",
    );
    expect((await applyPlan(plan, { api: h.api, sinks: h.sinks })).ok).toBe(true);
    const [after] = await h.api.listAllTokens({ name: "laptop-editor" });
    expect(after).toMatchObject({ id: before!.id, fingerprint: before!.fingerprint, generation: 1 });
    expect(await readFile(laptop.path, "utf8")).toBe(fileBefore);
    expect((await planTokenSet(h.api, setOf("team/a", [renamed]))).changes).toEqual([]);

    // Later the spec drops renamedFrom: the derived key would now be LAPTOP_EDITOR, but the file keeps
    // the variable it has — a key changes only when the spec writes one.
    const settled = resolved("laptop-editor", {
      deliver: [{ ...laptop, key: "LAPTOP_EDITOR", keyDerived: true }],
    });
    const quiet = await planTokenSet(h.api, setOf("team/a", [settled]));
    expect(quiet.changes).toEqual([]);
    expect((await applyPlan(quiet, { api: h.api, sinks: h.sinks })).ok).toBe(true);
    expect(await readFile(laptop.path, "utf8")).toBe(fileBefore);

    // Writing a key is a deliberate change: delivered under the new name, removed from the old.
    const rekeyed = resolved("laptop-editor", { deliver: [{ ...laptop, key: "EDITOR_KEY" }] });
    const rekey = await planTokenSet(h.api, setOf("team/a", [rekeyed]));
    expect(rekey.changes.map((c) => c.kind)).toContain("redeliver");
    expect((await applyPlan(rekey, { api: h.api, sinks: h.sinks })).ok).toBe(true);
    const text = await readFile(laptop.path, "utf8");
    expect(text).toMatch(/^EDITOR_KEY=/m);
    expect(text).not.toMatch(/^LAPTOP_DEV=/m);
  });
});
