/**
 * The Vault sink against Vault's documented KV v2 HTTP API (intercepted with nock): read → check-and-set
 * write keeping the secret's other keys, the new version recorded, token / AppRole / JWT logins, drift
 * reads, removal, and failures (403, 404, 429, check-and-set conflicts) as the GitHub sink's delivery
 * errors, with no secret or credential in any of them.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf } from "../../../src/api/secret.js";
import type { VaultDestination } from "../../../src/destinations/vault/index.js";
import { createSinks } from "../../../src/sinks/index.js";
import { VaultSink, type VaultSinkOptions } from "../../../src/sinks/vault/sink.js";
import { context, deliveryError, expectNoLeak, issueSecret, lockNetwork } from "./helpers.js";

const VAULT = "https://vault.acme.dev:8200";
const TOKEN = "hvs.testVaultToken0123456789abcdef";
const DATA = "/v1/secret/data/mcp/backend";

const dest = (over: Partial<VaultDestination> = {}): VaultDestination => ({
  kind: "vault",
  mount: "secret",
  path: "mcp/backend",
  key: "API_KEY",
  ...over,
});

function sink(env: VaultSinkOptions["env"] = { VAULT_ADDR: VAULT, VAULT_TOKEN: TOKEN }): VaultSink {
  return new VaultSink({ env, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
}

function vault(token = TOKEN) {
  return nock(VAULT, { reqheaders: { "x-vault-token": token } });
}

/** A KV v2 read answer (`GET /v1/<mount>/data/<path>`). */
function kvRead(data: Record<string, string>, version: number) {
  return {
    request_id: "r1",
    data: {
      data,
      metadata: { version, created_time: "2026-01-10T10:00:00Z", deletion_time: "", destroyed: false },
    },
  };
}

/** A KV v2 write answer. */
const kvWritten = (version: number) => ({
  data: { version, created_time: "2026-12-02T10:00:00Z", deletion_time: "", destroyed: false },
});

/** Counts how often `needle` occurs in `text`. */
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("Vault KV v2 delivery", () => {
  it("creates the secret with check-and-set 0 when it does not exist, and records version 1", async () => {
    const secret = issueSecret();
    let raw = "";
    const api = vault()
      .get(DATA)
      .reply(404, { errors: [] })
      .post(DATA, (body) => {
        raw = JSON.stringify(body);
        return true;
      })
      .reply(200, kvWritten(1));
    const receipt = await sink().deliver(dest(), secret, context);
    expect(receipt).toMatchObject({
      destination: "vault:secret/mcp/backend#API_KEY",
      outcome: "created",
      version: "1",
    });
    expect(JSON.parse(raw)).toEqual({ options: { cas: 0 }, data: { API_KEY: secret.reveal() } });
    expect(occurrences(raw, secret.reveal())).toBe(1);
    expect(api.isDone()).toBe(true);
  });

  it("sets its key in a new version, keeping the secret's other keys, against the version read", async () => {
    const secret = issueSecret();
    let body: unknown;
    vault()
      .get(DATA)
      .reply(200, kvRead({ DB_URL: "postgres://db", API_KEY: "mcp_sk_old" }, 3))
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(4));
    const receipt = await sink().deliver(dest(), secret, context);
    expect(receipt).toMatchObject({ outcome: "updated", version: "4" });
    expect(body).toEqual({
      options: { cas: 3 },
      data: { DB_URL: "postgres://db", API_KEY: secret.reveal() },
    });
  });

  it("writes under a deleted latest version with that version as check-and-set", async () => {
    let body: unknown;
    vault()
      .get(DATA)
      .reply(404, { data: { data: null, metadata: { version: 5, deletion_time: "2026-11-01T00:00:00Z" } } })
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(6));
    await sink().deliver(dest(), issueSecret(), context);
    expect(body).toMatchObject({ options: { cas: 5 } });
  });

  it("uses the destination's own address and VAULT_NAMESPACE", async () => {
    const api = nock("https://vault.eu.acme.dev", {
      reqheaders: { "x-vault-token": TOKEN, "x-vault-namespace": "platform" },
    })
      .get("/v1/kv/teams/data/platform")
      .reply(404, { errors: [] })
      .post("/v1/kv/teams/data/platform")
      .reply(200, kvWritten(1));
    await sink({ VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "platform" }).deliver(
      dest({ address: "https://vault.eu.acme.dev", mount: "kv/teams", path: "platform" }),
      issueSecret(),
      context,
    );
    expect(api.isDone()).toBe(true);
  });

  it("reads and writes once more after a check-and-set conflict", async () => {
    const cas: unknown[] = [];
    vault()
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "a" }, 3))
      .post(DATA, (b: { options: { cas: number } }) => cas.push(b.options.cas) > 0)
      .reply(400, { errors: ["check-and-set parameter did not match the current version"] })
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "b" }, 4))
      .post(DATA, (b: { options: { cas: number } }) => cas.push(b.options.cas) > 0)
      .reply(200, kvWritten(5));
    const receipt = await sink().deliver(dest(), issueSecret(), context);
    expect(cas).toEqual([3, 4]);
    expect(receipt.version).toBe("5");
  });

  it("fails as transient when the conflict repeats (another writer keeps changing the secret)", async () => {
    const conflict = { errors: ["check-and-set parameter did not match the current version"] };
    vault()
      .get(DATA)
      .twice()
      .reply(200, kvRead({ API_KEY: "a" }, 3))
      .post(DATA)
      .twice()
      .reply(400, conflict);
    const secret = issueSecret();
    const error = await deliveryError(sink().deliver(dest(), secret, context));
    expect(error.message).toMatch(/secret\/data\/mcp\/backend changed .*check-and-set conflict/);
    expect(error).toMatchObject({ status: 409, transient: true });
    expectNoLeak(error, secret.reveal(), TOKEN);
  });
});

describe("Vault check-and-set against the version tokenform wrote", () => {
  const previous = {
    fingerprint: fingerprintOf("mcp_sk_delivered"),
    deliveredAt: "2026-12-01T10:00:00Z",
    version: "4",
  };
  const withRecord = { ...context, previous };
  const conflict = { errors: ["check-and-set parameter did not match the current version"] };

  /** A sink whose warnings are kept. */
  function watchedSink() {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_f: unknown, message: string) => warnings.push(message) };
    const s = new VaultSink({
      env: { VAULT_ADDR: VAULT, VAULT_TOKEN: TOKEN },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      logger,
    });
    return { sink: s, warnings };
  }

  it("sends the recorded version as options.cas when the secret is still at it", async () => {
    const secret = issueSecret();
    let body: unknown;
    const api = vault()
      .get(DATA)
      .reply(200, kvRead({ DB_URL: "postgres://db", API_KEY: "mcp_sk_delivered" }, 4))
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(5));
    const { sink: s, warnings } = watchedSink();
    const receipt = await s.deliver(dest(), secret, withRecord);
    expect(body).toEqual({
      options: { cas: 4 },
      data: { DB_URL: "postgres://db", API_KEY: secret.reveal() },
    });
    expect(receipt).toMatchObject({ outcome: "updated", version: "5" });
    expect(warnings).toEqual([]);
    expect(api.isDone()).toBe(true);
  });

  it("refuses to overwrite a value someone else wrote to its key since, naming both versions", async () => {
    const secret = issueSecret();
    const api = vault()
      .get(DATA)
      .reply(200, kvRead({ DB_URL: "postgres://db", API_KEY: "pasted-by-hand-0123456789" }, 6));
    const error = await deliveryError(sink().deliver(dest(), secret, withRecord));
    expect(error.message).toBe(
      "Vault: key API_KEY was changed outside tokenform (secret/mcp/backend is at version 6 but tokenform wrote version 4) and holds a value tokenform did not deliver, so tokenform did not overwrite it; see who wrote it (vault kv metadata get secret/mcp/backend), then remove key API_KEY from the secret (or point the spec at another key) and re-run apply",
    );
    expect(error).toMatchObject({
      destination: "vault:secret/mcp/backend#API_KEY",
      status: 409,
      transient: false,
    });
    expectNoLeak(error, secret.reveal(), TOKEN, "pasted-by-hand-0123456789");
    // One read and no write: lockNetwork would have failed an unintercepted POST differently.
    expect(api.isDone()).toBe(true);
  });

  it("refuses when someone writes its key between the read and the write (check-and-set conflict)", async () => {
    const cas: number[] = [];
    vault()
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "mcp_sk_delivered" }, 4))
      .post(DATA, (b: { options: { cas: number } }) => cas.push(b.options.cas) > 0)
      .reply(400, conflict)
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "pasted-by-hand-0123456789" }, 5));
    const error = await deliveryError(sink().deliver(dest(), issueSecret(), withRecord));
    expect(cas).toEqual([4]);
    expect(error.message).toContain("secret/mcp/backend is at version 5 but tokenform wrote version 4");
    expect(error).toMatchObject({ status: 409, transient: false });
  });

  it("writes its key when only other keys changed since, against the version read, and warns", async () => {
    const secret = issueSecret();
    let body: unknown;
    vault()
      .get(DATA)
      .reply(200, kvRead({ DB_URL: "postgres://db-2", API_KEY: "mcp_sk_delivered" }, 6))
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(7));
    const { sink: s, warnings } = watchedSink();
    await s.deliver(dest(), secret, withRecord);
    expect(body).toEqual({
      options: { cas: 6 },
      data: { DB_URL: "postgres://db-2", API_KEY: secret.reveal() },
    });
    expect(warnings).toEqual([
      "secret/mcp/backend is at version 6 but tokenform wrote version 4: other keys changed since; writing key API_KEY against the version read",
    ]);
    expect(warnings.join("\n")).not.toContain(secret.reveal());
  });

  it("writes its key again when someone removed it since", async () => {
    let body: unknown;
    vault()
      .get(DATA)
      .reply(200, kvRead({ DB_URL: "postgres://db" }, 5))
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(6));
    await sink().deliver(dest(), issueSecret(), withRecord);
    expect(body).toMatchObject({ options: { cas: 5 } });
  });

  it("a first delivery (no record) creates the secret with check-and-set 0", async () => {
    let body: unknown;
    vault()
      .get(DATA)
      .reply(404, { errors: [] })
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(1));
    const receipt = await sink().deliver(dest(), issueSecret(), context);
    expect(body).toMatchObject({ options: { cas: 0 } });
    expect(receipt.version).toBe("1");
  });
});

describe("Vault failures are delivery errors", () => {
  it("403: names the policy the token needs; not transient; nothing leaks", async () => {
    const secret = issueSecret();
    vault()
      .get(DATA)
      .reply(200, kvRead({}, 1))
      .post(DATA)
      .reply(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] });
    const error = await deliveryError(sink().deliver(dest(), secret, context));
    expect(error.message).toBe(
      'Vault refused (403: 1 error occurred: * permission denied) writing key API_KEY of secret/mcp/backend: the token\'s policy needs "create", "read" and "update" on secret/data/mcp/backend, or the token is invalid or expired',
    );
    expect(error).toMatchObject({
      status: 403,
      transient: false,
      destination: "vault:secret/mcp/backend#API_KEY",
    });
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("404 with no route: the mount is not a KV v2 engine", async () => {
    vault()
      .get(DATA)
      .reply(404, { errors: ['no handler for route "secret/data/mcp/backend". route entry not found.'] });
    const error = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(error.message).toMatch(
      /^Vault: no KV v2 mount at secret\/, or the address is wrong \(404 while reading/,
    );
    expect(error).toMatchObject({ status: 404, transient: false });
  });

  it("429 (rate limit quota) is retried, then fails as transient", async () => {
    const api = vault()
      .get(DATA)
      .reply(200, kvRead({}, 1))
      .post(DATA)
      .times(4)
      .reply(429, { errors: ['request path "secret/data/mcp/backend": rate limit quota exceeded'] });
    const error = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(error.message).toMatch(/^Vault rate limit exceeded \(429\) while writing key API_KEY/);
    expect(error).toMatchObject({ status: 429, transient: true });
    expect(api.isDone()).toBe(true);
  });

  it("a value Vault echoes in an error is scrubbed", async () => {
    const secret = issueSecret();
    vault()
      .get(DATA)
      .reply(200, kvRead({}, 1))
      .post(DATA)
      .reply(400, { errors: [`invalid value ${secret.reveal()} for ${TOKEN}`] });
    const error = await deliveryError(sink().deliver(dest(), secret, context));
    expect(error.message).toContain("[redacted]");
    expectNoLeak(error, secret.reveal(), TOKEN);
  });

  it("without credentials or address, says what to set", async () => {
    const none = await deliveryError(sink({ VAULT_ADDR: VAULT }).deliver(dest(), issueSecret(), context));
    expect(none.message).toMatch(
      /^Vault credentials are not set: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID/,
    );
    const noAddress = await deliveryError(
      sink({ VAULT_TOKEN: TOKEN }).deliver(dest(), issueSecret(), context),
    );
    expect(noAddress.message).toMatch(/^VAULT_ADDR is not set/);
    expectNoLeak(noAddress, TOKEN);
  });

  it("createSinks builds it from the environment", async () => {
    vault().get(DATA).reply(404, { errors: [] }).post(DATA).reply(200, kvWritten(1));
    const sinks = createSinks({ env: { VAULT_ADDR: VAULT, VAULT_TOKEN: TOKEN } });
    await expect(sinks.vault.deliver(dest(), issueSecret(), context)).resolves.toMatchObject({
      version: "1",
    });
  });
});

describe("Vault logins", () => {
  it("AppRole: logs in once, then uses the client token", async () => {
    const login = nock(VAULT)
      .post("/v1/auth/approle/login", { role_id: "role-1", secret_id: "secret-id-abcdef123456" })
      .once()
      .reply(200, { auth: { client_token: "hvs.fromAppRole", lease_duration: 3600 } });
    vault("hvs.fromAppRole")
      .get(DATA)
      .twice()
      .reply(404, { errors: [] })
      .post(DATA)
      .twice()
      .reply(200, kvWritten(1));
    const s = sink({ VAULT_ADDR: VAULT, VAULT_ROLE_ID: "role-1", VAULT_SECRET_ID: "secret-id-abcdef123456" });
    await s.deliver(dest(), issueSecret(), context);
    await s.deliver(dest(), issueSecret(), context);
    expect(login.isDone()).toBe(true);
  });

  it("JWT/OIDC: logs in at VAULT_AUTH_PATH with the role and the JWT", async () => {
    nock(VAULT)
      .post("/v1/auth/github-actions/login", { role: "tokenform", jwt: "eyJhbGciOi.jwt.sig" })
      .reply(200, { auth: { client_token: "hvs.fromJwt" } });
    vault("hvs.fromJwt").get(DATA).reply(404, { errors: [] }).post(DATA).reply(200, kvWritten(1));
    const s = sink({
      VAULT_ADDR: VAULT,
      VAULT_JWT: "eyJhbGciOi.jwt.sig",
      VAULT_JWT_ROLE: "tokenform",
      VAULT_AUTH_PATH: "github-actions",
    });
    await expect(s.deliver(dest(), issueSecret(), context)).resolves.toMatchObject({ version: "1" });
  });

  it("a refused login is a delivery error without the secret id", async () => {
    nock(VAULT)
      .post("/v1/auth/approle/login")
      .reply(400, { errors: ["invalid role or secret ID"] });
    const error = await deliveryError(
      sink({ VAULT_ADDR: VAULT, VAULT_ROLE_ID: "role-1", VAULT_SECRET_ID: "secret-id-abcdef123456" }).deliver(
        dest(),
        issueSecret(),
        context,
      ),
    );
    expect(error.message).toBe(
      "Vault refused logging in to Vault (AppRole, /v1/auth/approle/login) (400: invalid role or secret ID): check the role and its credentials",
    );
    expectNoLeak(error, "secret-id-abcdef123456");
  });
});

describe("Vault destination drift and removal", () => {
  const recorded = {
    fingerprint: fingerprintOf("mcp_sk_delivered"),
    deliveredAt: "2026-12-01T10:00:00Z",
    version: "4",
  };

  it("holds when the key has the delivered value, even after other keys changed", async () => {
    vault()
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "mcp_sk_delivered", OTHER: "x" }, 7));
    await expect(sink().inspect(dest(), recorded, context)).resolves.toEqual({ holds: true });
  });

  it("drifts when the key holds another value, naming both versions", async () => {
    vault()
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "mcp_sk_someone_else" }, 5));
    const state = await sink().inspect(dest(), recorded, context);
    expect(state).toEqual({
      holds: false,
      reason:
        "key API_KEY holds another value than tokenform delivered (version 5; tokenform wrote version 4)",
    });
    expect(JSON.stringify(state)).not.toContain("mcp_sk_someone_else");
  });

  it("drifts when the key or the secret is gone", async () => {
    vault()
      .get(DATA)
      .reply(200, kvRead({ OTHER: "x" }, 5))
      .get(DATA)
      .reply(404, { errors: [] });
    await expect(sink().inspect(dest(), recorded, context)).resolves.toEqual({
      holds: false,
      reason: "the Vault secret no longer has key API_KEY",
    });
    await expect(sink().inspect(dest(), recorded, context)).resolves.toEqual({
      holds: false,
      reason: "the Vault secret no longer exists",
    });
  });

  it("cannot tell (a delivery error, not drift) when refused", async () => {
    vault()
      .get(DATA)
      .reply(403, { errors: ["permission denied"] });
    const error = await deliveryError(sink().inspect(dest(), recorded, context));
    expect(error.message).toMatch(/needs "read" on secret\/data\/mcp\/backend/);
  });

  it("removes only its key when the secret has others (check-and-set)", async () => {
    let body: unknown;
    vault()
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "v", OTHER: "x" }, 5))
      .post(DATA, (b) => {
        body = b;
        return true;
      })
      .reply(200, kvWritten(6));
    await sink().remove(dest(), context);
    expect(body).toEqual({ options: { cas: 5 }, data: { OTHER: "x" } });
  });

  it("deletes the latest version when its key was the only one; nothing to do when already gone", async () => {
    const api = vault()
      .get(DATA)
      .reply(200, kvRead({ API_KEY: "v" }, 5))
      .delete(DATA)
      .reply(204)
      .get(DATA)
      .reply(404, { errors: [] });
    await sink().remove(dest(), context);
    await sink().remove(dest(), context);
    expect(api.isDone()).toBe(true);
  });
});
