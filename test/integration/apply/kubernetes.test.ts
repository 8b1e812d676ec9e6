/**
 * Plan and apply with a Kubernetes Secret destination, end to end: a real token service, and the API
 * server played by nock as one Secret with server-side apply semantics (field managers own keys; applying
 * without a key drops it; resourceVersion counts). Create, a scheduled rotation with overlap, drift by an
 * edit of another field manager, and removal — the other manager's key untouched, no secret in any output.
 */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { renderText } from "../../../src/plan/index.js";
import type { FileDestination, KubernetesDestination } from "../../../src/spec/resolved.js";
import { resolved } from "../../support/builders.js";
import { KUBE_SERVER, KUBE_TOKEN, startHarness } from "../../support/harness.js";
import { useNockedApply } from "../../support/nocked-apply.js";

const PATH = "/api/v1/namespaces/mcp/secrets/backend-keys";
const k8s: KubernetesDestination = {
  kind: "kubernetes",
  namespace: "mcp",
  secret: "backend-keys",
  key: "API_KEY",
};
const decode = (v: string | undefined) =>
  v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");

/** One Secret under server-side apply: each key owned by the manager that last applied it. */
function fakeApiServer(initial: Record<string, string>) {
  const state = {
    exists: true,
    version: 100,
    data: Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    owners: Object.fromEntries(Object.keys(initial).map((k) => [k, "helm"])) as Record<string, string>,
  };
  const secret = () => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "backend-keys",
      namespace: "mcp",
      resourceVersion: String(state.version),
      managedFields: [...new Set(Object.values(state.owners))].map((manager) => ({
        manager,
        operation: "Apply",
      })),
    },
    data: state.data,
  });
  const scope = nock(KUBE_SERVER, { reqheaders: { authorization: `Bearer ${KUBE_TOKEN}` } }).persist();
  scope.get(PATH).reply(() => (state.exists ? [200, secret()] : [404, { kind: "Status", code: 404 }]));
  scope
    .patch(PATH)
    .query({ fieldManager: "tokenform", force: "true" })
    .reply((_uri, body) => {
      const applied = (typeof body === "string" ? JSON.parse(body) : body) as {
        data?: Record<string, string>;
      };
      const created = !state.exists;
      state.exists = true;
      for (const [k, owner] of Object.entries(state.owners)) {
        if (owner === "tokenform" && !(k in (applied.data ?? {}))) {
          delete state.data[k];
          delete state.owners[k];
        }
      }
      for (const [k, v] of Object.entries(applied.data ?? {})) {
        state.data[k] = v;
        state.owners[k] = "tokenform";
      }
      state.version++;
      return [created ? 201 : 200, secret()];
    });
  return state;
}

const { plan, apply, remember } = useNockedApply();

describe("plan and apply to a Kubernetes Secret", () => {
  it("applies its key, rotates with overlap, sees drift, and removes the key, leaving Helm's", async () => {
    await using h = await startHarness();
    const api = fakeApiServer({ DATABASE_URL: "postgres://db" });
    const spec = resolved("backend", {
      deliver: [k8s],
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
    });

    const created = await plan(h, [spec]);
    expect(renderText(created)).toContain("Kubernetes Secret mcp/backend-keys key API_KEY");
    expect((await apply(h, created)).ok).toBe(true);
    const first = decode(api.data.API_KEY)!;
    remember(first);
    expect(first).toMatch(/^mcp_sk_/);
    expect(decode(api.data.DATABASE_URL)).toBe("postgres://db");
    let [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({
      destination: "kubernetes:mcp/backend-keys#API_KEY",
      version: "101",
    });

    expect((await plan(h, [spec])).changes).toEqual([]);

    const rotation = await plan(h, [spec], { now: new Date(Date.now() + 2 * 3600_000) });
    expect(rotation.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["rotate:backend"]);
    expect((await apply(h, rotation)).ok).toBe(true);
    const second = decode(api.data.API_KEY)!;
    remember(second);
    expect(second).not.toBe(first);
    expect((await h.api.verify({ token: first })).code).toBe("VALID");
    expect((await h.api.verify({ token: second })).code).toBe("VALID");
    [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({ generation: 2, version: "102" });

    // kubectl edit: another value, another resourceVersion.
    api.data.API_KEY = Buffer.from("edited-by-hand").toString("base64");
    api.version++;
    const drift = await plan(h, [spec]);
    expect(renderText(drift)).toContain(
      "key API_KEY holds another value than tokenform delivered (resourceVersion 103; tokenform wrote 102)",
    );
    expect((await apply(h, drift)).ok).toBe(true);
    remember(decode(api.data.API_KEY)!);

    const file: FileDestination = {
      kind: "file",
      path: `${h.outDir}/backend.env`,
      format: "env",
      key: "API_KEY",
    };
    expect((await apply(h, await plan(h, [{ ...spec, deliver: [file] }]))).ok).toBe(true);
    expect(Object.keys(api.data)).toEqual(["DATABASE_URL"]);
    expect(api.exists).toBe(true);
  });

  it("revokes the new token when RBAC forbids the apply", async () => {
    await using h = await startHarness();
    let sent = "";
    nock(KUBE_SERVER)
      .patch(PATH, (body: { data: { API_KEY: string } }) => {
        sent = decode(body.data.API_KEY)!;
        return true;
      })
      .query(true)
      .reply(403, {
        kind: "Status",
        code: 403,
        reason: "Forbidden",
        message: 'secrets "backend-keys" is forbidden',
      });
    const result = await apply(h, await plan(h, [resolved("ci", { deliver: [k8s] })]));
    remember(sent);
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.[0]?.message).toMatch(
      /need the verbs "get" and "patch" on secrets in namespace mcp/,
    );
    expect(result.results[0]?.message).toMatch(/revoked/);
    expect((await h.api.verify({ token: sent })).valid).toBe(false);
  });
});
