/**
 * The CLI as a source checkout runs it after `npm install` (whose `prepare` compiles `src/` into `dist/`):
 * a temporary package root with the sources transpiled file by file into `dist/` (esbuild, the same
 * module layout tsc emits, without type-checking), the checkout's package.json and a link to its
 * node_modules — so `node <root>/dist/cli/index.js` behaves as `npx tokenform` does, without touching the
 * checkout's own dist/. With `providerSources`, `provider/` (without its dist/) is copied in as well.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import type { CliRun } from "./cli.js";

const REPO = join(import.meta.dirname, "../..");

export interface CompiledPackage {
  /** The temporary package root. */
  root: string;
  /** `node <root>/dist/cli/index.js <args>` in `cwd`, everything it prints captured. */
  run(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): CliRun;
  /** Removes the package root. */
  remove(): void;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}

export async function compiledPackage(options: { providerSources?: boolean } = {}): Promise<CompiledPackage> {
  const { build } = await import("esbuild");
  const root = mkdtempSync(join(tmpdir(), "tokenform-compiled-"));
  try {
    await build({
      entryPoints: sources(join(REPO, "src")),
      outdir: join(root, "dist"),
      outbase: join(REPO, "src"),
      platform: "node",
      format: "esm",
      target: "node20",
      tsconfig: join(REPO, "tsconfig.json"),
      logLevel: "error",
    });
    cpSync(join(REPO, "package.json"), join(root, "package.json"));
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
    if (options.providerSources) {
      // The provider imports a few modules from ../src; its build reads them from the checkout.
      symlinkSync(join(REPO, "src"), join(root, "src"), "dir");
      cpSync(join(REPO, "provider"), join(root, "provider"), {
        recursive: true,
        filter: (from) => {
          const rel = relative(join(REPO, "provider"), from).split(sep);
          return rel[0] !== "dist" && rel[0] !== "test";
        },
      });
    }
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const cli = join(root, "dist", "cli", "index.js");
  return {
    root,
    run(args, runOptions = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...runOptions.env };
      for (const key of ["TOKENFORM_API_URL", "TOKENFORM_API_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN"]) {
        if (!runOptions.env || !(key in runOptions.env)) delete env[key];
      }
      const r = spawnSync(process.execPath, [cli, ...args], {
        cwd: runOptions.cwd ?? root,
        env,
        encoding: "utf8",
        timeout: 180_000,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
