/**
 * The provider executable for tests: built once per test file into a temporary directory with the real
 * build (provider/build.ts), so tests exercise exactly what Terraform runs.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProvider } from "../../build.js";

let built: Promise<string> | undefined;

/** Path of a freshly built provider bundle (built on first call). */
export function providerBundle(): Promise<string> {
  built ??= buildProvider({
    outfile: join(mkdtempSync(join(tmpdir(), "tokenform-provider-")), "terraform-provider-tokenform"),
  });
  return built;
}
