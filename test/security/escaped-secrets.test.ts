/**
 * Attack: a real token (valid checksum) written so that the raw text does not show it — `\xNN`, `\u`
 * and `\U` escapes, a `\` line continuation inside a double-quoted scalar, in a key, in a second
 * document — once passed `tokenform validate` and the Action's pull-request scan. Both now read the decoded
 * value of every scalar, with the same function, and show only the token's prefix.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { GithubRest } from "../../reconciler/src/github.js";
import { scanPullRequest } from "../../reconciler/src/pr-scan.js";
import { loadTokenSetFromSources } from "../../src/spec/index.js";
import { findDecodedSecrets, scanText, scanYamlScalars } from "../../src/spec/secret-scan.js";
import { generateToken } from "../../src/spec/token-format.js";
import { runCli } from "../support/cli.js";

const token = generateToken("mcp_sk_");
const shown = token.slice(0, "mcp_sk_".length + 4);
const hex = (s: string) => [...s].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
const half = Math.floor(token.length / 2);

const HEAD = "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: acme/platform }\n";
const spec = (description: string) =>
  `${HEAD}tokens:\n  - name: ci\n    scopes: [tools:call]\n    description: ${description}\n`;

/** Each encoding, and the 1-based line its scalar starts on. */
const ENCODINGS: Array<[string, string, number]> = [
  ["\\x escapes for the underscores", spec(`"${token.replaceAll("_", "\\x5f")}"`), 7],
  ["\\x escapes for every character", spec(`"${hex(token)}"`), 7],
  ["\\u escapes", spec(`"${token.replaceAll("_", "\\u005f")}"`), 7],
  ["\\U escapes", spec(`"${token.replaceAll("m", "\\U0000006d")}"`), 7],
  ["a \\ line continuation", spec(`"${token.slice(0, half)}\\\n      ${token.slice(half)}"`), 7],
  [
    "escapes in a mapping key",
    `${HEAD}tokens:\n  - name: ci\n    scopes: [tools:call]\n    labels: { "${token.replaceAll("_", "\\x5f")}": x }\n`,
    7,
  ],
  [
    "a second document",
    `${HEAD}tokens:\n  - name: a\n    scopes: [tools:call]\n---\n${HEAD}tokens:\n  - name: b\n    scopes: [tools:call]\n    description: "${token.slice(0, half)}\\\n      ${token.slice(half)}"\n`,
    14,
  ],
];

const dir = mkdtempSync(join(tmpdir(), "tokenform-security-escaped-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a token written with YAML escapes or continuations", () => {
  it.each(ENCODINGS)("%s: the raw text does not show it", (_name, text) => {
    expect(text).not.toContain(token);
    expect(scanText("t.yaml", text)).toEqual([]);
  });

  it.each(ENCODINGS)(
    "%s: the loader refuses it as raw_secret at its line, prefix only",
    (_name, text, line) => {
      const result = loadTokenSetFromSources([{ file: "tokens.yaml", text }]);
      expect(result.set).toBeUndefined();
      const found = result.diagnostics.filter((d) => d.code === "raw_secret");
      expect(found.map((d) => [d.file, d.line])).toEqual([["tokens.yaml", line]]);
      expect(found[0]!.message).toContain(`starting "${shown}…"`);
      expect(JSON.stringify(result.diagnostics)).not.toContain(token);
    },
  );

  it.each(ENCODINGS)(
    "%s: the pull-request scan refuses it on its added line, prefix only",
    async (_n, text, line) => {
      writeFileSync(join(dir, "tokens.yaml"), text);
      const lines = text.replace(/\n$/, "").split("\n");
      const patch = [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
      const scan = await scanPullRequest(fakeGithub([{ filename: "tokens.yaml", status: "added", patch }]), {
        owner: "acme",
        repo: "platform",
        pullNumber: 1,
        workspace: dir,
      });
      expect(scan.leaks.map((l) => [l.file, l.line, l.shown])).toEqual([["tokens.yaml", line, shown]]);
      expect(scan.leaks[0]!.kind).toContain("written with YAML escapes or line breaks");
      expect(JSON.stringify(scan)).not.toContain(token);
    },
  );

  it("the pull-request scan keeps to added lines, and scans a YAML file without a patch whole", async () => {
    const text = ENCODINGS[0]![1];
    writeFileSync(join(dir, "old.yaml"), text);
    const untouched = "@@ -1,1 +1,2 @@\n apiVersion: tokenform.dev/v1\n+# a comment\n";
    const scan = await scanPullRequest(
      fakeGithub([
        { filename: "old.yaml", status: "modified", patch: untouched },
        { filename: "tokens.yaml", status: "modified" },
      ]),
      { owner: "acme", repo: "platform", pullNumber: 1, workspace: dir },
    );
    writeFileSync(join(dir, "tokens.yaml"), text);
    const whole = await scanPullRequest(fakeGithub([{ filename: "tokens.yaml", status: "modified" }]), {
      owner: "acme",
      repo: "platform",
      pullNumber: 1,
      workspace: dir,
    });
    expect(scan.leaks.filter((l) => l.file === "old.yaml")).toEqual([]);
    expect(whole.leaks.map((l) => [l.file, l.line])).toEqual([["tokens.yaml", 7]]);
  });

  it("tokenform validate exits 1 and prints only the prefix", () => {
    writeFileSync(join(dir, "tokens.yaml"), ENCODINGS[0]![1]);
    const run = runCli(["validate", "tokens.yaml"], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain("error[raw_secret]");
    expect(run.stdout + run.stderr).toContain(`starting "${shown}…"`);
    expect(run.stdout + run.stderr).not.toContain(token);
  });

  it("folded and literal blocks: a token on a line of its own is found once, in raw text and keys alike", () => {
    for (const block of ["|", ">", "|-", ">+"]) {
      const text = spec(`${block}\n      first line\n      ${token}\n`);
      const found = loadTokenSetFromSources([{ file: "t.yaml", text }]).diagnostics.filter(
        (d) => d.code === "raw_secret",
      );
      expect(found.map((d) => d.line)).toEqual([9]);
    }
    // A decoded value that equals the source adds nothing: the raw scan reports it.
    expect(findDecodedSecrets(`a: ${token}\n"b": '${token}'\n`)).toEqual([]);
    expect(scanYamlScalars("t.yaml", `? "${token.replaceAll("_", "\\x5f")}"\n: v\n`)).toHaveLength(1);
  });
});

/** The one GitHub call the scan makes (pull-request files, paginated), answered from a list. */
function fakeGithub(files: Array<{ filename: string; status: string; patch?: string }>): GithubRest {
  const fake = {
    rest: { pulls: { listFiles: () => undefined } },
    paginate: {
      iterator: async function* () {
        yield { data: files };
      },
    },
  };
  // Only the members scanPullRequest uses exist; the rest of Octokit is not needed here.
  return fake as unknown as GithubRest;
}
