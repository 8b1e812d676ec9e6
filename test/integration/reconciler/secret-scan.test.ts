/**
 * The pull-request secret scan's pure parts: added lines numbered from unified-diff hunk headers (GitHub's
 * `patch` field), tokenform tokens with a valid checksum and well-known credential formats found with
 * their line and column, and only a safe prefix ever kept.
 */
import { describe, expect, it } from "vitest";
import { addedLines, leakMessage, scanPatch, scanText } from "../../../src/spec/secret-scan.js";
import { generateToken } from "../../../src/spec/token-format.js";

describe("addedLines", () => {
  it("numbers added lines from each hunk's new-file start; context counts, removals do not", () => {
    const patch = [
      "@@ -1,4 +1,5 @@",
      " apiVersion: tokenform.dev/v1",
      "-kind: TokenSet",
      "+kind: TokenSet # edited",
      "+# new line",
      " metadata:",
      "@@ -20,2 +21,3 @@ tokens:",
      "   - name: a",
      "+  - name: b",
      "\\ No newline at end of file",
    ].join("\n");
    expect(addedLines(patch)).toEqual([
      { line: 2, text: "kind: TokenSet # edited" },
      { line: 3, text: "# new line" },
      { line: 22, text: "  - name: b" },
    ]);
  });

  it("handles single-line hunk headers (no counts) and CRLF patches", () => {
    expect(addedLines("@@ -0,0 +1 @@\r\n+only line\r\n")).toEqual([{ line: 1, text: "only line" }]);
  });
});

describe("scanPatch", () => {
  it("finds a tokenform token with a valid checksum on an added line, with line and column, prefix only", () => {
    const token = generateToken("mcp_sk_");
    const patch = ["@@ -3,2 +3,3 @@", " env:", `+  MCP_API_KEY: ${token}`, " other: 1"].join("\n");
    const leaks = scanPatch(".github/workflows/ci.yml", patch);
    expect(leaks).toEqual([
      {
        file: ".github/workflows/ci.yml",
        line: 4,
        column: 16,
        endColumn: 16 + token.length,
        kind: "a tokenform token (its checksum is valid)",
        shown: token.slice(0, "mcp_sk_".length + 4),
      },
    ]);
    expect(JSON.stringify(leaks)).not.toContain(token);
    expect(leakMessage(leaks[0]!)).not.toContain(token);
  });

  it("ignores a token-shaped string whose checksum is wrong, and removed lines", () => {
    const token = generateToken("mcp_sk_");
    const broken = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const patch = ["@@ -1,2 +1,2 @@", `-old: ${token}`, `+new: ${broken}`].join("\n");
    expect(scanPatch("a.txt", patch)).toEqual([]);
  });

  it("finds other credentials by their documented formats", () => {
    const ghp = `ghp_${"a1B2c3D4e5".repeat(4)}`;
    const glpat = "glpat-Ab3dEf6hIj9kLm2nOp5q";
    const aws = "AKIAIOSFODNN7EXAMPLE";
    const patch = [
      "@@ -0,0 +1,3 @@",
      `+token = "${ghp}"`,
      `+GITLAB=${glpat}`,
      `+aws_access_key_id = ${aws}`,
    ].join("\n");
    const leaks = scanPatch("config/app.ini", patch);
    expect(leaks.map((l) => [l.line, l.kind, l.shown])).toEqual([
      [1, "a GitHub token", "ghp_"],
      [2, "a GitLab token", "glpat-"],
      [3, "an AWS access key id", "AKIA"],
    ]);
  });

  it("does not flag high-entropy values that are not credentials (lock-file integrity hashes)", () => {
    const integrity =
      "sha512-Yk9vLZ8Qm3xR2Tn7Bc4Wd1Fh6Jg0Ks5Pq8Uv3Xy2Za9Ab4Cd7Ef1Gh6Ij0Kl5Mn8Op3Qr2St7Uv1Wx6Yz0Ab9Cd4Ef8Gh3Ij==";
    expect(scanPatch("package-lock.json", `@@ -1 +1 @@\n+      "integrity": "${integrity}",`)).toEqual([]);
  });
});

describe("scanText", () => {
  it("scans every line of a whole file", () => {
    const token = generateToken("mcp_ag_");
    const leaks = scanText("big.env", `A=1\nB=2\nAGENT_KEY=${token}\n`);
    expect(leaks.map((l) => [l.line, l.column])).toEqual([[3, 11]]);
  });
});
