/**
 * cdktf's Jest matchers (`toHaveResourceWithProperties`, `toHaveProviderWithProperties`, …) under vitest:
 * `Testing.setupJest()` extends the global `expect`, which vitest provides only as an import, so this
 * module exposes it first. Import it before using the matchers; the declarations type them for vitest.
 * With Jest's evaluation, expected properties use the synthesized (snake_case) attribute names.
 * `Testing.synthScope` makes a `cdktf.outdir.*` directory in os.tmpdir() per call and never removes it,
 * so the importing file's temporary directory is one of its own, removed after its tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { afterAll, expect } from "vitest";

const previousTmpdir = process.env.TMPDIR;
const synthDir = mkdtempSync(join(tmpdir(), "tokenform-cdktf-synth-"));
process.env.TMPDIR = synthDir;
afterAll(() => {
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  rmSync(synthDir, { recursive: true, force: true });
});

(globalThis as { expect?: unknown }).expect = expect;
Testing.setupJest();

/** A generated binding class: the matchers read its `tfResourceType`. */
interface TerraformConstructor {
  readonly tfResourceType: string;
}

interface CdktfMatchers<R = unknown> {
  toHaveResource(type: TerraformConstructor): R;
  toHaveResourceWithProperties(type: TerraformConstructor, properties: Record<string, unknown>): R;
  toHaveProvider(type: TerraformConstructor): R;
  toHaveProviderWithProperties(type: TerraformConstructor, properties: Record<string, unknown>): R;
  toBeValidTerraform(): R;
}

declare module "vitest" {
  // biome-ignore lint/suspicious/noExplicitAny: must repeat vitest's own declaration (`Matchers<T = any>`) to merge with it
  interface Matchers<T = any> extends CdktfMatchers<T> {}
}
