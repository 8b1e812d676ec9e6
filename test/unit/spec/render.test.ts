/** Rendering diagnostics: terminal text with a code frame, GitHub annotations (escaped), JSON, summaries. */
import { describe, expect, it } from "vitest";
import {
  type Diagnostic,
  escapeGithubData,
  escapeGithubProperty,
  githubAnnotation,
  loadTokenSet,
  renderDiagnostics,
  renderSummary,
  specReport,
} from "../../../src/spec/index.js";

const DIR = "test/fixtures/specs/broken";

describe("text", () => {
  it("prints location, code, message and a code frame", async () => {
    const result = await loadTokenSet(`${DIR}/unknown-key.yaml`);
    expect(renderDiagnostics(result.diagnostics, { sources: result.sources })).toMatchInlineSnapshot(`
      "test/fixtures/specs/broken/unknown-key.yaml:7:5: error[unknown_key] unknown key "expireIn"; did you mean "expiresIn"?
        6 |   - name: alice-cursor-dev
      > 7 |     expireIn: 90d
          |     ^^^^^^^^
        8 |     scopes: [contexts:read]
      "
    `);
    expect(renderSummary(result)).toMatchInlineSnapshot(`
      "✗ 1 error in 1 file (1 token declared)
      "
    `);
  });

  it("masks a pasted secret in the code frame and underlines where it was", async () => {
    const result = await loadTokenSet(`${DIR}/raw-tokenform-token.yaml`);
    const text = renderDiagnostics(result.diagnostics, { sources: result.sources });
    expect(text).toMatchInlineSnapshot(`
      "test/fixtures/specs/broken/raw-tokenform-token.yaml:7:34: error[raw_secret] this looks like a raw secret (a tokenform token (its checksum is valid), starting "mcp_sk_U8MX…"). Secrets never belong in a spec: the repository is copied to every clone, fork, CI log and pull request and cannot be unpublished. Remove it, revoke it if it is real, and let tokenform create the secret and deliver it (deliver: github, gitlab, file, vault, awsSecretsManager, kubernetes, googleSecretManager)
        6 |   - name: alice-cursor-dev
      > 7 |     description: "Alice's key is mcp_sk_U8MX… (pasted by mistake)"
          |                                  ^^^^^^^^^^^^
        8 |     scopes: [contexts:read]
      "
    `);
    expect(text).not.toMatch(/mcp_sk_\w{20}/);
  });

  it("reads the file for the frame when no sources are given, and colours on request", async () => {
    const result = await loadTokenSet(`${DIR}/bad-token-type.yaml`);
    const text = renderDiagnostics(result.diagnostics, { color: true });
    expect(text).toContain("\u001b[31merror[invalid_value]\u001b[0m");
    expect(text).toContain("    type: mpc");
  });

  it("summarises valid sets, warnings and errors", () => {
    expect(renderSummary({ diagnostics: [], tokenCount: 9, files: ["a.yaml"] })).toBe(
      "✓ 9 tokens valid in 1 file\n",
    );
    const warning = {
      severity: "warning",
      code: "expiry_in_past",
      message: "m",
      file: "a",
      path: [],
    } as Diagnostic;
    expect(renderSummary({ diagnostics: [warning], tokenCount: 1, files: ["a", "b"] })).toBe(
      "✓ 1 token valid in 2 files (1 warning)\n",
    );
    const error = { ...warning, severity: "error" } as Diagnostic;
    expect(renderSummary({ diagnostics: [error, error, warning], tokenCount: 3, files: ["a"] })).toBe(
      "✗ 2 errors, 1 warning in 1 file (3 tokens declared)\n",
    );
  });
});

describe("GitHub annotations", () => {
  it("prints one workflow command per diagnostic", async () => {
    const result = await loadTokenSet(`${DIR}/owner-mismatch-across-files`);
    const more = await loadTokenSet(`${DIR}/bad-cidr.yaml`);
    expect(
      renderDiagnostics([...result.diagnostics, ...more.diagnostics.slice(0, 2)], { format: "github" }),
    ).toMatchInlineSnapshot(`
        "::error file=test/fixtures/specs/broken/owner-mismatch-across-files/b.yaml,line=4,endLine=4,col=10,endColumn=25,title=tokenform owner_mismatch::metadata.owner is "acme/other-team" here but "acme/platform-infra" at test/fixtures/specs/broken/owner-mismatch-across-files/a.yaml:4:10; all files of a set must name the same owner
        ::error file=test/fixtures/specs/broken/bad-cidr.yaml,line=9,endLine=9,col=9,endColumn=20,title=tokenform invalid_cidr::"10.0.0.0/33" has prefix length /33; an IPv4 prefix is 0 to 32
        ::error file=test/fixtures/specs/broken/bad-cidr.yaml,line=10,endLine=10,col=9,endColumn=18,title=tokenform invalid_cidr::"300.1.1.1" is not an IPv4 or IPv6 address or CIDR range
        "
      `);
  });

  it("escapes data and properties as the runner expects", () => {
    expect(escapeGithubData("50% done\r\nnext")).toBe("50%25 done%0D%0Anext");
    expect(escapeGithubProperty("a:b,c%\n")).toBe("a%3Ab%2Cc%25%0A");
    const d: Diagnostic = {
      severity: "warning",
      code: "expiry_in_past",
      message: "line one\nline two: 100%",
      file: "tokens/a,b:c.yaml",
      line: 3,
      column: 5,
      path: ["tokens", 0],
    };
    expect(githubAnnotation(d)).toBe(
      "::warning file=tokens/a%2Cb%3Ac.yaml,line=3,col=5,title=tokenform expiry_in_past::line one%0Aline two: 100%25",
    );
    const noLine: Diagnostic = {
      severity: "error",
      code: "empty_document",
      message: "empty",
      file: "x.yaml",
      path: [],
    };
    expect(githubAnnotation(noLine)).toBe("::error file=x.yaml,title=tokenform empty_document::empty");
    const objectPath: Diagnostic = { ...noLine, code: "unknown_key", path: ["tokens", 2, "expireIn"] };
    expect(githubAnnotation(objectPath)).toBe(
      "::error file=x.yaml,title=tokenform unknown_key::tokens[2].expireIn: empty",
    );
  });
});

describe("JSON", () => {
  it("is the diagnostics as data", async () => {
    const result = await loadTokenSet(`${DIR}/both-expiries.yaml`);
    const parsed = JSON.parse(renderDiagnostics(result.diagnostics, { format: "json" })) as {
      diagnostics: Diagnostic[];
    };
    expect(parsed.diagnostics).toEqual(result.diagnostics);
    expect(specReport(result)).toMatchObject({ valid: false, tokens: 1, errors: 1, warnings: 0 });
    expect(parsed.diagnostics[0]).toEqual({
      severity: "error",
      code: "conflicting_expiry",
      message: "set expiresIn or expiresAt, not both (expiresIn: never for no expiry)",
      file: `${DIR}/both-expiries.yaml`,
      line: 8,
      column: 5,
      endLine: 8,
      endColumn: 14,
      path: ["tokens", 0, "expiresAt"],
    });
  });
});
