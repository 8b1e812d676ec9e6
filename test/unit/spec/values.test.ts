/** Single-value grammars: CIDRs, labels, write scopes, secrets, did-you-mean, the fast YAML numbers. */
import { describe, expect, it } from "vitest";
import {
  checkCidr,
  findSecrets,
  generateToken,
  isWriteScope,
  redactSecrets,
} from "../../../src/spec/index.js";
import { closest, editDistance } from "../../../src/spec/suggest.js";
import { labelKeyProblem, labelValueProblem } from "../../../src/spec/values.js";

describe("checkCidr", () => {
  it.each([
    ["203.0.113.0/24", "203.0.113.0/24"],
    ["198.51.100.7", "198.51.100.7/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:DB8::/32", "2001:db8::/32"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128"],
    ["::/0", "::/0"],
    [" 10.0.0.0/8 ", "10.0.0.0/8"],
  ])("accepts %s as %s", (entry, cidr) => {
    expect(checkCidr(entry)).toEqual({ ok: true, cidr });
  });

  it.each([
    ["10.0.0.0/33", /prefix is 0 to 32/],
    ["2001:db8::/129", /prefix is 0 to 128/],
    ["10.0.0.0/08", /prefix length/],
    ["10.0.0.5/24", /host bits set; write 10\.0\.0\.0\/24 for the range or 10\.0\.0\.5\/32/],
    ["2001:db8::1/64", /write 2001:db8::\/64 for the range or 2001:db8::1\/128/],
    ["256.0.0.1", /not an IPv4 or IPv6/],
    ["10.1", /not an IPv4 or IPv6/],
    ["010.0.0.1", /not an IPv4 or IPv6/],
    ["fe80::1%eth0", /not an IPv4 or IPv6/],
    ["example.com", /not an IPv4 or IPv6/],
  ])("refuses %s", (entry, message) => {
    const check = checkCidr(entry);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });
});

describe("labels", () => {
  it("follow Kubernetes' key and value rules", () => {
    expect(labelKeyProblem("team")).toBeUndefined();
    expect(labelKeyProblem("app.kubernetes.io/name")).toBeUndefined();
    expect(labelKeyProblem("a".repeat(63))).toBeUndefined();
    expect(labelKeyProblem("a".repeat(64))?.message).toMatch(/1 to 63/);
    expect(labelKeyProblem(`${"a".repeat(254)}/x`)?.message).toMatch(/at most 253/);
    expect(labelKeyProblem("/x")?.message).toMatch(/DNS subdomain/);
    expect(labelKeyProblem("acme.com/")?.message).toMatch(/label name/);
    expect(labelKeyProblem("tokenform.dev/owner")).toMatchObject({ reserved: true });
    expect(labelKeyProblem("ci.tokenform.dev/x")).toMatchObject({ reserved: true });
    expect(labelKeyProblem("nottokenform.dev/x")).toBeUndefined();
    expect(labelValueProblem("")).toBeUndefined();
    expect(labelValueProblem("v1.2_3-x")).toBeUndefined();
    expect(labelValueProblem("a".repeat(64))).toMatch(/at most 63/);
    expect(labelValueProblem("-x")).toMatch(/starting and ending/);
  });
});

describe("write scopes", () => {
  it.each([
    ["*", true],
    ["contexts:write", true],
    ["files:create", true],
    ["files:delete", true],
    ["models:update", true],
    ["tools:*", true],
    ["contexts:read", false],
    ["tools:call", false],
    ["*:read", false],
  ])("%s → %s", (scope, write) => {
    expect(isWriteScope(scope)).toBe(write);
  });
});

describe("secret detection", () => {
  it("finds checksummed tokens, known formats and random strings, never ordinary spec values", () => {
    const token = generateToken("mcp_ag_");
    expect(findSecrets(`key ${token} here`).map((f) => [f.kind, f.shown])).toEqual([
      ["a tokenform token (its checksum is valid)", token.slice(0, 11)],
    ]);
    const broken = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(findSecrets(broken).filter((f) => f.kind.startsWith("a tokenform"))).toEqual([]);
    for (const [text, kind] of [
      [`ghp_${"Ab1".repeat(12)}`, "a GitHub token"],
      [`github_pat_${"Ab1_".repeat(8)}`, "a GitHub fine-grained personal access token"],
      [`glpat-${"Ab1-".repeat(5)}`, "a GitLab token"],
      ["sk-proj-abc123def456ghi789jkl", "an API secret key (sk-…)"],
      ["xoxb-123456-abcdef", "a Slack token"],
      ["AKIAIOSFODNN7EXAMPLE", "an AWS access key id"],
      ["Zx8Lq2Vt9Rb4Nm7Kc1Wd6Hs3", "a high-entropy credential"],
    ] as const) {
      expect(
        findSecrets(`value: ${text}`).map((f) => f.kind),
        text,
      ).toEqual([kind]);
    }
    for (const ordinary of [
      "CI for the backend repository, runs on every push to main",
      "~/.config/tokenform/alice-cursor-dev.env",
      "2f1c3e4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
      "c2e04f9e-a25b-499e-afbf-5c9ede95666b",
      "BackendServiceV2ProductionDeploymentKey2024",
      "OAuth2ClientCredentialsFlowV3Integration",
      "frontend-ci-pipeline-2024-production-us-east-1",
      "eu-west-1/AcmeCorp/Prod2/Services/Api3",
      "https://github.com/acme/backend-service/pull/1234",
      "MCP_API_KEY_FOR_BACKEND_SERVICE_2024",
      "2030-06-30T00:00:00Z 203.0.113.0/24 2001:db8:1234::/48 contexts:read tools:*",
    ]) {
      expect(findSecrets(ordinary), ordinary).toEqual([]);
    }
  });

  it("redacts to the safe prefix", () => {
    const token = generateToken("mcp_sk_");
    expect(redactSecrets(`a ${token} b`)).toBe(`a ${token.slice(0, 11)}… b`);
  });
});

describe("did you mean", () => {
  it("suggests close words only", () => {
    expect(editDistance("scpoes", "scopes")).toBe(1);
    expect(closest("scpoes", ["scopes", "labels"])).toBe("scopes");
    expect(closest("ipAllowList", ["ipAllowlist"])).toBe("ipAllowlist");
    expect(closest("expireIn", ["expiresIn", "expiresAt"])).toBe("expiresIn");
    expect(closest("colour", ["type", "name"])).toBeUndefined();
  });
});
