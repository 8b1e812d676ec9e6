/**
 * Entry point of `terraform-provider-tokenform`. Started by Terraform, it serves the plugin protocol;
 * run by a person with `schema` or `install`, it does that (see cli.ts). Everything past the handshake
 * (methods.ts: handlers, API client, sinks, spec rules) is loaded on the first RPC.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { runInThisContext, constants as vmConstants } from "node:vm";
import { maskSecrets } from "../../src/api/secret.js";
import type { loadMethods as LoadMethods } from "./methods.js";
import { MAGIC_COOKIE_KEY } from "./runtime/handshake.js";
import { serve } from "./runtime/serve.js";

/**
 * methods.ts compiled to CommonJS, embedded by the bundler (provider/build.ts); undefined from source.
 * Kept as text so the ~1.3 MB behind it is parsed on the first RPC, not before the handshake: Terraform
 * starts the provider 3–5 times per command and waits for each handshake.
 */
declare const __TOKENFORM_METHODS__: string | undefined;

async function methods(): Promise<ReturnType<typeof LoadMethods>> {
  if (typeof __TOKENFORM_METHODS__ === "string") {
    const filename = process.argv[1] ?? "terraform-provider-tokenform";
    const module = { exports: {} as { loadMethods?: typeof LoadMethods } };
    const wrapper = runInThisContext(
      `(function (exports, require, module, __filename, __dirname) {${__TOKENFORM_METHODS__}\n})`,
      {
        filename: `${filename}#methods`,
        // Any import() left in the code (there should be none) behaves as in the main script.
        importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      },
    ) as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
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
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    maskSecrets(`[tokenform-provider] failed: ${err instanceof Error ? err.message : String(err)}\n`),
  );
  process.exit(1);
});
