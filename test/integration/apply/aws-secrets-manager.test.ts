/**
 * Plan and apply with an AWS Secrets Manager destination, end to end: a real token service, and Secrets
 * Manager's JSON 1.1 API played by nock as a small stateful store (versions with AWSCURRENT/AWSPREVIOUS,
 * deletion with a recovery window). Create, a scheduled rotation with overlap, destination drift by
 * version id, and removal — no secret in any output.
 */
import { randomUUID } from "node:crypto";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { renderText } from "../../../src/plan/index.js";
import type { AwsSecretsManagerDestination, FileDestination } from "../../../src/spec/resolved.js";
import { resolved } from "../../support/builders.js";
import { startHarness } from "../../support/harness.js";
import { useNockedApply } from "../../support/nocked-apply.js";

const ENDPOINT = "https://secretsmanager.eu-west-1.amazonaws.com";
const aws: AwsSecretsManagerDestination = {
  kind: "awsSecretsManager",
  secret: "mcp/backend",
  region: "eu-west-1",
};

interface Version {
  id: string;
  value: string;
  stages: string[];
}

/** Secrets Manager for one secret, answering the JSON 1.1 actions the sink uses. */
function fakeSecretsManager() {
  const state = { versions: [] as Version[], deleted: false, recoveryWindow: 0 };
  const current = () => state.versions.find((v) => v.stages.includes("AWSCURRENT"));
  const notFound = [
    400,
    { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." },
  ];
  const addVersion = (value: string, stages: string[]) => {
    const previous = current();
    for (const v of state.versions) {
      v.stages = v.stages.filter((s) => !stages.includes(s) && s !== "AWSPREVIOUS");
    }
    if (previous && stages.includes("AWSCURRENT")) previous.stages.push("AWSPREVIOUS");
    const version = { id: randomUUID(), value, stages };
    state.versions.push(version);
    return version;
  };
  nock(ENDPOINT, { reqheaders: { authorization: /^AWS4-HMAC-SHA256 Credential=AKIAHARNESS/ } })
    .persist()
    .post("/")
    .reply(function (_uri, body) {
      const action = String(this.req.headers["x-amz-target"]).replace("secretsmanager.", "");
      // application/x-amz-json-1.1 is not parsed for us.
      const input = (typeof body === "string" ? JSON.parse(body) : body) as Record<string, unknown>;
      switch (action) {
        case "GetSecretValue": {
          const v = current();
          return state.deleted || !v
            ? notFound
            : [200, { Name: "mcp/backend", VersionId: v.id, SecretString: v.value }];
        }
        case "PutSecretValue": {
          if (state.versions.length === 0 || state.deleted) return notFound;
          const v = addVersion(
            String(input.SecretString),
            (input.VersionStages as string[]) ?? ["AWSCURRENT"],
          );
          return [200, { Name: "mcp/backend", VersionId: v.id, VersionStages: v.stages }];
        }
        case "CreateSecret": {
          const v = addVersion(String(input.SecretString), ["AWSCURRENT"]);
          return [200, { Name: input.Name, VersionId: v.id }];
        }
        case "DeleteSecret":
          state.deleted = true;
          state.recoveryWindow = Number(input.RecoveryWindowInDays);
          return [200, { Name: "mcp/backend" }];
      }
      return [400, { __type: "InvalidAction", message: action }];
    });
  return { state, current };
}

const { plan, apply, remember } = useNockedApply();

describe("plan and apply to AWS Secrets Manager", () => {
  it("creates, rotates with overlap, sees drift by version, and deletes with a recovery window", async () => {
    await using h = await startHarness();
    const sm = fakeSecretsManager();
    const spec = resolved("backend", {
      deliver: [aws],
      rotation: { everySeconds: 3600, overlapSeconds: 48 * 3600 },
    });

    const created = await plan(h, [spec]);
    expect(renderText(created)).toContain("AWS Secrets Manager secret mcp/backend (eu-west-1)");
    expect((await apply(h, created)).ok).toBe(true);
    const first = sm.current()!;
    remember(first.value);
    expect(first.value).toMatch(/^mcp_sk_/);
    let [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({
      destination: "awsSecretsManager:eu-west-1/mcp/backend",
      version: first.id,
    });

    expect((await plan(h, [spec])).changes).toEqual([]);

    // Rotation: a new version labelled AWSCURRENT and tokenform; the old one becomes AWSPREVIOUS and its
    // secret keeps working for the overlap.
    const rotation = await plan(h, [spec], { now: new Date(Date.now() + 2 * 3600_000) });
    expect(rotation.changes.map((c) => `${c.kind}:${c.name}`)).toEqual(["rotate:backend"]);
    expect((await apply(h, rotation)).ok).toBe(true);
    const second = sm.current()!;
    remember(second.value);
    expect(second.stages).toEqual(["AWSCURRENT", "tokenform"]);
    expect(first.stages).toEqual(["AWSPREVIOUS"]);
    expect((await h.api.verify({ token: first.value })).code).toBe("VALID");
    expect((await h.api.verify({ token: second.value })).code).toBe("VALID");
    [token] = await h.api.listAllTokens({ name: "backend" });
    expect(token!.deliveries[0]).toMatchObject({ generation: 2, version: second.id });

    // Someone puts another value: drift, named by version.
    sm.state.versions.push({ id: "by-hand", value: "pasted-by-hand", stages: [] });
    for (const v of sm.state.versions) v.stages = v.id === "by-hand" ? ["AWSCURRENT"] : [];
    const drift = await plan(h, [spec]);
    expect(renderText(drift)).toContain(
      `the secret holds another value than tokenform delivered (current version by-hand; tokenform wrote version ${second.id})`,
    );
    expect((await apply(h, drift)).ok).toBe(true);
    remember(sm.current()!.value);

    // Dropped from the spec: the secret is deleted, recoverable for 7 days.
    const file: FileDestination = {
      kind: "file",
      path: `${h.outDir}/backend.env`,
      format: "env",
      key: "API_KEY",
    };
    const removal = await plan(h, [{ ...spec, deliver: [file] }]);
    expect((await apply(h, removal)).ok).toBe(true);
    expect(sm.state).toMatchObject({ deleted: true, recoveryWindow: 7 });
  });

  it("revokes the new token when AWS denies access", async () => {
    await using h = await startHarness();
    let sent = "";
    nock(ENDPOINT)
      .post("/", (body: { SecretString: string } | string) => {
        sent = (typeof body === "string" ? JSON.parse(body) : body).SecretString;
        return true;
      })
      .reply(400, {
        __type: "AccessDeniedException",
        message: "not authorized to perform: secretsmanager:PutSecretValue",
      });
    const result = await apply(h, await plan(h, [resolved("ci", { deliver: [aws] })]));
    remember(sent);
    expect(result.ok).toBe(false);
    expect(result.results[0]?.failures?.[0]?.message).toMatch(
      /need secretsmanager:PutSecretValue on the secret/,
    );
    expect(result.results[0]?.message).toMatch(/revoked/);
    expect((await h.api.verify({ token: sent })).valid).toBe(false);
  });
});
