/**
 * V8's code cache for the provider's methods unit, so the processes after the first skip compiling it.
 * Node 20 has no `module.enableCompileCache` (22.1+), but `vm.Script` takes `cachedData` and makes it
 * with `createCachedData()`: the unit is compiled with the cache when one matches (V8 checks the source,
 * its own version and flags, and ignores a cache that does not match), and a process that found none
 * writes one when it exits — by then it holds the functions that process compiled, not only the top level.
 *
 * The cache lives in the user's own cache directory (`$XDG_CACHE_HOME` or `~/.cache`, then
 * `tokenform/provider/`, mode 0700), never in a shared temporary directory: code read from a file another
 * user could write would run as this one. The file name carries the unit's hash, Node's version and the
 * architecture. `TOKENFORM_PROVIDER_CODE_CACHE=0` turns it off. Every failure (no home directory, a
 * read-only disk) just compiles without a cache.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Script, constants as vmConstants } from "node:vm";

/** The cache directory, or undefined when caching is off or there is no home to put it in. */
function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.TOKENFORM_PROVIDER_CODE_CACHE === "0") return undefined;
  const base = env.XDG_CACHE_HOME || (homedir() ? join(homedir(), ".cache") : "");
  return base ? join(base, "tokenform", "provider") : undefined;
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Compiles `source` as a script named `filename`, with the code cache stored under `key` (a hash of the
 * source). Run it with `runInThisContext()`.
 */
export function compileWithCache(
  source: string,
  filename: string,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): Script {
  const dir = cacheDir(env);
  const file = dir && join(dir, `methods-${key}-${process.version}-${process.arch}.v8cache`);
  const cachedData = file ? readOrUndefined(file) : undefined;
  const script = new Script(source, {
    filename,
    ...(cachedData ? { cachedData } : {}),
    // Any import() left in the code (there should be none) behaves as in the main script.
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (dir && file && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const partial = `${file}.${process.pid}`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, file);
      } catch {
        // Without a cache the next process compiles, as this one did.
      }
    });
  }
  return script;
}
