/**
 * The AWS Secrets Manager sink against the service's documented JSON 1.1 protocol (intercepted with nock):
 * `POST /` with `X-Amz-Target: secretsmanager.<Action>`, a SigV4 `Authorization` header, the value only
 * in `SecretString`, once. A new version per delivery (labels AWSCURRENT and tokenform), creation by name,
 * JSON fields kept, the version id recorded and compared, removal with a recovery window, and failures
 * (access denied, not found, throttling, a concurrent creation) as the GitHub sink's delivery errors.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprintOf } from "../../../src/api/secret.js";
import type { AwsSecretsManagerDestination } from "../../../src/destinations/aws-secrets-manager/index.js";
import { AwsSecretsManagerSink } from "../../../src/sinks/aws/sink.js";
import { createSinks } from "../../../src/sinks/index.js";
import { context, deliveryError, expectNoLeak, issueSecret, lockNetwork } from "./helpers.js";

const ENDPOINT = "https://secretsmanager.eu-west-1.amazonaws.com";
const KEY_ID = "AKIATESTKEY123456789";
const SECRET_KEY = "testSecretAccessKey/0123456789abcdefghijklmn";
const ENV = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_KEY };
const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mcp/backend-AbCdEf";

const dest = (over: Partial<AwsSecretsManagerDestination> = {}): AwsSecretsManagerDestination => ({
  kind: "awsSecretsManager",
  secret: "mcp/backend",
  region: "eu-west-1",
  ...over,
});

function sink(maxAttempts = 1): AwsSecretsManagerSink {
  return new AwsSecretsManagerSink({ env: ENV, maxAttempts });
}

/** One JSON 1.1 call to `action`; `seen` collects each raw body sent. */
function call(action: string, seen: string[] = []) {
  return nock(ENDPOINT, {
    reqheaders: {
      "x-amz-target": `secretsmanager.${action}`,
      "content-type": "application/x-amz-json-1.1",
      authorization: (value) =>
        value.startsWith(`AWS4-HMAC-SHA256 Credential=${KEY_ID}/`) &&
        value.includes("/eu-west-1/secretsmanager/aws4_request") &&
        /Signature=[0-9a-f]{64}$/.test(value),
    },
  }).post("/", (body) => {
    seen.push(JSON.stringify(body));
    return true;
  });
}

/** An AWS JSON protocol error answer. */
const awsError = (type: string, message: string) => ({ __type: type, message });
const notFound = awsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

beforeEach(lockNetwork);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("AWS Secrets Manager delivery", () => {
  it("puts a new version labelled AWSCURRENT and tokenform, the value once, and records its id", async () => {
    const secret = issueSecret();
    const seen: string[] = [];
    const api = call("PutSecretValue", seen).reply(200, {
      ARN,
      Name: "mcp/backend",
      VersionId: "a1b2c3d4-0000-4000-8000-000000000001",
      VersionStages: ["AWSCURRENT", "tokenform"],
    });
    const receipt = await sink().deliver(dest(), secret, context);
    expect(receipt).toMatchObject({
      destination: "awsSecretsManager:eu-west-1/mcp/backend",
      outcome: "updated",
      version: "a1b2c3d4-0000-4000-8000-000000000001",
    });
    const body = JSON.parse(seen[0]!);
    expect(body).toEqual({
      SecretId: "mcp/backend",
      SecretString: secret.reveal(),
      ClientRequestToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      VersionStages: ["AWSCURRENT", "tokenform"],
    });
    expect(occurrences(seen[0]!, secret.reveal())).toBe(1);
    expect(api.isDone()).toBe(true);
  });

  it("creates the secret by name when it does not exist", async () => {
    const secret = issueSecret();
    const seen: string[] = [];
    call("PutSecretValue").reply(400, notFound);
    call("CreateSecret", seen).reply(200, { ARN, Name: "mcp/backend", VersionId: "v-created" });
    const receipt = await sink().deliver(dest(), secret, context);
    expect(receipt).toMatchObject({ outcome: "created", version: "v-created" });
    expect(JSON.parse(seen[0]!)).toEqual({
      Name: "mcp/backend",
      SecretString: secret.reveal(),
      ClientRequestToken: expect.any(String),
      Description: "managed by tokenform (backend-ci)",
    });
  });

  it("never creates a secret named by an ARN: it must exist", async () => {
    call("PutSecretValue").reply(400, notFound);
    const error = await deliveryError(sink().deliver(dest({ secret: ARN }), issueSecret(), context));
    expect(error).toMatchObject({ status: 404, transient: false });
    expect(error.message).toMatch(/the secret does not exist \(ResourceNotFoundException/);
  });

  it("with key: sets one field of the JSON secret, keeping the others", async () => {
    const secret = issueSecret();
    const seen: string[] = [];
    call("GetSecretValue").reply(200, {
      ARN,
      Name: "mcp/backend",
      VersionId: "v1",
      SecretString: JSON.stringify({ DB_URL: "postgres://db", API_KEY: "old" }),
      VersionStages: ["AWSCURRENT"],
    });
    call("PutSecretValue", seen).reply(200, { ARN, Name: "mcp/backend", VersionId: "v2" });
    await sink().deliver(dest({ key: "API_KEY" }), secret, context);
    const sent = JSON.parse(seen[0]!) as { SecretString: string };
    expect(JSON.parse(sent.SecretString)).toEqual({ DB_URL: "postgres://db", API_KEY: secret.reveal() });
  });

  it("with key: refuses to overwrite a secret that is not a JSON object", async () => {
    call("GetSecretValue").reply(200, { ARN, VersionId: "v1", SecretString: "plain-text-value" });
    const error = await deliveryError(sink().deliver(dest({ key: "API_KEY" }), issueSecret(), context));
    expect(error.message).toMatch(/does not hold a JSON object, so key API_KEY cannot be set in it/);
    expectNoLeak(error, "plain-text-value");
  });
});

describe("AWS failures are delivery errors", () => {
  it("access denied names the IAM action; not transient; nothing leaks", async () => {
    const secret = issueSecret();
    call("PutSecretValue").reply(
      400,
      awsError(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:PutSecretValue",
      ),
    );
    const error = await deliveryError(sink().deliver(dest(), secret, context));
    expect(error.message).toMatch(
      /^AWS refused \(AccessDeniedException: User: .* is not authorized .*\) writing secret mcp\/backend \(eu-west-1\): the credentials need secretsmanager:PutSecretValue on the secret/,
    );
    expect(error).toMatchObject({ status: 403, transient: false });
    expectNoLeak(error, secret.reveal(), SECRET_KEY);
  });

  it("throttling is retried by the SDK, then fails as transient", async () => {
    const api = call("PutSecretValue").times(2).reply(400, awsError("ThrottlingException", "Rate exceeded"));
    const error = await deliveryError(sink(2).deliver(dest(), issueSecret(), context));
    expect(error.message).toMatch(
      /^AWS Secrets Manager rate limit exceeded \(ThrottlingException: Rate exceeded\)/,
    );
    expect(error).toMatchObject({ status: 429, transient: true });
    expect(api.isDone()).toBe(true);
  });

  it("a secret created by someone else meanwhile is a transient conflict", async () => {
    call("PutSecretValue").reply(400, notFound);
    call("CreateSecret").reply(
      400,
      awsError(
        "ResourceExistsException",
        "The operation failed because the secret mcp/backend already exists.",
      ),
    );
    const error = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(error).toMatchObject({ status: 409, transient: true });
  });

  it("a 5xx is transient", async () => {
    call("PutSecretValue").reply(500, awsError("InternalServiceError", "internal"));
    const error = await deliveryError(sink().deliver(dest(), issueSecret(), context));
    expect(error).toMatchObject({ status: 500, transient: true });
  });

  it("createSinks builds it from the environment", async () => {
    call("PutSecretValue").reply(200, { ARN, VersionId: "v9" });
    const sinks = createSinks({ env: ENV, awsSecretsManager: { maxAttempts: 1 } });
    await expect(sinks.awsSecretsManager.deliver(dest(), issueSecret(), context)).resolves.toMatchObject({
      version: "v9",
    });
  });
});

describe("AWS destination drift and removal", () => {
  const recorded = {
    fingerprint: fingerprintOf("mcp_sk_delivered"),
    deliveredAt: "2026-12-01T10:00:00Z",
    version: "v2",
  };

  it("holds while AWSCURRENT is the version tokenform wrote", async () => {
    call("GetSecretValue").reply(200, { ARN, VersionId: "v2", SecretString: "mcp_sk_delivered" });
    await expect(sink().inspect(dest(), recorded, context)).resolves.toEqual({ holds: true });
  });

  it("drifts when a newer version holds another value, naming both versions", async () => {
    call("GetSecretValue").reply(200, { ARN, VersionId: "v3", SecretString: "someone-else" });
    const state = await sink().inspect(dest(), recorded, context);
    expect(state).toEqual({
      holds: false,
      reason:
        "the secret holds another value than tokenform delivered (current version v3; tokenform wrote version v2)",
    });
  });

  it("drifts when the secret is gone or scheduled for deletion", async () => {
    call("GetSecretValue").reply(400, notFound);
    call("GetSecretValue").reply(
      400,
      awsError(
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.",
      ),
    );
    for (let i = 0; i < 2; i++) {
      await expect(sink().inspect(dest(), recorded, context)).resolves.toEqual({
        holds: false,
        reason: "the secret no longer exists",
      });
    }
  });

  it("removes the secret with a recovery window; gone already is fine", async () => {
    const seen: string[] = [];
    call("DeleteSecret", seen).reply(200, { ARN, Name: "mcp/backend", DeletionDate: 1767225600 });
    call("DeleteSecret").reply(400, notFound);
    await sink().remove(dest(), context);
    await sink().remove(dest(), context);
    expect(JSON.parse(seen[0]!)).toEqual({ SecretId: "mcp/backend", RecoveryWindowInDays: 7 });
  });

  it("with key and other fields: removes only its field", async () => {
    const seen: string[] = [];
    call("GetSecretValue").reply(200, {
      ARN,
      VersionId: "v1",
      SecretString: JSON.stringify({ API_KEY: "x", DB_URL: "y" }),
    });
    call("PutSecretValue", seen).reply(200, { ARN, VersionId: "v2" });
    await sink().remove(dest({ key: "API_KEY" }), context);
    expect(JSON.parse((JSON.parse(seen[0]!) as { SecretString: string }).SecretString)).toEqual({
      DB_URL: "y",
    });
  });
});
