/**
 * The provider's V8 code cache (src/runtime/code-cache.ts), with the built executable: the first process
 * that loads the methods writes the cache into the user's cache directory (private modes), later
 * processes start from it and answer as before, a damaged cache is ignored and replaced, and
 * `TOKENFORM_PROVIDER_CODE_CACHE=0` writes none. The unpacked source text is kept next to it, and is read
 * only when it hashes to the unit. A process asked only for the schema loads no methods.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnostics as diagnosticsFromProto } from "../../src/protocol/fromproto.js";
import { providerBundle } from "../support/bundle.js";
import { type ClientIdentity, createClientIdentity, startPlugin } from "../support/plugin-client.js";

let bundle: string;
let identity: ClientIdentity;
let home: string;

beforeAll(async () => {
  [bundle, identity] = await Promise.all([providerBundle(), createClientIdentity()]);
  home = mkdtempSync(join(tmpdir(), "tokenform-code-cache-"));
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Starts the provider with `env`, makes one call that needs the methods, shuts it down cleanly. */
async function oneCall(env: NodeJS.ProcessEnv): Promise<void> {
  const plugin = await startPlugin({ command: bundle, identity, env });
  try {
    // GetProviderSchema is answered without the methods (build-time answer); GetMetadata loads them.
    const res = await plugin.call("GetMetadata", {});
    expect(diagnosticsFromProto(res.diagnostics)).toEqual([]);
    expect(res.resources).toEqual([{ type_name: "tokenform_token" }]);
    expect(await plugin.shutdown()).toBe(0);
  } finally {
    await plugin.close();
  }
}

describe("the provider's code cache", () => {
  it("is written by the first process, private, and used by the next", async () => {
    const cacheHome = join(home, "on");
    await oneCall({ XDG_CACHE_HOME: cacheHome });
    const dir = join(cacheHome, "tokenform", "provider");
    // The compiled code, and the unpacked source text it was compiled from.
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[1]).toMatch(/^methods-[0-9a-f]{16}\.js$/);
    expect(files[0]).toMatch(
      new RegExp(`^methods-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8cache$`),
    );
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const [file, source] = files.map((f) => join(dir, f)) as [string, string];
    for (const f of [source, file]) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(statSync(f).size).toBeGreaterThan(10_000);
    }
    const written = statSync(file).mtimeMs;
    const sourceWritten = statSync(source).mtimeMs;

    // Accepted: the next process answers the same and leaves the cache as it was.
    await oneCall({ XDG_CACHE_HOME: cacheHome });
    expect(statSync(file).mtimeMs).toBe(written);
    expect(statSync(source).mtimeMs).toBe(sourceWritten);

    // Damaged: ignored (V8 rejects it), the call still answers, and a good cache replaces it.
    writeFileSync(file, "not a code cache");
    await oneCall({ XDG_CACHE_HOME: cacheHome });
    expect(statSync(file).size).toBeGreaterThan(10_000);

    // A source text that does not hash to the unit's name is not run: unpacked again and replaced.
    writeFileSync(source, `throw new Error("not the methods");${" ".repeat(20_000)}`);
    await oneCall({ XDG_CACHE_HOME: cacheHome });
    expect(statSync(source).size).toBeGreaterThan(100_000);
  });

  it("is not needed by a process Terraform starts only for the schema (answered from the build)", async () => {
    const cacheHome = join(home, "schema-only");
    const plugin = await startPlugin({ command: bundle, identity, env: { XDG_CACHE_HOME: cacheHome } });
    try {
      const res = await plugin.call("GetProviderSchema", {});
      expect(Object.keys(res.resource_schemas as object)).toEqual(["tokenform_token"]);
      expect(await plugin.shutdown()).toBe(0);
    } finally {
      await plugin.close();
    }
    // The methods were never loaded, so there was nothing to cache.
    expect(() => readdirSync(cacheHome)).toThrow();
  });

  it("is not written when turned off", async () => {
    const cacheHome = join(home, "off");
    await oneCall({ XDG_CACHE_HOME: cacheHome, TOKENFORM_PROVIDER_CODE_CACHE: "0" });
    expect(() => readdirSync(cacheHome)).toThrow();
  });
});
