/**
 * The committed CDKTF bindings (src/cdktf/gen) against the provider's schema: regenerating them must give
 * exactly the committed files (run `npm run generate` when this fails), they must load as plain ESM under
 * Node (explicit `.js` paths), and the `tokenform/cdktf` entry point must export the construct library.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { providerVersion } from "../../../provider/src/version.js";
import {
  BINDINGS_DIR,
  generateBindings,
  type ProvidersSchemaDocument,
  REPO_ROOT,
  readBindings,
  servedSchema,
} from "../../../scripts/generate-bindings.js";
import * as cdktfEntry from "../../../src/cdktf/index.js";

describe("generated bindings", () => {
  it("are exactly what `npm run generate` produces from the provider's schema", async () => {
    const fresh = await generateBindings(await servedSchema());
    const committed = readBindings();
    expect([...committed.keys()], "generated files (run `npm run generate`)").toEqual([...fresh.keys()]);
    for (const [path, text] of fresh) {
      expect(
        committed.get(path),
        `src/cdktf/gen/${path} drifted from the schema: run \`npm run generate\``,
      ).toBe(text);
    }
  });

  it("pin the provider's source and version", () => {
    const provider = readFileSync(join(BINDINGS_DIR, "provider", "index.ts"), "utf8");
    expect(provider).toContain("terraformProviderSource: 'registry.terraform.io/tokenform/tokenform'");
    expect(provider).toContain(`providerVersionConstraint: '${providerVersion()}'`);
  });

  it("refuse a schema for another provider or without provider_versions", async () => {
    const schema = await servedSchema();
    const elsewhere: ProvidersSchemaDocument = {
      ...schema,
      provider_schemas: { "registry.terraform.io/acme/tokenform": Object.values(schema.provider_schemas)[0] },
    };
    await expect(generateBindings(elsewhere)).rejects.toThrow(
      /has no provider registry\.terraform\.io\/tokenform\/tokenform \(found: registry\.terraform\.io\/acme\/tokenform\)/,
    );
    const { provider_versions: _, ...unversioned } = schema;
    await expect(generateBindings(unversioned)).rejects.toThrow(/no provider_versions entry/);
  });

  it("load as plain ESM under Node, with no loader or bundler", () => {
    // Transpiled file by file (types stripped, imports untouched) next to node_modules so `cdktf` resolves.
    const out = join(REPO_ROOT, "node_modules", ".cache", `tokenform-bindings-esm-${process.pid}`);
    try {
      for (const [path, text] of readBindings()) {
        const target = join(out, path.replace(/\.ts$/, ".js"));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, transformSync(text, { loader: "ts", format: "esm" }).code);
      }
      writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
      const probe = spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const g = await import(${JSON.stringify(join(out, "index.js"))});
           console.log(JSON.stringify([g.token.Token.tfResourceType, g.provider.TokenformProvider.tfResourceType,
             g.dataTokenformTokens.DataTokenformTokens.tfResourceType]));`,
        ],
        { encoding: "utf8" },
      );
      expect(probe.stderr).toBe("");
      expect(JSON.parse(probe.stdout)).toEqual(["tokenform_token", "tokenform", "tokenform_tokens"]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("the tokenform/cdktf entry point", () => {
  it("is declared in package.json and exports the construct library", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(pkg.exports["./cdktf"]).toEqual({
      types: "./dist/cdktf/index.d.ts",
      import: "./dist/cdktf/index.js",
    });
    expect(pkg.peerDependenciesMeta.cdktf?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta.constructs?.optional).toBe(true);
    expect(Object.keys(cdktfEntry).sort()).toEqual([
      "DataTokenformTokens",
      "TokenSet",
      "TokenSpecError",
      "TokenformProvider",
      "TokenformToken",
      "tokenConfig",
    ]);
  });

  it("keeps cdktf and constructs imports in src/cdktf/deps.ts (a cdktn entry point can replace it)", () => {
    const dir = join(REPO_ROOT, "src", "cdktf");
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && f !== "deps.ts")
      .filter((f) => /from\s+["'](cdktf|constructs)["']/.test(readFileSync(join(dir, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
