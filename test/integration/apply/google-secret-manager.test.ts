/**
 * Plan and apply with a Google Secret Manager destination, end to end: a real token service, and the
 * Secret Manager REST API played by nock as one secret's versions (add, list enabled, disable, latest).
 * Create, a scheduled rotation with overlap (the previous version stays enabled, older ones are
 * disabled), drift by a version someone else added, and removal by disabling — no secret in any output.
 */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { renderText } from "../../../src/plan/index.js";
import type { FileDestination, GoogleSecretManagerDestination } from "../../../src/spec/resolved.js";
import { resolved } from "../../support/builders.js";
import { GOOGLE_TOKEN, startHarness } from "../../support/harness.js";
import { useNockedApply } from "../../support/nocked-apply.js";

const API = "https://secretmanager.googleapis.com";
const SECRET = "/v1/projects/acme-prod/secrets/mcp-backend";
const NAME = "projects/123456789012/secrets/mcp-backend";
const gsm: GoogleSecretManagerDestination = {
  kind: "googleSecretManager",
  project: "acme-prod",
  secret: "mcp-backend",
};

/** One secret's versions, newest last; `exists` until created. */
function fakeSecretManager() {
  const state = { exists: false, versions: [] as { n: number; value: string; state: string }[] };
  const json = (v: { n: number; state: string }) => ({ name: `${NAME}/versions/${v.n}`, state: v.state });
  const notFound = [404, { error: { code: 404, status: "NOT_FOUND", message: "not found" } }];
  const scope = nock(API, { reqheaders: { authorization: `Bearer ${GOOGLE_TOKEN}` } }).persist();
  scope
    .post("/v1/projects/acme-prod/secrets")
    .query({ secretId: "mcp-backend" })
    .reply(() => {
      state.exists = true;
      return [200, { name: NAME }];
    });
  scope.post(`${SECRET}:addVersion`).reply((_uri, body) => {
    if (!state.exists) return notFound;
    const data = ((typeof body === "string" ? JSON.parse(body) : body) as { payload: { data: string } })
      .payload.data;
    const v = {
      n: state.versions.length + 1,
      value: Buffer.from(data, "base64").toString("utf8"),
      state: "ENABLED",
    };
    state.versions.push(v);
    return [200, json(v)];
  });
  scope
    .get(`${SECRET}/versions`)
    .query(true)
    .reply(() =>
      state.exists
        ? [
            200,
            {
              versions: state.versions
                .filter((v) => v.state === "ENABLED")
                .reverse()
                .map(json),
            },
          ]
        : notFound,
    );
  scope.get(`${SECRET}/versions/latest`).reply(() => {
    const latest = state.versions.at(-1);
    return latest ? [200, json(latest)] : notFound;
  });
  scope.post(/\/versions\/\d+:disable$/).reply((uri) => {
    const n = Number(/versions\/(\d+):disable/.exec(uri)![1]);
    const v = state.versions.find((x) => x.n === n)!;
    v.state = "DISABLED";
    return [200, json(v)];
  });
  return state;
}

const { plan, apply, remember } = useNockedApply();

describe("plan and apply to Google Secret Manager", () => {
  it("creates, rotates with overlap, sees drift by version, and removes by disabling", async () => {
    await using h = await startHarness();
    const sm = fakeSecretManager();
    const spec = resolved("backend", {
      deliver: [gsm],
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
    });
    const states = () => sm.versions.map((v) => `${v.n}:${v.state}`);

    const created = await plan(h, [spec]);
    expect(renderText(created)).toContain("Google Secret Manager secret mcp-backend (project acme-prod)");
    expect((await apply(h, created)).ok).toBe(true);
    const first = sm.versions[0]!.value;
    remember(first);
    expect(first).toMatch(/^mcp_sk_/);
    let [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({
      destination: "googleSecretManager:projects/acme-prod/secrets/mcp-backend",
      version: "1",
    });
    expect((await plan(h, [spec])).changes).toEqual([]);

    // Two rotations: the previous version stays enabled for the overlap, the one before is disabled.
    for (const hours of [2, 4]) {
      const rotation = await plan(h, [spec], { now: new Date(Date.now() + hours * 3600_000) });
      expect(rotation.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["rotate:backend"]);
      expect((await apply(h, rotation)).ok).toBe(true);
      remember(sm.versions.at(-1)!.value);
    }
    expect(states()).toEqual(["1:DISABLED", "2:ENABLED", "3:ENABLED"]);
    expect((await h.api.verify({ token: sm.versions[2]!.value })).code).toBe("VALID");
    expect((await h.api.verify({ token: sm.versions[1]!.value })).code).toBe("VALID");
    [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({ generation: 3, version: "3" });

    // Someone adds a version by hand: drift.
    sm.versions.push({ n: 4, value: "pasted-by-hand", state: "ENABLED" });
    const drift = await plan(h, [spec]);
    expect(renderText(drift)).toContain("a newer version 4 was added after tokenform's version 3");
    expect((await apply(h, drift)).ok).toBe(true);
    remember(sm.versions.at(-1)!.value);

    const file: FileDestination = {
      kind: "file",
      path: `${h.outDir}/backend.env`,
      format: "env",
      key: "API_KEY",
    };
    expect((await apply(h, await plan(h, [{ ...spec, deliver: [file] }]))).ok).toBe(true);
    expect(sm.versions.every((v) => v.state === "DISABLED")).toBe(true);
  });

  it("revokes the new token when Google refuses the version", async () => {
    await using h = await startHarness();
    let sent = "";
    nock(API)
      .post(`${SECRET}:addVersion`, (body: { payload: { data: string } }) => {
        sent = Buffer.from(body.payload.data, "base64").toString("utf8");
        return true;
      })
      .reply(403, { error: { code: 403, status: "PERMISSION_DENIED", message: "Permission denied" } });
    const result = await apply(h, await plan(h, [resolved("ci", { deliver: [gsm] })]));
    remember(sent);
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.[0]?.message).toMatch(/need roles\/secretmanager.secretVersionAdder/);
    expect(result.results[0]?.message).toMatch(/revoked/);
    expect((await h.api.verify({ token: sent })).valid).toBe(false);
  });
});
