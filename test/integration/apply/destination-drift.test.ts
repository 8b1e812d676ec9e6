/**
 * Destination drift: a plan given the sinks reads each destination holding a token's current secret and
 * re-delivers (a roll, with overlap) where it no longer holds it — a GitHub secret deleted or updated
 * after tokenform's delivery (nock), a file overwritten or gone. A destination that cannot be read is
 * reported, never re-delivered; `checkDestinations: false` reads nothing. Real service, real file sink.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyPlan } from "../../../src/apply/index.js";
import { planTokenSet } from "../../../src/plan/fetch.js";
import { renderMarkdown, renderText } from "../../../src/plan/index.js";
import type { RotateChange } from "../../../src/plan/types.js";
import type { FileDestination, GithubDestination } from "../../../src/spec/resolved.js";
import { resolved, tokenSet } from "../../support/builders.js";
import { GITHUB_API, type Harness, startHarness } from "../../support/harness.js";
import { keypair } from "../sinks/helpers.js";

const OWNER = "team/drift";
const github: GithubDestination = { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" };
const SECRET_PATH = "/repos/acme/backend/actions/secrets/MCP_API_KEY";

function laptop(h: Harness): FileDestination {
  return { kind: "file", path: join(h.outDir, "laptop.env"), format: "env", key: "LAPTOP_KEY" };
}

function set(h: Harness) {
  return {
    ...tokenSet([resolved("ci", { deliver: [github] }), resolved("laptop", { deliver: [laptop(h)] })]),
    owner: OWNER,
  };
}

/** GitHub accepting one delivery of MCP_API_KEY; resolves to how many PUTs it saw. */
async function githubAcceptsWrites(times = 1) {
  const kp = await keypair();
  const seen = { puts: 0 };
  nock(GITHUB_API)
    .get("/repos/acme/backend/actions/secrets/public-key")
    .reply(200, { key_id: "1", key: kp.publicKey })
    .put(SECRET_PATH)
    .times(times)
    .reply(() => {
      seen.puts++;
      return [201];
    });
  return seen;
}

/** GitHub's answer to the drift check's GET of the secret. */
function githubSecret(status: number, updatedAt = "2020-01-01T00:00:00Z") {
  return nock(GITHUB_API)
    .get(SECRET_PATH)
    .reply(
      status,
      status === 200
        ? { name: "MCP_API_KEY", created_at: "2020-01-01T00:00:00Z", updated_at: updatedAt }
        : { message: status === 404 ? "Not Found" : "Resource not accessible by integration" },
    );
}

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function applied(h: Harness) {
  await githubAcceptsWrites();
  const first = await planTokenSet(h.api, set(h), { sinks: h.sinks });
  expect((await applyPlan(first, { api: h.api, sinks: h.sinks })).ok).toBe(true);
}

describe("destination drift", () => {
  it("reads every destination once and plans nothing while each holds tokenform's delivery", async () => {
    await using h = await startHarness();
    await applied(h);
    const read = githubSecret(200);
    const plan = await planTokenSet(h.api, set(h), { sinks: h.sinks });
    expect(read.isDone()).toBe(true);
    expect(plan.changes).toEqual([]);
    expect(plan.destinationChecks).toEqual({ checked: 2, drifted: [], unverified: [] });
    expect(renderText(plan)).toContain("No changes.");
  });

  it("re-delivers a GitHub secret deleted there and a file overwritten, saying why", async () => {
    await using h = await startHarness();
    await applied(h);
    const [ciBefore] = await h.api.listAllTokens({ name: "ci" });
    const [laptopBefore] = await h.api.listAllTokens({ name: "laptop" });
    await writeFile(laptop(h).path, "LAPTOP_KEY=pasted-by-someone-else\n");
    githubSecret(404);

    const plan = await planTokenSet(h.api, set(h), { sinks: h.sinks });
    expect(plan.changes.map((c) => [c.kind, c.name])).toEqual([
      ["redeliver", "ci"],
      ["redeliver", "laptop"],
    ]);
    const ci = plan.changes[0] as RotateChange;
    expect(ci.reason).toBe(
      "destination drift: GitHub acme/backend secret MCP_API_KEY: the secret no longer exists",
    );
    expect(ci.missing).toEqual([
      expect.objectContaining({
        id: "github:repo/acme/backend/MCP_API_KEY",
        drift: "the secret no longer exists",
      }),
    ]);
    expect((plan.changes[1] as RotateChange).reason).toContain("LAPTOP_KEY holds another value");
    expect(plan.destinationChecks).toMatchObject({ checked: 2, unverified: [] });
    expect(plan.destinationChecks!.drifted.map((d) => d.name)).toEqual(["ci", "laptop"]);
    const text = renderText(plan);
    expect(text).toContain("ci will be re-delivered with a new secret (destination drift:");
    expect(text).toContain(
      "→ new secret to GitHub acme/backend secret MCP_API_KEY (destination drift: the secret no longer exists)",
    );
    expect(renderMarkdown(plan)).toContain("(destination drift: the secret no longer exists)");

    const github = await githubAcceptsWrites();
    expect((await applyPlan(plan, { api: h.api, sinks: h.sinks })).ok).toBe(true);
    expect(github.puts).toBe(1);
    const [ciAfter] = await h.api.listAllTokens({ name: "ci" });
    const [laptopAfter] = await h.api.listAllTokens({ name: "laptop" });
    expect(ciAfter).toMatchObject({ id: ciBefore!.id, generation: 2 });
    expect(laptopAfter).toMatchObject({ id: laptopBefore!.id, generation: 2 });
    expect(await readFile(laptop(h).path, "utf8")).toMatch(/^LAPTOP_KEY=mcp_sk_/);

    // Delivered again: the next plan finds both in place.
    githubSecret(200, new Date().toISOString());
    const next = await planTokenSet(h.api, set(h), { sinks: h.sinks });
    expect(next.changes).toEqual([]);
    expect(next.destinationChecks!.drifted).toEqual([]);
  });

  it("counts a GitHub secret updated after tokenform's delivery as drift, and a deleted file too", async () => {
    await using h = await startHarness();
    await applied(h);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    githubSecret(200, later);
    await writeFile(laptop(h).path, "OTHER=1\n");
    const plan = await planTokenSet(h.api, set(h), { sinks: h.sinks });
    expect(plan.destinationChecks!.drifted.map((d) => [d.name, d.reason])).toEqual([
      [
        "ci",
        expect.stringMatching(
          new RegExp(`^the secret was updated at ${later}, after tokenform delivered it at `),
        ),
      ],
      ["laptop", "the file no longer sets LAPTOP_KEY"],
    ]);
    expect(plan.changes.map((c) => c.kind)).toEqual(["redeliver", "redeliver"]);
  });

  it("reports a destination it cannot read and leaves it alone; reads nothing when told not to", async () => {
    await using h = await startHarness();
    await applied(h);
    githubSecret(403);
    const plan = await planTokenSet(h.api, set(h), { sinks: h.sinks });
    expect(plan.changes).toEqual([]);
    expect(plan.destinationChecks!.unverified).toEqual([
      expect.objectContaining({ name: "ci", destination: "github:repo/acme/backend/MCP_API_KEY" }),
    ]);
    expect(renderText(plan)).toMatch(
      /Could not check 1 destination for drift:\n {2}\? ci → GitHub acme\/backend secret MCP_API_KEY: /,
    );

    await writeFile(laptop(h).path, "LAPTOP_KEY=pasted-by-someone-else\n");
    const skipped = await planTokenSet(h.api, set(h), { sinks: h.sinks, checkDestinations: false });
    expect(skipped.changes).toEqual([]);
    expect(skipped.destinationChecks).toBeUndefined();
    // Without sinks there is nothing to read with: the same.
    expect((await planTokenSet(h.api, set(h))).destinationChecks).toBeUndefined();
    expect(nock.pendingMocks()).toEqual([]);
  });
});
