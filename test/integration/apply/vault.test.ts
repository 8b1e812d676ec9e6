/**
 * Plan and apply with a Vault KV v2 destination, end to end: a real token service, and Vault's KV v2 API
 * played by nock as a small stateful store (versions, check-and-set, soft delete) in its documented
 * shapes. Create, a scheduled rotation with overlap, destination drift naming Vault's versions, and the
 * removal of the destination — the secret's other keys untouched throughout, no secret in any output.
 */
import nock from "nock";
import { describe, expect, it } from "vitest";
import { renderText } from "../../../src/plan/index.js";
import type { FileDestination, VaultDestination } from "../../../src/spec/resolved.js";
import { resolved } from "../../support/builders.js";
import { startHarness, VAULT_TOKEN, VAULT_URL } from "../../support/harness.js";
import { useNockedApply } from "../../support/nocked-apply.js";

const DATA = "/v1/secret/data/mcp/backend";
const vault: VaultDestination = { kind: "vault", mount: "secret", path: "mcp/backend", key: "API_KEY" };

/** Vault's KV v2 engine for one secret, as its HTTP API answers (token checked, versions counted). */
function fakeVault(initial: Record<string, string>) {
  const state = {
    version: 1,
    data: { ...initial } as Record<string, string> | null,
    writes: [] as unknown[],
  };
  const scope = nock(VAULT_URL, { reqheaders: { "x-vault-token": VAULT_TOKEN } }).persist();
  scope.get(DATA).reply(() =>
    state.data === null
      ? [
          404,
          {
            data: {
              data: null,
              metadata: { version: state.version, deletion_time: "2026-12-01T00:00:00Z" },
            },
          },
        ]
      : [200, { data: { data: state.data, metadata: { version: state.version, deletion_time: "" } } }],
  );
  scope.post(DATA).reply((_uri, body) => {
    const { options, data } = body as { options: { cas: number }; data: Record<string, string> };
    state.writes.push(body);
    if (options.cas !== state.version) {
      return [400, { errors: ["check-and-set parameter did not match the current version"] }];
    }
    state.version++;
    state.data = data;
    return [200, { data: { version: state.version, created_time: new Date().toISOString() } }];
  });
  scope.delete(DATA).reply(() => {
    state.data = null;
    return [204];
  });
  return state;
}

/** Another writer (a person with `vault kv put`) changing the secret. */
function overwrite(state: ReturnType<typeof fakeVault>, data: Record<string, string>) {
  state.version++;
  state.data = data;
}

const { plan, apply, remember } = useNockedApply();

const held = (state: ReturnType<typeof fakeVault>) => {
  const value = state.data?.API_KEY;
  if (value) remember(value);
  return value;
};

describe("plan and apply to Vault KV v2", () => {
  it("creates, rotates with overlap, sees drift, and removes its key, leaving the other keys", async () => {
    await using h = await startHarness();
    const kv = fakeVault({ DB_URL: "postgres://db.internal/app" });
    const spec = resolved("backend", {
      deliver: [vault],
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
    });

    // Create: the plan names the destination; apply writes version 2 (after the other key's version 1).
    const created = await plan(h, [spec]);
    expect(renderText(created)).toContain("Vault KV secret secret/mcp/backend key API_KEY");
    expect((await apply(h, created)).ok).toBe(true);
    const first = held(kv)!;
    expect(first).toMatch(/^mcp_sk_/);
    expect(kv.data).toEqual({ DB_URL: "postgres://db.internal/app", API_KEY: first });
    expect(kv.writes[0]).toMatchObject({ options: { cas: 1 } });
    expect((await h.api.verify({ token: first })).code).toBe("VALID");
    let [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries).toEqual([
      expect.objectContaining({ destination: "vault:secret/mcp/backend#API_KEY", version: "2" }),
    ]);

    // Nothing to do while Vault holds the delivery (one drift read).
    const quiet = await plan(h, [spec]);
    expect(quiet.changes).toEqual([]);
    expect(quiet.destinationChecks).toEqual({ checked: 1, drifted: [], unverified: [] });

    // Rotation when due: a new version; the previous secret keeps working for the overlap.
    const rotation = await plan(h, [spec], { now: new Date(Date.now() + 2 * 3600_000) });
    expect(rotation.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["rotate:backend"]);
    expect((await apply(h, rotation)).ok).toBe(true);
    const second = held(kv)!;
    expect(second).not.toBe(first);
    expect(kv.version).toBe(3);
    expect(kv.data!.DB_URL).toBe("postgres://db.internal/app");
    expect((await h.api.verify({ token: second })).code).toBe("VALID");
    expect((await h.api.verify({ token: first })).code).toBe("VALID");
    [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({ generation: 2, version: "3" });

    // Someone writes another value: the plan re-delivers, naming both versions.
    overwrite(kv, { DB_URL: "postgres://db.internal/app", API_KEY: "pasted-by-hand-0123456789" });
    const drift = await plan(h, [spec]);
    expect(drift.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["redeliver:backend"]);
    expect(renderText(drift)).toContain(
      "destination drift: key API_KEY holds another value than tokenform delivered (version 4; tokenform wrote version 3)",
    );
    expect((await apply(h, drift)).ok).toBe(true);
    expect(held(kv)).toMatch(/^mcp_sk_/);
    expect(kv.version).toBe(5);

    // The destination dropped from the spec (the token lives on in a file): its key is removed from the
    // secret by a check-and-set write; the other key stays.
    const file: FileDestination = {
      kind: "file",
      path: `${h.outDir}/backend.env`,
      format: "env",
      key: "API_KEY",
    };
    const moved = { ...spec, deliver: [file] };
    const removal = await plan(h, [moved]);
    expect(renderText(removal)).toContain("Vault KV secret secret/mcp/backend key API_KEY");
    expect((await apply(h, removal)).ok).toBe(true);
    expect(kv.data).toEqual({ DB_URL: "postgres://db.internal/app" });
    expect(kv.writes.at(-1)).toEqual({ options: { cas: 5 }, data: { DB_URL: "postgres://db.internal/app" } });
  });

  it("a rotation checks-and-sets on the recorded version, and refuses a value pasted after the plan", async () => {
    await using h = await startHarness();
    const kv = fakeVault({ DB_URL: "postgres://db.internal/app" });
    const spec = resolved("backend", {
      deliver: [vault],
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
    });
    expect((await apply(h, await plan(h, [spec]))).ok).toBe(true);
    const first = held(kv)!;
    const later = { now: new Date(Date.now() + 2 * 3600_000) };

    // Someone changes only another key: the rotation writes against the version read and keeps it.
    overwrite(kv, { DB_URL: "postgres://db-2.internal/app", API_KEY: first });
    expect((await apply(h, await plan(h, [spec], later))).ok).toBe(true);
    expect(kv.writes.at(-1)).toMatchObject({
      options: { cas: 3 },
      data: { DB_URL: "postgres://db-2.internal/app" },
    });
    const second = held(kv)!;
    expect(second).not.toBe(first);

    // The next rotation is planned while Vault holds tokenform's version 4; a value pasted before apply stays.
    const rotation = await plan(h, [spec], { now: new Date(Date.now() + 4 * 3600_000) });
    expect(rotation.changes.map((c) => c.kind)).toEqual(["rotate"]);
    overwrite(kv, { DB_URL: "postgres://db-2.internal/app", API_KEY: "pasted-by-hand-0123456789" });
    const writes = kv.writes.length;
    const result = await apply(h, rotation);
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.[0]).toMatchObject({
      destination: "vault:secret/mcp/backend#API_KEY",
      transient: false,
    });
    expect(result.results[0]?.failures?.[0]?.message).toContain(
      "secret/mcp/backend is at version 5 but tokenform wrote version 4",
    );
    expect(kv.writes.length).toBe(writes);
    expect(kv.data!.API_KEY).toBe("pasted-by-hand-0123456789");
    // The record still names what tokenform wrote, so the next plan re-delivers (and refuses again until
    // a person removes the key).
    const [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({ version: "4" });
    const retry = await plan(h, [spec]);
    expect(retry.changes.map((c) => c.kind)).toEqual(["redeliver"]);
    expect((await apply(h, retry)).ok).toBe(false);
    expect(kv.data!.API_KEY).toBe("pasted-by-hand-0123456789");
  });

  it("revokes the new token when Vault refuses the write (403), as for GitHub", async () => {
    await using h = await startHarness();
    let sent = "";
    nock(VAULT_URL)
      .get(DATA)
      .reply(404, { errors: [] })
      .post(DATA, (body: { data: { API_KEY: string } }) => {
        sent = body.data.API_KEY;
        return true;
      })
      .reply(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] });
    const result = await apply(h, await plan(h, [resolved("ci", { deliver: [vault] })]));
    remember(sent);
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.[0]).toMatchObject({
      destination: "vault:secret/mcp/backend#API_KEY",
      transient: false,
    });
    expect(result.results[0]?.failures?.[0]?.message).toMatch(/policy needs "create", "read" and "update"/);
    expect(result.results[0]?.message).toMatch(/revoked/);
    expect((await h.api.verify({ token: sent })).valid).toBe(false);
  });
});
