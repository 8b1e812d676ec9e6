/**
 * The destination kinds' registry: every registered kind declares every facet, and each facet agrees
 * with the others — a spec block resolves, maps to CDKTF, goes through the provider's Terraform block
 * back to the same spec and the same destination; the provider's schema, the sinks and the Action's
 * inputs are the kinds' own. The type-level checks at the end fail to compile when a facet becomes
 * optional or a kind is registered without one.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { toSpec } from "../../../provider/src/resources/token/to-spec.js";
import type { TfObject } from "../../../provider/src/runtime/values.js";
import { tokenResourceSchema } from "../../../provider/src/schema.js";
import type { DestinationKind } from "../../../src/destinations/kind.js";
import {
  DESTINATION_KIND_NAMES,
  DESTINATION_KINDS,
  type DeliveryBlockOf,
  type DestinationKindName,
  kindOf,
} from "../../../src/destinations/registry.js";
import { createSinks } from "../../../src/sinks/index.js";
import { validateTokenSetObject } from "../../../src/spec/load.js";
import { resolveDestination } from "../../../src/spec/resolve.js";
import { claimId, describeDestination, destinationId, recordedTarget } from "../../../src/spec/resolved.js";
import { DeliverySchema } from "../../../src/spec/schema.js";

/** A block of each kind with every field set (a new kind without one here does not compile). */
const SAMPLES: { [K in DestinationKindName]: DeliveryBlockOf<K>[] } = {
  github: [
    { repository: "acme/backend", environment: "production", secret: "MCP_API_KEY" },
    { organization: "acme", visibility: "selected", repositories: ["a", "b"], secret: "MCP_ORG_KEY" },
  ],
  gitlab: [
    {
      project: "acme/deploy",
      variable: "MCP_AGENT_KEY",
      environmentScope: "production",
      protected: true,
      masked: true,
      hidden: false,
      raw: false,
    },
    { group: "acme", variable: "MCP_GROUP_KEY" },
  ],
  file: [
    { path: "/home/alice/.config/mcp/alice.env", format: "env", key: "ALICE_KEY" },
    { path: "/home/alice/.config/mcp/derived.env" },
    { path: "/home/alice/.config/mcp/raw.txt", format: "raw" },
  ],
  vault: [
    { address: "https://vault.acme.dev:8200", mount: "secret", path: "mcp/backend", key: "API_KEY" },
    { mount: "kv/teams", path: "platform", key: "MCP_KEY" },
  ],
  awsSecretsManager: [
    { secret: "mcp/backend", region: "eu-west-1", key: "API_KEY" },
    { secret: "arn:aws:secretsmanager:us-east-1:123456789012:secret:mcp-raw-AbCdEf", region: "us-east-1" },
  ],
  kubernetes: [
    { namespace: "mcp", secret: "backend-keys", key: "API_KEY", context: "prod-eu" },
    { namespace: "default", secret: "agent.keys", key: "mcp.key" },
  ],
  googleSecretManager: [
    { project: "acme-prod", secret: "mcp-backend" },
    { project: "123456789012", secret: "MCP_KEY" },
  ],
};

const TOKEN = "alice-cursor-dev";
const CONTEXT = { baseDir: "/work", homeDir: "/home/alice" };
const toCamel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A CDKTF block (camelCase, as synthesized) as the Terraform block the provider receives. */
function terraformBlock(kind: DestinationKindName, cdktf: object): TfObject {
  const { fields } = kindOf(kind).terraform;
  const byField = Object.fromEntries(Object.entries(fields).map(([attr, field]) => [field, attr]));
  const out: TfObject = {};
  for (const attr of Object.keys(fields)) out[attr] = null;
  for (const [field, value] of Object.entries(cdktf)) {
    const attr = byField[field];
    expect(attr, `${kind}: CDKTF field ${field} has no Terraform attribute`).toBeDefined();
    out[attr!] = value as TfObject[string];
  }
  return out;
}

describe("the destination kinds' registry", () => {
  it("names each kind by its own name, and has a sample for each", () => {
    expect(DESTINATION_KIND_NAMES).toEqual([
      "github",
      "gitlab",
      "file",
      "vault",
      "awsSecretsManager",
      "kubernetes",
      "googleSecretManager",
    ]);
    for (const name of DESTINATION_KIND_NAMES) {
      expect(DESTINATION_KINDS[name].kind).toBe(name);
      expect(SAMPLES[name].length).toBeGreaterThan(0);
    }
  });

  describe.each(DESTINATION_KIND_NAMES)("%s", (name) => {
    const kind = kindOf(name);

    it("declares every facet", () => {
      for (const facet of [
        "spec",
        "resolve",
        "id",
        "describe",
        "local",
        "sink",
        "terraform",
        "cdktf",
        "action",
      ] as const) {
        expect(kind[facet], facet).toBeDefined();
      }
      expect(typeof kind.local).toBe("boolean");
      expect(kind.terraform.typeName).toMatch(/^[a-z_]+$/);
      expect(kind.cdktf.key).toBe(toCamel(kind.terraform.typeName));
    });

    it("maps every Terraform attribute to a field of the spec block, and back", () => {
      const attributes = kind.terraform.attributes.map((a) => a.name);
      expect(Object.keys(kind.terraform.fields).sort()).toEqual([...attributes].sort());
      for (const [attr, field] of Object.entries(kind.terraform.fields)) expect(field).toBe(toCamel(attr));
      // Every field of the spec block has its attribute (the block is a strict object: its shape is all).
      const { shape } = kind.spec.schema(z) as unknown as { shape: Record<string, unknown> };
      expect(Object.keys(shape).sort()).toEqual(Object.values(kind.terraform.fields).sort());
    });

    it("is one block of the provider's tokenform_token resource, as declared", () => {
      const block = tokenResourceSchema.block.blocks.find((b) => b.typeName === kind.terraform.typeName);
      expect(block).toEqual({
        typeName: kind.terraform.typeName,
        nesting: "list",
        block: { description: kind.terraform.description, attributes: kind.terraform.attributes, blocks: [] },
      });
    });

    it.each(SAMPLES[name].map((block, i) => [i, block] as const))(
      "round-trips sample %i: spec → resolved → CDKTF → Terraform → spec → the same destination",
      (_i, block) => {
        const delivery = { [name]: block };
        expect(DeliverySchema.safeParse(delivery).success).toBe(true);
        const resolved = resolveDestination(delivery as never, TOKEN, CONTEXT);
        expect(resolved.kind).toBe(name);
        expect(destinationId(resolved)).toMatch(new RegExp(`^${name}:`));
        expect(describeDestination(resolved)).not.toBe("");
        expect(claimId(resolved, "laptop")).toBe(
          kind.local
            ? `${name}://laptop${destinationId(resolved).slice(name.length + 1)}`
            : destinationId(resolved),
        );
        expect(destinationId(recordedTarget(resolved))).toBe(destinationId(resolved));

        // CDKTF writes the block; the provider turns its Terraform block into the spec it validates.
        const cdktf = kind.cdktf.block(resolved);
        const config: TfObject = { name: TOKEN, [kind.terraform.typeName]: [terraformBlock(name, cdktf)] };
        const view = toSpec(config, "acme/platform");
        const outcome = validateTokenSetObject(view.set, { origin: "test", ...CONTEXT });
        expect(outcome.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        const again = outcome.set!.tokens[0]!.deliver;
        expect(again).toEqual([resolved]);
      },
    );

    it("has a sink in createSinks, built without credentials", () => {
      const sinks = createSinks({ env: {} }) as unknown as Record<string, { kind: string }>;
      expect(sinks[name]!.kind).toBe(name);
    });

    it("says how the Action treats it: inputs with an environment variable, or a refusal", () => {
      const { action } = kind;
      if (action.onRunner === "refuse") {
        expect(action.inputs).toEqual([]);
        const resolved = resolveDestination({ [name]: SAMPLES[name][0] } as never, TOKEN, CONTEXT);
        expect(action.refusal(resolved).deliver).toMatch(/GitHub Action/);
      } else {
        expect(action.inputs.length).toBeGreaterThan(0);
        for (const input of action.inputs) {
          expect(input.name).toMatch(/^[a-z]+(-[a-z]+)+$/);
          expect(input.field).toBe(toCamel(input.name.replace(/-/g, "_")));
          expect(input.env).toMatch(/^[A-Z_]+$/);
        }
        // Every credential the Action passes as a secret input is one the plan checks for (alternatives
        // included; a kind with a credential chain checks for more than the Action can pass).
        const checked = kind.credentials.flat();
        expect(checked.length).toBeGreaterThan(0);
        for (const input of action.inputs.filter((i) => i.secret)) expect(checked).toContain(input.env);
      }
    });
  });
});

describe("type-level: a kind must fill every place", () => {
  it("every facet of DestinationKind but the file-only ones is required", () => {
    type Kind = DestinationKind<"x", { a: string }, { kind: "x" }>;
    type Required = { [F in keyof Kind]-?: object extends Pick<Kind, F> ? never : F }[keyof Kind];
    expectTypeOf<Required>().toEqualTypeOf<
      | "kind"
      | "spec"
      | "resolve"
      | "id"
      | "describe"
      | "settings"
      | "local"
      | "credentials"
      | "sink"
      | "terraform"
      | "cdktf"
      | "action"
    >();
  });

  it("a registered kind without a facet does not compile", () => {
    const { terraform: _terraform, ...withoutTerraform } = DESTINATION_KINDS.github;
    // @ts-expect-error a kind without its Terraform block is not a DestinationKind
    const kind: DestinationKind<
      "github",
      DeliveryBlockOf<"github">,
      Parameters<typeof withoutTerraform.id>[0]
    > = withoutTerraform;
    expect(kind.kind).toBe("github");
  });
});
