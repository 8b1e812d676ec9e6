/** Resolution: defaults merged, durations in seconds, CIDRs normalised, destinations completed. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  envKeyFor,
  loadTokenSet,
  loadTokenSetFromSources,
  resolveTokenSet,
  type TokenSet,
  validateTokenSetObject,
} from "../../../src/spec/index.js";

const base: TokenSet = {
  apiVersion: "tokenform.dev/v1",
  kind: "TokenSet",
  metadata: { owner: "acme/platform-infra" },
  tokens: [],
};

describe("resolveTokenSet", () => {
  it("fills every default of a minimal token", () => {
    const set = resolveTokenSet({ ...base, tokens: [{ name: "alice-cursor-dev" }] });
    expect(set).toEqual({
      owner: "acme/platform-infra",
      defaults: { onRemove: "disable-then-delete", removalGraceSeconds: 7 * 86_400 },
      tokens: [
        {
          name: "alice-cursor-dev",
          description: "",
          type: "mcp",
          scopes: [],
          readOnly: true,
          ipAllowlist: [],
          tools: null,
          rateLimit: {},
          labels: {},
          enabled: true,
          expiry: { kind: "never" },
          deliver: [],
          onRemove: "disable-then-delete",
          removalGraceSeconds: 604_800,
        },
      ],
    });
  });

  it("merges defaults: token values win, labels and rate limits merge key by key", () => {
    const set = resolveTokenSet({
      ...base,
      defaults: {
        type: "agent",
        description: "default description",
        scopes: ["contexts:read"],
        labels: { team: "platform", managed: "yes" },
        rateLimit: { perMinute: 100 },
        expiresIn: "180d",
        rotation: { every: "90d" },
        onRemove: "delete",
        removalGrace: "3d",
        ipAllowlist: ["10.0.0.0/8"],
      },
      tokens: [
        { name: "inherits" },
        {
          name: "overrides",
          type: "mcp",
          scopes: ["tools:call"],
          labels: { team: "backend" },
          rateLimit: { perHour: 1000 },
          expiresAt: "2030-06-30T02:00:00+02:00",
          rotation: "never",
          onRemove: "orphan",
          ipAllowlist: [],
        },
      ],
    });
    const [inherits, overrides] = set.tokens;
    expect(inherits).toMatchObject({
      type: "agent",
      readOnly: false,
      description: "default description",
      scopes: ["contexts:read"],
      labels: { team: "platform", managed: "yes" },
      rateLimit: { perMinute: 100 },
      expiry: { kind: "in", seconds: 180 * 86_400 },
      rotation: { everySeconds: 90 * 86_400, overlapSeconds: 48 * 3600 },
      onRemove: "delete",
      removalGraceSeconds: 3 * 86_400,
      ipAllowlist: ["10.0.0.0/8"],
    });
    expect(overrides).toMatchObject({
      type: "mcp",
      readOnly: true,
      scopes: ["tools:call"],
      labels: { team: "backend", managed: "yes" },
      rateLimit: { perMinute: 100, perHour: 1000 },
      expiry: { kind: "at", at: "2030-06-30T00:00:00.000Z" },
      onRemove: "orphan",
      ipAllowlist: [],
    });
    expect(overrides!.rotation).toBeUndefined();
    expect(set.defaults).toEqual({ onRemove: "delete", removalGraceSeconds: 3 * 86_400 });
  });

  it("keeps a renamed token's file variable name and carries renamedFrom and adopt", () => {
    const set = resolveTokenSet({
      ...base,
      tokens: [
        {
          name: "laptop-editor",
          renamedFrom: "laptop-dev",
          adopt: true,
          deliver: [{ file: { path: "/tmp/l.env" } }],
        },
      ],
    });
    const token = set.tokens[0]!;
    expect(token.deliver).toEqual([
      { kind: "file", path: "/tmp/l.env", format: "env", key: "LAPTOP_DEV", keyDerived: true },
    ]);
    expect(token).toMatchObject({ renamedFrom: "laptop-dev", adopt: true });
  });

  it("normalises allowlists: bare addresses become /32 and /128, IPv6 in RFC 5952 form, duplicates dropped", () => {
    const set = resolveTokenSet({
      ...base,
      tokens: [
        {
          name: "ips",
          ipAllowlist: ["198.51.100.7", "2001:DB8:0:0::/32", "::1", "2001:db8::/32", " 10.0.0.0/8 "],
        },
      ],
    });
    expect(set.tokens[0]!.ipAllowlist).toEqual(["198.51.100.7/32", "2001:db8::/32", "::1/128", "10.0.0.0/8"]);
  });

  it("completes destinations with their defaults", () => {
    const set = resolveTokenSet(
      [
        {
          document: {
            ...base,
            tokens: [
              {
                name: "backend.ci-pipeline",
                deliver: [
                  { github: { repository: "acme/backend", secret: "MCP_API_KEY" } },
                  {
                    github: { repository: "acme/backend", environment: "production", secret: "MCP_API_KEY" },
                  },
                  { github: { organization: "acme", secret: "ORG_KEY" } },
                  {
                    github: {
                      organization: "acme",
                      visibility: "selected",
                      repositories: ["docs"],
                      secret: "DOCS_KEY",
                    },
                  },
                  { gitlab: { project: "acme/backend", variable: "MCP_API_KEY" } },
                  {
                    gitlab: {
                      group: 42,
                      variable: "MCP_API_KEY",
                      environmentScope: "prod",
                      protected: true,
                      masked: false,
                      raw: false,
                    },
                  },
                  { file: { path: "~/.config/tokenform/backend.env" } },
                  { file: { path: "secrets/backend.token", format: "raw" } },
                  { file: { path: "/etc/tokenform/k.env", key: "KEY" } },
                ],
              },
            ],
          },
          baseDir: "/srv/specs",
        },
      ],
      { homeDir: "/home/alice" },
    );
    expect(set.tokens[0]!.deliver).toEqual([
      { kind: "github", repository: "acme/backend", secret: "MCP_API_KEY" },
      { kind: "github", repository: "acme/backend", environment: "production", secret: "MCP_API_KEY" },
      { kind: "github", organization: "acme", visibility: "private", secret: "ORG_KEY" },
      {
        kind: "github",
        organization: "acme",
        visibility: "selected",
        repositories: ["docs"],
        secret: "DOCS_KEY",
      },
      {
        kind: "gitlab",
        project: "acme/backend",
        variable: "MCP_API_KEY",
        environmentScope: "*",
        protected: false,
        masked: true,
        hidden: false,
        raw: true,
      },
      {
        kind: "gitlab",
        group: "42",
        variable: "MCP_API_KEY",
        environmentScope: "prod",
        protected: true,
        masked: false,
        hidden: false,
        raw: false,
      },
      {
        kind: "file",
        path: "/home/alice/.config/tokenform/backend.env",
        format: "env",
        key: "BACKEND_CI_PIPELINE",
        keyDerived: true,
      },
      {
        kind: "file",
        path: "/srv/specs/secrets/backend.token",
        format: "raw",
        key: "BACKEND_CI_PIPELINE",
        keyDerived: true,
      },
      { kind: "file", path: "/etc/tokenform/k.env", format: "env", key: "KEY" },
    ]);
  });

  it("derives file variable names from token names", () => {
    expect(envKeyFor("alice-cursor-dev")).toBe("ALICE_CURSOR_DEV");
    expect(envKeyFor("1password.sync")).toBe("_1PASSWORD_SYNC");
  });
});

describe("loading a set from several files and documents", () => {
  it("merges a directory (.yaml and .yml, nested, several documents per file) into one set", async () => {
    const result = await loadTokenSet("test/fixtures/specs/valid/split-set");
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toEqual([
      "test/fixtures/specs/valid/split-set/backend.yaml",
      "test/fixtures/specs/valid/split-set/people/frontend.yml",
    ]);
    const set = result.set!;
    expect(set.owner).toBe("acme/platform-infra");
    expect(set.name).toBe("split-set");
    expect(set.defaults).toEqual({ onRemove: "disable-then-delete", removalGraceSeconds: 3 * 86_400 });
    expect(
      set.tokens.map((t) => [t.name, t.source?.file.split("/").pop(), t.source?.line, t.source?.column]),
    ).toEqual([
      ["backend-ci-pipeline", "backend.yaml", 13, 5],
      ["backend-nightly", "backend.yaml", 23, 5],
      ["bob-claude-desktop", "frontend.yml", 8, 5],
    ]);
    // Defaults apply to the document that declares them only.
    expect(set.tokens[0]).toMatchObject({ labels: { team: "backend" }, scopes: ["contexts:read"] });
    expect(set.tokens[1]).toMatchObject({
      labels: {},
      scopes: ["contexts:write"],
      type: "agent",
      readOnly: false,
    });
    expect(set.tokens[2]).toMatchObject({ labels: { team: "frontend", person: "bob" } });
    // A relative file path is relative to the spec file's directory.
    expect(set.tokens[2]!.deliver[0]).toMatchObject({
      kind: "file",
      path: resolve("test/fixtures/specs/valid/split-set/people/out/bob.env"),
    });
  });

  it("says what is missing when a path does not exist or holds no specs", async () => {
    const missing = await loadTokenSet(["does-not-exist", "tokens/**/*.yaml"]);
    expect(missing.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ["file_not_found", "does-not-exist"],
      ["no_spec_files", "tokens/**/*.yaml"],
    ]);
    expect(missing.diagnostics[1]!.message).toBe("the pattern tokens/**/*.yaml matches no files");
    // A pattern is expanded by the loader itself (an Action input or a quoted argument is not a shell's).
    const matched = await loadTokenSet(["examples/**/*.y*ml"]);
    expect(matched.diagnostics).toEqual([]);
    expect(matched.files.length).toBeGreaterThan(0);
    expect(matched.files.every((f) => f.startsWith("examples/"))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "tokenform-empty-"));
    try {
      writeFileSync(join(dir, "README.md"), "not a spec");
      const empty = await loadTokenSet(dir);
      expect(empty.diagnostics.map((d) => [d.code, d.message])).toEqual([
        ["no_spec_files", `${dir} has no .yaml or .yml files`],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every example validates: examples/ is one set, and the quickstart's is another", async () => {
    for (const dir of ["examples", "quickstart"]) {
      const result = await loadTokenSet(dir);
      expect(result.diagnostics, dir).toEqual([]);
      expect(result.set!.tokens.length, dir).toBeGreaterThan(0);
    }
  });

  it("the main example shows each kind of key", async () => {
    const { set } = await loadTokenSet("examples/tokens.yaml");
    const byName = new Map(set!.tokens.map((t) => [t.name, t]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        "alice-cursor-dev",
        "bob-claude-desktop",
        "backend-ci-pipeline",
        "frontend-ci-pipeline",
      ]),
    );
    expect(set!.owner).toBe("acme/platform-infra");
    expect(set!.tokens.some((t) => t.type === "agent")).toBe(true);
    expect(set!.tokens.some((t) => t.type === "mcp" && t.readOnly)).toBe(true);
    expect(set!.tokens.some((t) => t.expiry.kind === "at")).toBe(true);
    expect(set!.tokens.some((t) => t.ipAllowlist.length > 0)).toBe(true);
    expect(set!.tokens.some((t) => t.deliver.some((d) => d.kind === "gitlab"))).toBe(true);
    expect(set!.tokens.some((t) => t.deliver.some((d) => d.kind === "github" && d.organization))).toBe(true);
    expect(byName.get("alice-cursor-dev")!.deliver[0]).toMatchObject({
      path: join(homedir(), ".config/tokenform/alice-cursor-dev.env"),
    });
  });

  it("reads texts from memory with the same rules", () => {
    const text =
      "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: a/b }\ntokens:\n  - name: x\n";
    const result = loadTokenSetFromSources([{ file: "mem/a.yaml", text }]);
    expect(result.set?.tokens[0]?.source).toEqual({ file: "mem/a.yaml", line: 5, column: 5 });
  });
});

describe("validateTokenSetObject (CDKTF)", () => {
  it("resolves a valid object with no source locations", () => {
    const result = validateTokenSetObject(
      { ...base, tokens: [{ name: "from-code", scopes: ["contexts:read"] }] },
      { origin: "MyStack/tokens" },
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.set!.tokens[0]!.source).toBeUndefined();
    expect(result.set!.tokens[0]!.name).toBe("from-code");
  });

  it("reports the same diagnostics as YAML, with paths instead of lines", () => {
    const result = validateTokenSetObject(
      {
        ...base,
        tokens: [
          { name: "a", scopes: ["contexts:write"], expireIn: "90d" },
          { name: "a", ipAllowlist: ["10.0.0.1/8"], description: `key ghp_${"a1B2".repeat(9)}` },
        ],
      },
      { origin: "MyStack/tokens" },
    );
    expect(result.set).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.file, d.path, d.line])).toEqual([
      ["unknown_key", "MyStack/tokens", ["tokens", 0, "expireIn"], undefined],
      ["invalid_cidr", "MyStack/tokens", ["tokens", 1, "ipAllowlist", 0], undefined],
      ["duplicate_name", "MyStack/tokens", ["tokens", 1, "name"], undefined],
      ["raw_secret", "MyStack/tokens", ["tokens", 1, "description"], undefined],
    ]);
    expect(JSON.stringify(result.diagnostics)).not.toContain("a1B2a1B2");
  });

  it("catches the write scope once the first token is valid", () => {
    const result = validateTokenSetObject(
      { ...base, tokens: [{ name: "a", scopes: ["contexts:write"] }] },
      { origin: "x" },
    );
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["write_scope_read_only", ["tokens", 0, "scopes", 0]],
    ]);
  });
});
