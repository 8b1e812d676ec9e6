/**
 * The provider executable for tests: built once per test file into a temporary directory with the real
 * build (provider/build.ts), so tests exercise exactly what Terraform runs. The directory — with the
 * provider's code cache — is removed after the test file that imports this module.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { buildProvider } from "../../build.js";

let built: Promise<string> | undefined;
let dir: string | undefined;

// Registered when a test file imports this module, so it runs after that file's own afterAll hooks.
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Path of a freshly built provider bundle (built on first call). */
export function providerBundle(): Promise<string> {
  if (!built) {
    dir = mkdtempSync(join(tmpdir(), "tokenform-provider-"));
    // The provider's V8 code cache (src/runtime/code-cache.ts) goes with the bundle, not into ~/.cache:
    // every process this test file starts (through terraform too) inherits the variable.
    process.env.XDG_CACHE_HOME = join(dir, "cache");
    built = buildProvider({ outfile: join(dir, "terraform-provider-tokenform") });
  }
  return built;
}
