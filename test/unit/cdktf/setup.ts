/**
 * cdktf's Jest matchers (`toHaveResourceWithProperties`, `toHaveProviderWithProperties`, …) under vitest:
 * `Testing.setupJest()` extends the global `expect`, which vitest provides only as an import, so this
 * module exposes it first. Import it before using the matchers; the declarations type them for vitest.
 * With Jest's evaluation, expected properties use the synthesized (snake_case) attribute names.
 */
import { Testing } from "cdktf";
import { expect } from "vitest";

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
