/**
 * The provider's version: the tokenform package version. Embedded by the bundler
 * (`__TOKENFORM_VERSION__`), read from package.json when running from source.
 */
import { readFileSync } from "node:fs";

/** Embedded by the bundler; undefined when running from source. */
declare const __TOKENFORM_VERSION__: string | undefined;

let cached: string | undefined;

export function providerVersion(): string {
  if (typeof __TOKENFORM_VERSION__ !== "undefined") return __TOKENFORM_VERSION__;
  cached ??= (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
