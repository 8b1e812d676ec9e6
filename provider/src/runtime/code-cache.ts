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
 *
 * The unit's source text is kept there too (`cachedSource`): the bundle carries it compressed, and
 * unpacking it (Brotli, then UTF-8 decoding ~2.5 MB) cost each process ~25 ms before compiling; a copy
 * whose SHA-256 matches the unit's hash is read instead (~3 ms).
 */
import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
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

/** Writes `data` to `file` in `dir` when the process exits (private modes; failures ignored). */
function writeAtExit(dir: string, file: string, data: () => Uint8Array | string): void {
  process.once("exit", () => {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, data(), { mode: 0o600 });
      renameSync(partial, file);
    } catch {
      // Without a cache the next process unpacks or compiles, as this one did.
    }
  });
}

function sourceFile(key: string, env: NodeJS.ProcessEnv): { dir: string; file: string } | undefined {
  const dir = cacheDir(env);
  return dir ? { dir, file: join(dir, `methods-${key}.js`) } : undefined;
}

/**
 * The source text of the unit named by `key` (the first 16 hex digits of the SHA-256 of its UTF-8 text)
 * from the cache directory, when a copy there hashes to `key`; else undefined (see `keepSource`).
 */
export function cachedSource(key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const where = sourceFile(key, env);
  const bytes = where && readOrUndefined(where.file);
  if (!bytes || createHash("sha256").update(bytes).digest("hex").slice(0, 16) !== key) return undefined;
  // ASCII (esbuild's output is) decodes as Latin-1 without UTF-8 decoding's cost.
  return bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
}

/** Copies the source text of the unit named by `key` into the cache directory when the process exits. */
export function keepSource(key: string, source: string, env: NodeJS.ProcessEnv = process.env): void {
  const where = sourceFile(key, env);
  if (where) writeAtExit(where.dir, where.file, () => source);
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
    writeAtExit(dir, file, () => script.createCachedData());
  }
  return script;
}
