/**
 * Entry point of `terraform-provider-tokenform`. Started by Terraform, it serves the plugin protocol;
 * run by a person with `schema` or `install`, it does that (see cli.ts). Everything past the handshake
 * (methods.ts: handlers, API client, sinks, spec rules) is loaded on the first RPC.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { maskSecrets } from "../../src/api/secret.js";
import type { loadMethods as LoadMethods } from "./methods.js";
import { cachedSource, compileWithCache, keepSource } from "./runtime/code-cache.js";
import { MAGIC_COOKIE_KEY } from "./runtime/handshake.js";
import { serve } from "./runtime/serve.js";

/**
 * methods.ts compiled to CommonJS, Brotli-compressed and base64-encoded by the bundler (provider/build.ts);
 * undefined from source. Kept as compressed text so the ~1.3 MB behind it is neither scanned when the
 * file loads nor parsed before the handshake, only unpacked and compiled on the first RPC: Terraform starts
 * the provider 3–5 times per command and waits for each handshake.
 */
declare const __TOKENFORM_METHODS_BROTLI__: string | undefined;
/**
 * The encoded GetProviderSchema response, base64, computed by the build from the same methods (the schema
 * never depends on configuration); undefined from source. Terraform starts one process per command only
 * for the schema: with this it never loads the methods.
 */
declare const __TOKENFORM_SCHEMA_RESPONSE__: string | undefined;
/** A hash of the methods' code, naming its V8 code cache (runtime/code-cache.ts). */
declare const __TOKENFORM_METHODS_HASH__: string;

async function methods(): Promise<ReturnType<typeof LoadMethods>> {
  if (typeof __TOKENFORM_METHODS_BROTLI__ === "string") {
    let code = cachedSource(__TOKENFORM_METHODS_HASH__);
    if (code === undefined) {
      const { brotliDecompressSync } = await import("node:zlib");
      code = brotliDecompressSync(Buffer.from(__TOKENFORM_METHODS_BROTLI__, "base64")).toString("utf8");
      keepSource(__TOKENFORM_METHODS_HASH__, code);
    }
    const filename = process.argv[1] ?? "terraform-provider-tokenform";
    const module = { exports: {} as { loadMethods?: typeof LoadMethods } };
    const wrapper = compileWithCache(
      `(function (exports, require, module, __filename, __dirname) {${code}\n})`,
      `${filename}#methods`,
      __TOKENFORM_METHODS_HASH__,
    ).runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
    wrapper(module.exports, createRequire(filename), module, filename, dirname(filename));
    return module.exports.loadMethods!();
  }
  const { loadMethods } = await import("./methods.js");
  return loadMethods();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length > 0 && process.env[MAGIC_COOKIE_KEY] === undefined) {
    const { runCliMode } = await import("./cli.js");
    const code = runCliMode(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      self: process.argv[1] ?? "",
    });
    if (code !== undefined) {
      process.exitCode = code;
      return;
    }
  }
  await serve(
    { env: process.env, stdout: process.stdout, stderr: process.stderr, exit: (code) => process.exit(code) },
    methods,
    typeof __TOKENFORM_SCHEMA_RESPONSE__ === "string"
      ? { GetProviderSchema: Buffer.from(__TOKENFORM_SCHEMA_RESPONSE__, "base64") }
      : {},
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    maskSecrets(`[tokenform-provider] failed: ${err instanceof Error ? err.message : String(err)}\n`),
  );
  process.exit(1);
});
