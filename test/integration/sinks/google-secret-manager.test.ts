/**
 * The Google Secret Manager sink against the REST API v1 (intercepted with nock): `:addVersion` with the
 * value base64 in `payload.data` and nowhere else, the secret created when missing, older versions
 * disabled (the previous one kept for the overlap), the version number recorded and compared, removal by
 * disabling, service-account credentials exchanged for a token (a real RS256 signature), and failures
 * (403, 404, 429, 409) as the GitHub sink's delivery errors.
 */
import { createVerify, generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf } from "../../../src/api/secret.js";
import type { GoogleSecretManagerDestination } from "../../../src/destinations/google-secret-manager/index.js";
import { GoogleSecretManagerSink } from "../../../src/sinks/google/sink.js";
import { createSinks } from "../../../src/sinks/index.js";
import { context, deliveryError, expectNoLeak, issueSecret, lockNetwork } from "./helpers.js";

const API = "https://secretmanager.googleapis.com";
const TOKEN = "ya29.testAccessToken0123456789";
const SECRET = "/v1/projects/acme-prod/secrets/mcp-backend";
const VERSIONS = "projects/123456789012/secrets/mcp-backend/versions";

const dest: GoogleSecretManagerDestination = {
  kind: "googleSecretManager",
  project: "acme-prod",
  secret: "mcp-backend",
};

function sink(env: NodeJS.ProcessEnv = { GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN }) {
  return new GoogleSecretManagerSink({ env, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
}

function google(token = TOKEN) {
  return nock(API, { reqheaders: { authorization: `Bearer ${token}` } });
}

const version = (n: number, state = "ENABLED") => ({
  name: `${VERSIONS}/${n}`,
  state,
  createTime: "2026-12-02T10:00:00Z",
});
const gError = (code: number, status: string, message: string) => ({ error: { code, status, message } });
const enabled = { filter: "state:ENABLED", pageSize: "100" };

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("Google Secret Manager delivery", () => {
  it("adds a version (base64 in payload.data, once), records its number, disables versions older than the previous", async () => {
    const secret = issueSecret();
    let raw = "";
    const disabled: string[] = [];
    const api = google()
      .post(`${SECRET}:addVersion`, (body) => {
        raw = JSON.stringify(body);
        return true;
      })
      .reply(200, version(7))
      .get(`${SECRET}/versions`)
      .query(enabled)
      .reply(200, { versions: [version(7), version(6), version(5), version(3)] })
      .post(/\/v1\/projects\/123456789012\/secrets\/mcp-backend\/versions\/\d+:disable/)
      .times(2)
      .reply((uri) => {
        disabled.push(uri);
        return [200, {}];
      });
    const receipt = await sink().deliver(dest, secret, context);
    expect(receipt).toMatchObject({
      destination: "googleSecretManager:projects/acme-prod/secrets/mcp-backend",
      outcome: "updated",
      version: "7",
    });
    const b64 = Buffer.from(secret.reveal()).toString("base64");
    expect(JSON.parse(raw)).toEqual({ payload: { data: b64 } });
    expect(raw).not.toContain(secret.reveal());
    expect(raw.split(b64).length - 1).toBe(1);
    expect(disabled).toEqual([`/v1/${VERSIONS}/5:disable`, `/v1/${VERSIONS}/3:disable`]);
    expect(api.isDone()).toBe(true);
  });

  it("creates the secret when it does not exist, then adds the version", async () => {
    let created: unknown;
    google()
      .post(`${SECRET}:addVersion`)
      .reply(404, gError(404, "NOT_FOUND", "Secret [projects/123456789012/secrets/mcp-backend] not found."))
      .post("/v1/projects/acme-prod/secrets", (body) => {
        created = body;
        return true;
      })
      .query({ secretId: "mcp-backend" })
      .reply(200, { name: "projects/123456789012/secrets/mcp-backend" })
      .post(`${SECRET}:addVersion`)
      .reply(200, version(1))
      .get(`${SECRET}/versions`)
      .query(enabled)
      .reply(200, { versions: [version(1)] });
    await expect(sink().deliver(dest, issueSecret(), context)).resolves.toMatchObject({
      outcome: "created",
      version: "1",
    });
    expect(created).toEqual({ replication: { automatic: {} }, labels: { "managed-by": "tokenform" } });
  });

  it("exchanges a service account key for a token (RS256 JWT, RFC 7523) and reuses it", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    let assertion = "";
    const exchange = nock("https://oauth2.googleapis.com")
      .post("/token", (body: Record<string, string>) => {
        assertion = body.assertion ?? "";
        return body.grant_type === "urn:ietf:params:oauth:grant-type:jwt-bearer";
      })
      .once()
      .reply(200, { access_token: "ya29.fromServiceAccount", expires_in: 3599, token_type: "Bearer" });
    google("ya29.fromServiceAccount").get(`${SECRET}/versions/latest`).twice().reply(200, version(4));
    const s = sink({
      TOKENFORM_GOOGLE_CREDENTIALS: JSON.stringify({
        type: "service_account",
        client_email: "tokenform@acme-prod.iam.gserviceaccount.com",
        private_key: pem,
        token_uri: "https://oauth2.googleapis.com/token",
      }),
    });
    const recorded = { fingerprint: "sha256:0", deliveredAt: "2026-12-01T10:00:00Z", version: "4" };
    await expect(s.inspect(dest, recorded, context)).resolves.toEqual({ holds: true });
    await expect(s.inspect(dest, recorded, context)).resolves.toEqual({ holds: true });
    expect(exchange.isDone()).toBe(true);
    const [header, claims, signature] = assertion.split(".");
    expect(JSON.parse(Buffer.from(claims!, "base64url").toString())).toMatchObject({
      iss: "tokenform@acme-prod.iam.gserviceaccount.com",
      scope: "https://www.googleapis.com/auth/cloud-platform",
      aud: "https://oauth2.googleapis.com/token",
    });
    const verified = createVerify("RSA-SHA256")
      .update(`${header}.${claims}`)
      .verify(publicKey, Buffer.from(signature!, "base64url"));
    expect(verified).toBe(true);
  });
});

describe("Google failures are delivery errors", () => {
  it("403 names the role; not transient; nothing leaks", async () => {
    const secret = issueSecret();
    google()
      .post(`${SECRET}:addVersion`)
      .reply(
        403,
        gError(403, "PERMISSION_DENIED", "Permission 'secretmanager.versions.add' denied for resource"),
      );
    const error = await deliveryError(sink().deliver(dest, secret, context));
    expect(error.message).toBe(
      "Google refused (403: PERMISSION_DENIED: Permission 'secretmanager.versions.add' denied for resource) adding a version to secret mcp-backend of project acme-prod: the credentials need roles/secretmanager.secretVersionAdder on the secret or project acme-prod",
    );
    expect(error).toMatchObject({ status: 403, transient: false });
    expectNoLeak(error, secret.reveal(), Buffer.from(secret.reveal()).toString("base64"), TOKEN);
  });

  it("429 is retried, then transient; a 404 project is not", async () => {
    const api = google()
      .post(`${SECRET}:addVersion`)
      .times(4)
      .reply(429, gError(429, "RESOURCE_EXHAUSTED", "Quota exceeded"));
    const throttled = await deliveryError(sink().deliver(dest, issueSecret(), context));
    expect(throttled).toMatchObject({ status: 429, transient: true });
    expect(api.isDone()).toBe(true);
    google()
      .post(`${SECRET}:addVersion`)
      .reply(404, gError(404, "NOT_FOUND", "not found"))
      .post("/v1/projects/acme-prod/secrets")
      .query(true)
      .reply(404, gError(404, "NOT_FOUND", "Project acme-prod not found"));
    const missing = await deliveryError(sink().deliver(dest, issueSecret(), context));
    expect(missing.message).toMatch(
      /^Google: project acme-prod or secret mcp-backend not found \(404 while creating/,
    );
  });

  it("without credentials, says what to set", async () => {
    const error = await deliveryError(sink({}).deliver(dest, issueSecret(), context));
    expect(error.message).toMatch(/^Google credentials are not set: set GOOGLE_OAUTH_ACCESS_TOKEN/);
  });

  it("createSinks builds it from the environment", async () => {
    google()
      .post(`${SECRET}:addVersion`)
      .reply(200, version(2))
      .get(`${SECRET}/versions`)
      .query(enabled)
      .reply(200, { versions: [version(2)] });
    const sinks = createSinks({ env: { GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN } });
    await expect(sinks.googleSecretManager.deliver(dest, issueSecret(), context)).resolves.toMatchObject({
      version: "2",
    });
  });
});

describe("Google destination drift and removal", () => {
  const recorded = {
    fingerprint: fingerprintOf("mcp_sk_x"),
    deliveredAt: "2026-12-01T10:00:00Z",
    version: "7",
  };

  it("drifts when a newer version was added, or the latest is disabled, or the secret is gone", async () => {
    google()
      .get(`${SECRET}/versions/latest`)
      .reply(200, version(8))
      .get(`${SECRET}/versions/latest`)
      .reply(200, version(7, "DISABLED"))
      .get(`${SECRET}/versions/latest`)
      .reply(404, gError(404, "NOT_FOUND", "not found"));
    const s = sink();
    await expect(s.inspect(dest, recorded, context)).resolves.toEqual({
      holds: false,
      reason: "a newer version 8 was added after tokenform's version 7",
    });
    await expect(s.inspect(dest, recorded, context)).resolves.toEqual({
      holds: false,
      reason: "the latest version 7 is disabled",
    });
    await expect(s.inspect(dest, recorded, context)).resolves.toEqual({
      holds: false,
      reason: "the secret or its versions no longer exist",
    });
  });

  it("removes by disabling every enabled version", async () => {
    const api = google()
      .get(`${SECRET}/versions`)
      .query(enabled)
      .reply(200, { versions: [version(8), version(7)] })
      .post(`/v1/${VERSIONS}/8:disable`)
      .reply(200, version(8, "DISABLED"))
      .post(`/v1/${VERSIONS}/7:disable`)
      .reply(200, version(7, "DISABLED"));
    await sink().remove(dest, context);
    expect(api.isDone()).toBe(true);
  });
});
