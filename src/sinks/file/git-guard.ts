/**
 * Keeps secrets out of git: tells whether a path lies inside a git work tree and, if so, whether git
 * ignores it. Asks git itself (`git rev-parse --show-toplevel`, `git check-ignore`) from the file's
 * directory (or its nearest existing ancestor), so nested repositories, worktrees, global excludes and
 * `.git/info/exclude` all count. Without git on the machine there is no work tree to protect.
 */
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

/** What git says about a path. `unknown`: git failed in a way that does not prove "not a repository". */
export type GitPlacement =
  | { kind: "outside" }
  | { kind: "ignored"; root: string }
  | { kind: "tracked-area"; root: string }
  | { kind: "unknown"; reason: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** git is not installed (spawn failed with ENOENT). */
  missing: boolean;
}

function git(args: string[], cwd: string): Promise<Run> {
  // GIT_DIR / GIT_WORK_TREE (set inside hooks) would point git at another repository than the path's.
  const env = { ...process.env };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  return new Promise((resolve) => {
    execFile("git", args, { cwd, env, encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr, missing: false });
      const code = typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr, missing: error.code === "ENOENT" });
    });
  });
}

async function nearestExistingDirectory(path: string): Promise<string> {
  let dir = dirname(path);
  for (;;) {
    try {
      if ((await stat(dir)).isDirectory()) return dir;
    } catch {
      // Not there yet: it will be created; look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) return dir;
    dir = parent;
  }
}

/** How long a directory's work-tree answer is reused: a run writing many files to one place asks git once. */
const TOPLEVEL_CACHE_MS = 30_000;

/**
 * Which of `dir` and its ancestors hold a `.git` entry (a directory, or a file for worktrees/submodules).
 * A repository created or removed above a directory changes this, so a cached answer is never stale for it.
 */
async function gitMarkers(dir: string): Promise<string> {
  const found: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    try {
      await stat(join(current, ".git"));
      found.push(current);
    } catch {
      // No repository marker at this level.
    }
    if (dirname(current) === current) break;
  }
  return found.join("\n");
}

/**
 * Remembers `git rev-parse --show-toplevel` per directory for a short while (one cache per sink instance).
 * An entry is reused only while the `.git` markers above the directory are unchanged.
 */
export class ToplevelCache {
  readonly #entries = new Map<string, { at: number; markers: string; run: Promise<Run> }>();
  async get(cwd: string): Promise<Run> {
    const now = Date.now();
    const markers = await gitMarkers(cwd);
    const hit = this.#entries.get(cwd);
    if (hit && now - hit.at < TOPLEVEL_CACHE_MS && hit.markers === markers) return hit.run;
    const run = git(["rev-parse", "--show-toplevel"], cwd);
    this.#entries.set(cwd, { at: now, markers, run });
    return run;
  }
}

/** Where `path` (absolute) stands with respect to git. */
export async function gitPlacement(path: string, cache?: ToplevelCache): Promise<GitPlacement> {
  const cwd = await nearestExistingDirectory(path);
  const top = await (cache ? cache.get(cwd) : git(["rev-parse", "--show-toplevel"], cwd));
  if (top.missing) return { kind: "outside" };
  if (top.code !== 0) {
    // "not a git repository" is a clear no; anything else (dubious ownership, a broken repository) is not.
    if (/not a git repository/i.test(top.stderr)) return { kind: "outside" };
    if (/must be run in a work tree/i.test(top.stderr)) return { kind: "outside" };
    return { kind: "unknown", reason: top.stderr.trim().split("\n")[0] ?? `git exited ${top.code}` };
  }
  const root = top.stdout.trim();
  if (root === "") return { kind: "outside" };
  const check = await git(["check-ignore", "-q", "--", relative(cwd, path)], cwd);
  if (check.code === 0) return { kind: "ignored", root };
  if (check.code === 1) return { kind: "tracked-area", root };
  return { kind: "unknown", reason: check.stderr.trim().split("\n")[0] ?? `git exited ${check.code}` };
}
