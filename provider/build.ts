/**
 * Builds the provider executable: one file, `provider/dist/terraform-provider-tokenform`, a CommonJS
 * bundle for Node with a `#!/usr/bin/env node` line, the .proto files and the version embedded. The token
 * service (and its native better-sqlite3) must never be part of it; the build fails if it sneaks in.
 *
 * `npm run build:provider` runs this file; `tokenform provider install` calls `buildProvider()` when no
 * bundle exists yet.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zlibConstants } from "node:zlib";
import type { Metafile, Plugin } from "esbuild";
import { readProtoFiles } from "./src/proto/source.js";
import { parseProto } from "./src/runtime/proto.js";

/** The provider directory (this file's). */
export const PROVIDER_DIR = dirname(fileURLToPath(import.meta.url));
/** Where the bundle is written. */
export const BUNDLE_PATH = join(PROVIDER_DIR, "dist", "terraform-provider-tokenform");

/** Native modules that must stay out of the bundle (and are not needed by the provider at all). */
const NATIVE_EXTERNALS = ["better-sqlite3", "pg-native", "cpu-features", "ssh2"];

/**
 * The first lines of the executable. The file has no extension (Terraform requires the exact name), so
 * Node decides from the nearest package.json whether it is CommonJS or an ES module — a mirror inside a
 * `"type": "module"` project makes it ESM. The bundle is therefore written to run as either: everything is
 * bundled except Node's built-ins, which `require` reaches in CommonJS and `process.getBuiltinModule` in ESM
 * (a `var` may re-declare CommonJS's `require` parameter without changing it).
 */
const BANNER = [
  "#!/usr/bin/env node",
  '"use strict";',
  'var require = typeof require === "function" ? require : (id) => {',
  "  const m = process.getBuiltinModule(id);",
  '  if (m === undefined) throw Object.assign(new Error("Cannot find module " + id), { code: "MODULE_NOT_FOUND" });',
  "  return m;",
  "};",
  'var __tokenform_import_meta_url = require("node:url").pathToFileURL(process.argv[1] || "provider").href;',
].join("\n");

export interface BuildOptions {
  /** Output file (default `BUNDLE_PATH`). */
  outfile?: string;
  /** Minify (default true: smaller file, faster start). */
  minify?: boolean;
}

/** Refuses a bundle that pulled in the token service (native better-sqlite3 must never be loaded). */
function assertNoService(metafile: Metafile): void {
  const forbidden = Object.keys(metafile.inputs).filter(
    (p) => p.includes("src/service/") || p.includes("node_modules/better-sqlite3/"),
  );
  if (forbidden.length > 0) {
    throw new Error(
      `the provider bundle must not contain the token service: ${forbidden.slice(0, 5).join(", ")}`,
    );
  }
}

/**
 * The handshake bundle reaches the destination kinds' registry (`cli.ts` prints the provider schema, whose
 * delivery blocks the kinds declare); each kind loads its sink with `import()` on first use, which only the
 * methods bundle ever does. Those imports stay out of the handshake bundle, which would otherwise carry
 * octokit and libsodium (~700 KB) into every start; `assertNoSinks` checks that they did.
 */
const sinksOnlyInMethods: Plugin = {
  name: "tokenform-sinks-only-in-methods",
  setup(b) {
    b.onResolve({ filter: /\/sinks\// }, (args) =>
      args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined,
    );
  },
};

/**
 * The methods bundle takes `Agent` and `request` from runtime/undici-subset.cjs instead of undici's index,
 * which evaluates all of undici (fetch, WebSocket, caches, mocks) in every process that configures the
 * provider. Only the API client's import is redirected, and only it may import undici: another importer
 * could want more than the subset has.
 */
const undiciSubset: Plugin = {
  name: "tokenform-undici-subset",
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => {
      if (!args.importer.endsWith(join("src", "api", "client.ts"))) {
        return {
          errors: [
            {
              text: `${relative(PROVIDER_DIR, args.importer)} imports undici: extend provider/src/runtime/undici-subset.cjs and this check`,
            },
          ],
        };
      }
      return { path: join(PROVIDER_DIR, "src", "runtime", "undici-subset.cjs") };
    });
  },
};

/** Refuses a handshake bundle that carries the sinks (see `sinksOnlyInMethods`). */
function assertNoSinks(metafile: Metafile): void {
  const sinks = Object.keys(metafile.inputs).filter((p) => p.includes("src/sinks/"));
  if (sinks.length > 0) {
    throw new Error(
      `the provider's handshake bundle must not contain the sinks: ${sinks.slice(0, 5).join(", ")}`,
    );
  }
}

/**
 * The GetProviderSchema response as the provider encodes it, from the methods themselves (the schema
 * never depends on configuration or environment): the bundle answers it without loading the methods.
 */
async function encodedSchemaResponse(): Promise<Uint8Array> {
  const { loadMethods } = await import("./src/methods.js");
  return loadMethods().GetProviderSchema(new Uint8Array(0), {
    signal: new AbortController().signal,
    afterReply: () => undefined,
  });
}

/**
 * Builds the bundle; returns its path. Two passes: methods.ts (handlers, API client, sinks, spec rules —
 * ~1.3 MB) is compiled to CommonJS text first and embedded in main.ts's bundle as a string (compressed),
 * which main evaluates on the first RPC. A start that only hand-shakes then parses ~20 KB instead of all of it; the
 * methods' compiled code is cached across processes by its hash (src/runtime/code-cache.ts).
 */
export async function buildProvider(options: BuildOptions = {}): Promise<string> {
  const { build } = await import("esbuild");
  const outfile = options.outfile ?? BUNDLE_PATH;
  mkdirSync(dirname(outfile), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(PROVIDER_DIR, "..", "package.json"), "utf8")) as {
    version: string;
  };
  const common = {
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: options.minify ?? true,
    legalComments: "none",
    metafile: true,
    logLevel: "error",
    external: NATIVE_EXTERNALS,
  } as const;
  const methods = await build({
    ...common,
    entryPoints: [join(PROVIDER_DIR, "src", "methods.ts")],
    plugins: [undiciSubset],
    write: false,
    outfile: `${outfile}.methods.js`,
    define: {
      // The source-tree fallbacks that read import.meta.url are never taken in the bundle.
      "import.meta.url": '"file:///terraform-provider-tokenform"',
      __TOKENFORM_PROTO__: JSON.stringify(readProtoFiles()),
      __TOKENFORM_PROTO_JSON__: JSON.stringify(parseProto(readProtoFiles()).toJSON()),
      __TOKENFORM_VERSION__: JSON.stringify(pkg.version),
    },
  });
  assertNoService(methods.metafile);
  const methodsCode = methods.outputFiles[0]!.text;
  const schemaResponse = await encodedSchemaResponse();
  const main = await build({
    ...common,
    // main.ts imports methods.ts only when not bundled; the bundle evaluates the embedded text instead.
    external: [...NATIVE_EXTERNALS, "./methods.js"],
    plugins: [sinksOnlyInMethods],
    entryPoints: [join(PROVIDER_DIR, "src", "main.ts")],
    outfile,
    banner: { js: BANNER },
    define: {
      "import.meta.url": "__tokenform_import_meta_url",
      __TOKENFORM_PROTO__: JSON.stringify(readProtoFiles()),
      __TOKENFORM_VERSION__: JSON.stringify(pkg.version),
      // Brotli, then base64: a plain literal a quarter of the size, which every start reads and scans.
      __TOKENFORM_METHODS_BROTLI__: JSON.stringify(
        brotliCompressSync(methodsCode, {
          params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9 },
        }).toString("base64"),
      ),
      __TOKENFORM_SCHEMA_RESPONSE__: JSON.stringify(Buffer.from(schemaResponse).toString("base64")),
      __TOKENFORM_METHODS_HASH__: JSON.stringify(
        createHash("sha256").update(methodsCode).digest("hex").slice(0, 16),
      ),
    },
  });
  assertNoService(main.metafile);
  assertNoSinks(main.metafile);
  chmodSync(outfile, 0o755);
  return outfile;
}

// `tsx provider/build.ts`: build and say where.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildProvider();
  process.stdout.write(`built ${relative(process.cwd(), out)}\n`);
}
