/**
 * The `TokenSet` construct under `Testing.synthScope`: specs as objects and as YAML become one
 * `tokenform_token` per entry with the defaults merged, invalid specs stop synthesis with the loader's
 * diagnostics, ids depend on token names only, the owner reaches the provider, and nothing secret-looking
 * is ever synthesized.
 */
import "./setup.js";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it, vi } from "vitest";
import type { BlockSchema } from "../../../provider/src/runtime/schema.js";
import { tokenResourceSchema } from "../../../provider/src/schema.js";
import {
  TokenformProvider,
  TokenformToken,
  TokenSet,
  type TokenSetInput,
  TokenSpecError,
} from "../../../src/cdktf/index.js";
import { loadTokenSet } from "../../../src/spec/load.js";
import { renderDiagnostics } from "../../../src/spec/render.js";
import { findSecrets } from "../../../src/spec/secrets.js";
import { findTokens, generateToken } from "../../../src/spec/token-format.js";
import { fixture, tokenResources } from "./helpers.js";

/** The same set as __fixtures__/valid/tokens/*.yaml, as a typed object. */
function platformSpec(): TokenSetInput {
  return {
    apiVersion: "tokenform.dev/v1",
    kind: "TokenSet",
    metadata: { owner: "acme/platform" },
    defaults: {
      expiresIn: "180d",
      rotation: { every: "90d", overlap: "48h" },
      labels: { "managed-by": "cdktf" },
    },
    tokens: [
      {
        name: "backend-ci-pipeline",
        description: "CI for the backend repo",
        scopes: ["contexts:read", "tools:call"],
        ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
        rateLimit: { perMinute: 100, perHour: 1000 },
        labels: { team: "backend" },
        deliver: [
          { github: { repository: "acme/backend", secret: "MCP_API_KEY", environment: "production" } },
        ],
      },
      {
        name: "deploy-agent",
        type: "agent",
        scopes: ["tools:*"],
        readOnly: false,
        tools: ["deploy_*", "get_status"],
        deliver: [{ gitlab: { project: "acme/deploy", variable: "MCP_AGENT_KEY", protected: true } }],
      },
    ],
  };
}

/** The second fixture file's token (no defaults of its own). */
/** The synthesised stack of one TokenSet of `tokens` owned by acme/platform. */
const synth = (tokens: TokenSetInput["tokens"]) =>
  Testing.synthScope((scope) => {
    new TokenSet(scope, "tokens", {
      spec: {
        apiVersion: "tokenform.dev/v1",
        kind: "TokenSet",
        metadata: { owner: "acme/platform" },
        tokens,
      },
    });
  });

const LOCAL_TOKEN: TokenSetInput["tokens"][number] = {
  name: "alice-cursor-dev",
  expiresIn: "never",
  rotation: "never",
  deliver: [{ file: { path: "secrets/alice.env" } }],
};

describe("TokenSet from a typed object", () => {
  it("synthesizes one tokenform_token per entry with the defaults merged in", () => {
    const out = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", { spec: platformSpec() });
    });
    expect(Object.keys(tokenResources(out))).toHaveLength(2);
    expect(out).toHaveResourceWithProperties(TokenformToken, {
      name: "backend-ci-pipeline",
      description: "CI for the backend repo",
      type: "mcp",
      read_only: true,
      enabled: true,
      scopes: ["contexts:read", "tools:call"],
      ip_allowlist: ["203.0.113.0/24", "2001:db8::/32"],
      rate_limit: { per_minute: 100, per_hour: 1000 },
      labels: { "managed-by": "cdktf", team: "backend" },
      expires_in: "180d",
      rotation: { every: "90d", overlap: "2d" },
      on_remove: "disable-then-delete",
      removal_grace: "7d",
      github_secret: [{ repository: "acme/backend", environment: "production", secret: "MCP_API_KEY" }],
    });
    expect(out).toHaveResourceWithProperties(TokenformToken, {
      name: "deploy-agent",
      description: "",
      type: "agent",
      read_only: false,
      scopes: ["tools:*"],
      tools: ["deploy_*", "get_status"],
      labels: { "managed-by": "cdktf" },
      expires_in: "180d",
      gitlab_variable: [
        {
          project: "acme/deploy",
          variable: "MCP_AGENT_KEY",
          environment_scope: "*",
          protected: true,
          masked: true,
          hidden: false,
          raw: true,
        },
      ],
    });
    expect(out).toHaveProviderWithProperties(TokenformProvider, { owner: "acme/platform" });
    expect(out).toHaveProvider(TokenformProvider);
  });

  it("leaves unset collections out rather than writing empty ones", () => {
    const out = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", {
        spec: {
          apiVersion: "tokenform.dev/v1",
          kind: "TokenSet",
          metadata: { owner: "acme/platform" },
          tokens: [{ name: "bare" }],
        },
      });
    });
    const [bare] = Object.values(tokenResources(out));
    expect(bare).toEqual({
      name: "bare",
      description: "",
      type: "mcp",
      read_only: true,
      enabled: true,
      expires_in: "never",
      on_remove: "disable-then-delete",
      removal_grace: "7d",
      provider: "tokenform",
    });
  });

  it("writes an absolute expiry (as the resolver normalises it) and a rotate trigger", () => {
    const out = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", {
        spec: {
          apiVersion: "tokenform.dev/v1",
          kind: "TokenSet",
          metadata: { owner: "acme/platform" },
          tokens: [{ name: "fixed", expiresAt: "2099-06-30T00:00:00Z", rotate: "2026-01-15" }],
        },
      });
    });
    expect(out).toHaveResourceWithProperties(TokenformToken, {
      name: "fixed",
      expires_at: "2099-06-30T00:00:00.000Z",
      rotate_trigger: "2026-01-15",
    });
    expect(Object.values(tokenResources(out))[0]).not.toHaveProperty("expires_in");
  });

  it("exposes the resolved set and each resource by name", () => {
    Testing.synthScope((scope) => {
      const set = new TokenSet(scope, "tokens", { spec: platformSpec() });
      expect(set.set.owner).toBe("acme/platform");
      expect([...set.tokens.keys()]).toEqual(["backend-ci-pipeline", "deploy-agent"]);
      expect(set.token("deploy-agent").nameInput).toBe("deploy-agent");
      expect(() => set.token("nope")).toThrow(/has no token named "nope"/);
    });
  });

  it("refuses an invalid object with the loader's diagnostics, located by construct path and spec path", () => {
    const spec = platformSpec();
    const broken = {
      ...spec,
      tokens: [{ ...spec.tokens[0]!, scopes: ["contexts read"] }, { name: "Bad Name\u202e" }],
    };
    let thrown: unknown;
    try {
      Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", { spec: broken });
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TokenSpecError);
    const error = thrown as TokenSpecError;
    expect(error.diagnostics.map((d) => d.code)).toEqual(["invalid_scope", "invalid_name"]);
    expect(error.message).toMatch(/\/tokens: error\[invalid_scope\] .*\n {2}at tokens\[0\]\.scopes\[0\]/);
    expect(error.message).toMatch(/\/tokens: error\[invalid_name\] .*\n {2}at tokens\[1\]\.name/);
    expect(error.message).not.toContain("\u001b[");
  });

  it("refuses a picked-up key instead of dropping its pickup (the resource has none)", () => {
    const spec = platformSpec();
    const target = { client: "cursor", server: "acme", url: "https://mcp.example.com/mcp" } as const;
    expect(() =>
      Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", {
          spec: {
            ...spec,
            tokens: [{ name: "alice-cursor", holder: "alice", pickup: { mcpClient: target } }],
          },
        });
      }),
    ).toThrow(/^alice-cursor: pickup is not available through Terraform yet/);
  });

  it("types the spec as the TokenSpec input: an unknown field is a compile error and a synth error", () => {
    const spec = platformSpec();
    expect(() =>
      Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", {
          spec: {
            ...spec,
            // @ts-expect-error `scope` is not a token field (it is `scopes`)
            tokens: [{ name: "typo", scope: ["contexts:read"] }],
          },
        });
      }),
    ).toThrow(/error\[unknown_key\][^\n]*scope/);
    // @ts-expect-error a TokenSet takes paths or a spec, not both
    const both: import("../../../src/cdktf/index.js").TokenSetProps = { paths: ["x"], spec };
    expect(both.paths).toEqual(["x"]);
  });
});

describe("TokenSet from YAML paths", () => {
  const valid = fixture("valid");

  it("synthesizes the same resources as the equivalent object", () => {
    const fromYaml = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", { paths: ["tokens/platform.yaml"], cwd: valid });
    });
    const fromObject = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", { spec: platformSpec() });
    });
    expect(Object.keys(tokenResources(fromYaml))).toHaveLength(2);
    expect(JSON.parse(fromYaml)).toEqual(JSON.parse(fromObject));
  });

  it("reads every spec file below a directory; each file's defaults apply to its own tokens", () => {
    const fromYaml = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", { paths: ["tokens/"], cwd: valid });
    });
    const alice = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", {
        spec: {
          apiVersion: "tokenform.dev/v1",
          kind: "TokenSet",
          metadata: { owner: "acme/platform" },
          tokens: [LOCAL_TOKEN],
        },
        baseDir: join(valid, "tokens"),
      });
    });
    const resources = Object.values(tokenResources(fromYaml));
    expect(resources.map((r) => r.name)).toEqual(["alice-cursor-dev", "backend-ci-pipeline", "deploy-agent"]);
    expect(resources[0]).toEqual(Object.values(tokenResources(alice))[0]);
    expect(fromYaml).toHaveResourceWithProperties(TokenformToken, {
      name: "alice-cursor-dev",
      expires_in: "never",
      // A derived key is left to the provider (it keeps the key a file already has).
      file: [{ path: join(valid, "tokens", "secrets", "alice.env"), format: "env" }],
    });
  });

  it("takes files as well as directories, relative to cwd or absolute", () => {
    const out = Testing.synthScope((scope) => {
      new TokenSet(scope, "tokens", { paths: join(valid, "tokens", "platform.yaml") });
    });
    expect(Object.values(tokenResources(out)).map((r) => r.name)).toEqual([
      "backend-ci-pipeline",
      "deploy-agent",
    ]);
  });

  it("stops synthesis with exactly the diagnostics `tokenform validate` renders, with file:line:column", async () => {
    const cwd = fixture("");
    const expected = await loadTokenSet(["invalid/tokens.yaml"], { cwd });
    let thrown: unknown;
    try {
      Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", { paths: ["invalid/tokens.yaml"], cwd });
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TokenSpecError);
    const message = (thrown as Error).message;
    expect(message).toBe(
      renderDiagnostics(expected.diagnostics, {
        format: "text",
        color: false,
        sources: expected.sources,
      }).trimEnd(),
    );
    expect(message).toMatch(/^invalid\/tokens\.yaml:8:\d+: error\[invalid_cidr\]/m);
    expect(message).toMatch(/^invalid\/tokens\.yaml:10:\d+: error\[unknown_key\]/m);
    expect(message).toContain("> 8 |");
  });

  it("reports a missing path like the loader does", () => {
    expect(() =>
      Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", { paths: ["nowhere/"], cwd: fixture("") });
      }),
    ).toThrow(/^nowhere\/: error\[file_not_found\] nowhere\/ does not exist$/m);
  });
});

describe("resource ids", () => {
  it("depend on the token name only: reordering and adding tokens keep every existing id", () => {
    const ids = (spec: TokenSetInput) => {
      const out = Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", { spec });
      });
      return Object.fromEntries(Object.entries(tokenResources(out)).map(([id, r]) => [r.name as string, id]));
    };
    const spec = platformSpec();
    const before = ids(spec);
    const after = ids({ ...spec, tokens: [{ name: "added-first" }, ...[...spec.tokens].reverse()] });
    expect(after["backend-ci-pipeline"]).toBe(before["backend-ci-pipeline"]);
    expect(after["deploy-agent"]).toBe(before["deploy-agent"]);
    expect(new Set(Object.values(after)).size).toBe(3);
  });

  it("move a renamed token to its new address (renamedFrom), leave its file key to the provider, and carry adopt", () => {
    const before = tokenResources(
      synth([{ name: "laptop-dev", deliver: [{ file: { path: "/tmp/l.env" } }] }]),
    );
    const [oldId] = Object.keys(before);
    const out = synth([
      {
        name: "laptop-editor",
        renamedFrom: "laptop-dev",
        adopt: true,
        deliver: [{ file: { path: "/tmp/l.env" } }, { file: { path: "/tmp/m.env", key: "EDITOR_KEY" } }],
      },
    ]);
    const after = tokenResources(out);
    const [newId] = Object.keys(after);
    expect(newId).not.toBe(oldId);
    expect(after[newId!]).toMatchObject({
      name: "laptop-editor",
      adopt: true,
      file: [
        { path: "/tmp/l.env", format: "env" },
        { path: "/tmp/m.env", format: "env", key: "EDITOR_KEY" },
      ],
    });
    expect((after[newId!]!.file as Array<Record<string, unknown>>)[0]).not.toHaveProperty("key");
    const moved = (JSON.parse(out) as { moved?: Array<{ from: string; to: string }> }).moved;
    expect(moved).toEqual([{ from: `tokenform_token.${oldId}`, to: `tokenform_token.${newId}` }]);
  });
});

describe("human names", () => {
  it("get their construct id from identifierOf: the same address as the identifier's name, and a rename moves it", () => {
    const human = tokenResources(synth([{ name: "Cursor MCP" }, { name: "CI/CD Pipeline" }]));
    const slugs = tokenResources(synth([{ name: "cursor-mcp" }, { name: "ci-cd-pipeline" }]));
    expect(Object.keys(human)).toEqual(Object.keys(slugs));
    expect(Object.values(human).map((r) => r.name)).toEqual(
      Object.values(slugs).map((r) => (r.name === "cursor-mcp" ? "Cursor MCP" : "CI/CD Pipeline")),
    );
    const renamed = synth([{ name: "Cursor MCP (team)", renamedFrom: "Cursor MCP" }]);
    const moved = (JSON.parse(renamed) as { moved?: Array<{ from: string }> }).moved;
    const cursorId = Object.keys(human).find((id) => human[id]!.name === "Cursor MCP");
    expect(cursorId).toContain("cursor-mcp");
    expect(moved?.map((m) => m.from)).toEqual([`tokenform_token.${cursorId}`]);
  });
});

describe("the owner and the provider", () => {
  const spec = platformSpec();

  it("creates the stack's default provider with the spec's owner, once for several sets", () => {
    const out = Testing.synthScope((scope) => {
      new TokenSet(scope, "a", { spec });
      new TokenSet(scope, "b", { spec: { ...spec, tokens: [{ name: "other" }] } });
    });
    const doc = JSON.parse(out) as { provider: { tokenform: unknown[] } };
    expect(doc.provider.tokenform).toEqual([{ owner: "acme/platform" }]);
    expect(Object.values(tokenResources(out)).every((r) => r.provider === "tokenform")).toBe(true);
  });

  it("fills in the owner of a provider that has none", () => {
    const out = Testing.synthScope((scope) => {
      new TokenformProvider(scope, "tf", { endpoint: "https://tokens.example.com" });
      new TokenSet(scope, "tokens", { spec });
    });
    expect(out).toHaveProviderWithProperties(TokenformProvider, {
      endpoint: "https://tokens.example.com",
      owner: "acme/platform",
    });
  });

  it("refuses a provider whose owner is another", () => {
    expect(() =>
      Testing.synthScope((scope) => {
        new TokenformProvider(scope, "tf", { owner: "acme/other" });
        new TokenSet(scope, "tokens", { spec });
      }),
    ).toThrow(/metadata\.owner "acme\/platform", but its tokenform provider .* has owner "acme\/other"/);
    expect(() =>
      Testing.synthScope((scope) => {
        new TokenSet(scope, "a", { spec });
        new TokenSet(scope, "b", { spec: { ...spec, metadata: { owner: "acme/other" } } });
      }),
    ).toThrow(/pass a provider \(an aliased TokenformProvider\) with this owner/);
  });

  it("uses an aliased provider given as a prop, for a second owner in one stack", () => {
    const out = Testing.synthScope((scope) => {
      new TokenSet(scope, "platform", { spec });
      const other = new TokenformProvider(scope, "other", { alias: "other", owner: "acme/other" });
      new TokenSet(scope, "other-tokens", {
        spec: { ...spec, metadata: { owner: "acme/other" }, tokens: [{ name: "theirs" }] },
        provider: other,
      });
    });
    expect(out).toHaveResourceWithProperties(TokenformToken, { name: "theirs", provider: "tokenform.other" });
    expect(out).toHaveResourceWithProperties(TokenformToken, { name: "deploy-agent", provider: "tokenform" });
  });
});

describe("warnings", () => {
  it("become construct annotations, and synthesis goes on", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "stack");
    new TokenSet(stack, "tokens", {
      spec: {
        ...spec(),
        tokens: [{ name: "old", expiresAt: "2001-01-01T00:00:00Z" }],
      },
    });
    const warnings = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === "@cdktf/warn")
      .map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/stack\/tokens: warning\[expiry_in_past\] expiresAt/)]);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(TokenformToken, { name: "old" });
  });

  function spec(): TokenSetInput {
    return {
      apiVersion: "tokenform.dev/v1",
      kind: "TokenSet",
      metadata: { owner: "acme/platform" },
      tokens: [],
    };
  }
});

describe("secrets", () => {
  it("never appear in synthesized output: there are none to synthesize", async () => {
    // The service credential is in the environment, as when `cdktf synth` runs in a deploy job: it is the
    // provider's to read at plan time, never the construct's to write into cdktf.out.
    const apiToken = generateToken("mcp_adm_");
    vi.stubEnv("TOKENFORM_API_TOKEN", apiToken);
    let out: string;
    try {
      const stack = new TerraformStack(Testing.app(), "stack");
      new TokenSet(stack, "tokens", { paths: ["tokens/"], cwd: fixture("valid") });
      out = Testing.synth(stack);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(out).not.toContain(apiToken);
    expect((JSON.parse(out) as { provider: unknown }).provider).toEqual({
      tokenform: [{ owner: "acme/platform" }],
    });
    const resources = Object.values(tokenResources(out));
    // Every token of the spec was synthesized (an empty output would prove nothing)…
    const spec = await loadTokenSet(["tokens/"], { cwd: fixture("valid") });
    expect(resources.map((r) => r.name).sort()).toEqual(spec.set!.tokens.map((t) => t.name).sort());
    expect(resources.length).toBeGreaterThan(0);
    // …and each sets only what a configuration may set: no attribute of tokenform_token that is sensitive
    // or set by the provider (the secret's fingerprint and prefix), in the token or in a delivery block.
    const configurable = (block: BlockSchema): Set<string> =>
      new Set([
        ...block.attributes.filter((a) => (a.required || a.optional) && !a.sensitive).map((a) => a.name),
        ...block.blocks.map((b) => b.typeName),
      ]);
    const tokenAttributes = configurable(tokenResourceSchema.block);
    const attributesSet = new Set<string>();
    for (const resource of resources) {
      for (const [name, value] of Object.entries(resource)) {
        if (name === "provider") continue;
        expect(tokenAttributes).toContain(name);
        attributesSet.add(name);
        const nested = tokenResourceSchema.block.blocks.find((b) => b.typeName === name);
        if (nested === undefined) continue;
        const blockAttributes = configurable(nested.block);
        for (const item of Array.isArray(value) ? value : [value]) {
          for (const key of Object.keys(item as object)) expect(blockAttributes).toContain(key);
        }
      }
    }
    expect(attributesSet).toContain("github_secret");
    expect(attributesSet).not.toContain("fingerprint");
    expect(findTokens(out)).toEqual([]);
    expect(findSecrets(out)).toEqual([]);
  });

  it("refuses a spec that carries a raw token, without echoing it", () => {
    const secret = generateToken("mcp_sk_");
    const spec: TokenSetInput = {
      apiVersion: "tokenform.dev/v1",
      kind: "TokenSet",
      metadata: { owner: "acme/platform" },
      tokens: [{ name: "leaky", description: `key is ${secret}` }],
    };
    let thrown: unknown;
    try {
      Testing.synthScope((scope) => {
        new TokenSet(scope, "tokens", { spec });
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TokenSpecError);
    const error = thrown as TokenSpecError;
    expect(error.diagnostics.map((d) => d.code)).toContain("raw_secret");
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error.diagnostics)).not.toContain(secret);
  });
});
