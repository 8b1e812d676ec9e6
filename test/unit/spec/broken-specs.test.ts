/**
 * The broken-spec corpus (test/fixtures/specs/broken): each fixture (a file, or a folder of files that
 * form one set) with every diagnostic it must produce — code, file, line and column — and nothing else.
 */
import { describe, expect, it } from "vitest";
import { type Diagnostic, loadTokenSet } from "../../../src/spec/index.js";

const DIR = "test/fixtures/specs/broken";
/** Fixed "now" so the expiry-in-the-past warning does not depend on the day the tests run. */
const NOW = new Date("2026-01-01T00:00:00Z");

/** `code file:line:column` (file relative to the fixture; `-` for whole-file diagnostics). */
type Expected = string;

const CASES: Array<[fixture: string, expected: Expected[], message?: RegExp]> = [
  ["yaml-syntax.yaml", ["yaml_syntax yaml-syntax.yaml:8:3"], /Flow sequence/],
  ["duplicate-yaml-key.yaml", ["duplicate_key duplicate-yaml-key.yaml:8:5"], /appears twice/],
  ["empty-file.yaml", ["empty_document empty-file.yaml"], /no TokenSet document/],
  ["not-a-mapping.yaml", ["invalid_type not-a-mapping.yaml:1:1"], /must be a mapping/],
  ["unknown-key.yaml", ["unknown_key unknown-key.yaml:7:5"], /did you mean "expiresIn"\?/],
  [
    "unknown-top-level-key.yaml",
    ["missing_key unknown-top-level-key.yaml:1:1", "unknown_key unknown-top-level-key.yaml:3:1"],
    /did you mean "metadata"\?/,
  ],
  [
    "delivery-typo.yaml",
    ["unknown_key delivery-typo.yaml:8:9", "invalid_value delivery-typo.yaml:9:9"],
    /did you mean "github"\?/,
  ],
  [
    "wrong-type.yaml",
    [
      "invalid_type wrong-type.yaml:7:13",
      "invalid_type wrong-type.yaml:8:14",
      "out_of_range wrong-type.yaml:9:29",
    ],
    /expected a list, got the string "contexts:read"/,
  ],
  ["wrong-api-version.yaml", ["unsupported_api_version wrong-api-version.yaml:1:13"], /tokenform\.dev\/v1/],
  ["wrong-kind.yaml", ["wrong_kind wrong-kind.yaml:2:7"], /kind must be TokenSet/],
  ["missing-tokens.yaml", ["missing_key missing-tokens.yaml:1:1"], /missing required key "tokens"/],
  ["bad-token-name.yaml", ["invalid_name bad-token-name.yaml:6:11"], /alice-cursor-dev/],
  ["bad-token-type.yaml", ["invalid_value bad-token-type.yaml:7:11"], /did you mean "mcp"\?/],
  [
    "bad-scope.yaml",
    [
      "invalid_scope bad-scope.yaml:7:14",
      "invalid_scope bad-scope.yaml:7:29",
      "invalid_scope bad-scope.yaml:7:42",
    ],
  ],
  [
    "bad-tool-pattern.yaml",
    ["invalid_tool_pattern bad-tool-pattern.yaml:7:23", "invalid_tool_pattern bad-tool-pattern.yaml:7:37"],
    /expected an MCP tool name or a pattern such as search_\*/,
  ],
  [
    "bad-duration.yaml",
    ["invalid_duration bad-duration.yaml:7:16", "invalid_duration bad-duration.yaml:8:24"],
    /15m, 48h or 90d/,
  ],
  [
    "bad-cidr.yaml",
    [
      "invalid_cidr bad-cidr.yaml:9:9",
      "invalid_cidr bad-cidr.yaml:10:9",
      "invalid_cidr bad-cidr.yaml:11:9",
      "invalid_cidr bad-cidr.yaml:12:9",
    ],
    /host bits set; write 10\.0\.0\.0\/24 for the range or 10\.0\.0\.5\/32/,
  ],
  [
    "overlap-not-shorter.yaml",
    [
      "overlap_not_shorter overlap-not-shorter.yaml:7:38",
      "overlap_not_shorter overlap-not-shorter.yaml:9:24",
    ],
    /defaults to 48h/,
  ],
  ["both-expiries.yaml", ["conflicting_expiry both-expiries.yaml:8:5"], /not both/],
  [
    "pickup.yaml",
    [
      "pickup_without_holder pickup.yaml:7:5",
      "invalid_url pickup.yaml:8:61",
      "pickup_with_deliver pickup.yaml:9:5",
      "invalid_value pickup.yaml:11:13",
      "invalid_value pickup.yaml:13:28",
      "invalid_value pickup.yaml:13:43",
    ],
    /needs a holder/,
  ],
  [
    "bad-label-key.yaml",
    [
      "invalid_label_key bad-label-key.yaml:8:7",
      "invalid_label_key bad-label-key.yaml:9:7",
      "invalid_label_value bad-label-key.yaml:10:13",
      "invalid_label_value bad-label-key.yaml:11:16",
    ],
    /lowercase DNS subdomain/,
  ],
  [
    "reserved-label.yaml",
    ["reserved_label reserved-label.yaml:7:15", "reserved_label reserved-label.yaml:7:50"],
    /reserved prefix tokenform\.dev\//,
  ],
  [
    "mcp-write-scope.yaml",
    [
      "write_scope_read_only mcp-write-scope.yaml:6:27",
      "write_scope_read_only mcp-write-scope.yaml:10:29",
      "write_scope_read_only mcp-write-scope.yaml:10:38",
      "write_scope_read_only mcp-write-scope.yaml:17:14",
    ],
    /mcp keys are read-only \(from defaults, for token "reporting-readonly"\)/,
  ],
  [
    "github-reserved-secret-name.yaml",
    [
      "reserved_secret_name github-reserved-secret-name.yaml:8:53",
      "reserved_secret_name github-reserved-secret-name.yaml:9:53",
    ],
    /GITHUB_/,
  ],
  [
    "github-secret-starts-with-digit.yaml",
    ["invalid_secret_name github-secret-starts-with-digit.yaml:8:53"],
    /must not start with a digit/,
  ],
  [
    "github-repository-and-organization.yaml",
    ["invalid_destination github-repository-and-organization.yaml:8:45"],
    /not both/,
  ],
  [
    "github-environment-with-organization.yaml",
    ["invalid_destination github-environment-with-organization.yaml:10:11"],
    /only for repository secrets/,
  ],
  [
    "github-repositories-without-selected.yaml",
    ["invalid_destination github-repositories-without-selected.yaml:8:60"],
    /visibility: selected/,
  ],
  [
    "gitlab-variable-too-long.yaml",
    ["invalid_variable_name gitlab-variable-too-long.yaml:8:52"],
    /at most 255 characters \(this one has 256\)/,
  ],
  [
    "gitlab-project-and-group.yaml",
    [
      "invalid_destination gitlab-project-and-group.yaml:8:42",
      "invalid_destination gitlab-project-and-group.yaml:9:17",
      "invalid_destination gitlab-project-and-group.yaml:9:64",
    ],
    /exactly one of project or group/,
  ],
  [
    "same-destination.yaml",
    ["duplicate_destination same-destination.yaml:11:9"],
    /already the destination of token "backend-ci-pipeline" at .*same-destination\.yaml:8:9/,
  ],
  [
    "duplicate-name-across-files",
    ["duplicate_name b.yaml:7:11"],
    /"alice-cursor-dev" is already used at .*duplicate-name-across-files\/a\.yaml:6:11/,
  ],
  [
    "multi-document-duplicate.yaml",
    ["duplicate_name multi-document-duplicate.yaml:13:11"],
    /multi-document-duplicate\.yaml:6:11/,
  ],
  [
    "owner-mismatch-across-files",
    ["owner_mismatch b.yaml:4:10"],
    /"acme\/other-team" here but "acme\/platform-infra" at .*a\.yaml:4:10/,
  ],
  [
    "conflicting-defaults-across-files",
    ["conflicting_defaults b.yaml:6:17"],
    /removalGrace is 14d here but 7d at .*a\.yaml:6:17/,
  ],
  [
    "raw-tokenform-token.yaml",
    ["raw_secret raw-tokenform-token.yaml:7:34"],
    /a tokenform token \(its checksum is valid\), starting "mcp_sk_U8MX…"\)\. Secrets never belong in a spec/,
  ],
  [
    "raw-github-token.yaml",
    [
      "raw_secret raw-github-token.yaml:7:16",
      "raw_secret raw-github-token.yaml:8:13",
      "raw_secret raw-github-token.yaml:9:15",
    ],
    /a GitHub token, starting "ghp_…"/,
  ],
  [
    "raw-high-entropy.yaml",
    ["raw_secret raw-high-entropy.yaml:8:13"],
    /high-entropy credential, starting "4H5M…"/,
  ],
];

function summary(d: Diagnostic, fixture: string): string {
  const file = d.file.slice(`${DIR}/`.length).replace(`${fixture}/`, "");
  return `${d.code} ${file}${d.line === undefined ? "" : `:${d.line}:${d.column}`}`;
}

describe("broken specs", () => {
  it("cover at least 25 fixture files", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(DIR, { recursive: true }).filter((f) => String(f).endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(CASES.map(([f]) => f).sort()).toEqual(readdirSync(DIR).sort());
  });

  it.each(CASES)("%s", async (fixture, expected, message) => {
    const result = await loadTokenSet(`${DIR}/${fixture}`, { now: NOW });
    expect(result.diagnostics.map((d) => summary(d, fixture))).toEqual(expected);
    expect(result.diagnostics.every((d) => d.severity === "error")).toBe(true);
    expect(result.set).toBeUndefined();
    if (message) expect(result.diagnostics.map((d) => d.message).join("\n")).toMatch(message);
    for (const d of result.diagnostics) {
      expect(d.message.length).toBeGreaterThan(10);
      if (d.line !== undefined) {
        expect(d.endLine).toBeGreaterThanOrEqual(d.line);
      }
    }
  });

  it("never echoes a pasted secret, in any field", async () => {
    const { readFileSync } = await import("node:fs");
    for (const fixture of ["raw-tokenform-token.yaml", "raw-github-token.yaml", "raw-high-entropy.yaml"]) {
      const text = readFileSync(`${DIR}/${fixture}`, "utf8");
      const secret = /(mcp_sk_\w{36}|ghp_\w{36}|\b[A-Za-z0-9]{40}\b)/.exec(text)![1]!;
      const result = await loadTokenSet(`${DIR}/${fixture}`);
      expect(JSON.stringify(result.diagnostics)).not.toContain(secret.slice(8));
    }
  });
});

describe("warnings", () => {
  it("rotation not shorter than a relative expiry, and an expiry in the past, are warnings only", async () => {
    const result = await loadTokenSet("test/fixtures/specs/warnings/rotation-and-expiry.yaml", { now: NOW });
    expect(result.diagnostics.map((d) => [d.severity, d.code, d.line, d.column])).toEqual([
      ["warning", "rotation_not_shorter", 9, 24],
      ["warning", "expiry_in_past", 11, 16],
    ]);
    expect(result.diagnostics[0]!.message).toMatch(/every 90d is not shorter than expiresIn 30d/);
    expect(result.set?.tokens.map((t) => t.name)).toEqual(["rotates-too-late", "expired-already", "fine"]);
  });
});
