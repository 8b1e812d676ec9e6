/**
 * The secret scan of a pull request: every file the pull request changes (listed page by page), its added
 * lines read from GitHub's `patch` and checked with the shared scanner (`src/spec/secret-scan.ts`). A file
 * GitHub gives no patch for (too large a diff) is scanned whole from the checked-out workspace when it is
 * text; anything else is reported as not scanned rather than silently passed. A YAML file's decoded scalars
 * are scanned too (read from the workspace), as `tokenform validate` scans a spec's.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  addedLines,
  isYamlFile,
  type SecretLeak,
  scanPatch,
  scanText,
  scanYamlScalars,
} from "../../src/spec/secret-scan.js";
import type { GithubRest } from "./github.js";

/** Files per page (GitHub's maximum); GitHub lists at most 3,000 files of a pull request. */
const PAGE_SIZE = 100;
/** Larger files without a patch are not read from disk (generated artefacts, not hand-written secrets). */
const MAX_WHOLE_FILE_BYTES = 2 * 1024 * 1024;

/** What the scan found. */
export interface PullRequestScan {
  /** Credentials on added lines, in file order. */
  leaks: SecretLeak[];
  /** Files changed by the pull request (removed files included). */
  filesChanged: number;
  /** Files that could not be scanned (binary, or no patch and not readable as text). */
  notScanned: string[];
}

/** Where the pull request is and where its files are checked out. */
export interface ScanTarget {
  owner: string;
  repo: string;
  pullNumber: number;
  /** The repository checkout (`GITHUB_WORKSPACE`). */
  workspace: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_WHOLE_FILE_BYTES) return undefined;
    const text = await readFile(path, "utf8");
    return text.includes("\u0000") ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Scans the lines a pull request adds for committed credentials. */
export async function scanPullRequest(gh: GithubRest, target: ScanTarget): Promise<PullRequestScan> {
  const leaks: SecretLeak[] = [];
  const notScanned: string[] = [];
  let filesChanged = 0;
  const pages = gh.paginate.iterator(gh.rest.pulls.listFiles, {
    owner: target.owner,
    repo: target.repo,
    pull_number: target.pullNumber,
    per_page: PAGE_SIZE,
  });
  for await (const page of pages) {
    for (const file of page.data) {
      filesChanged++;
      if (file.status === "removed") continue;
      const yaml = isYamlFile(file.filename);
      if (file.patch !== undefined) {
        leaks.push(...scanPatch(file.filename, file.patch));
        if (!yaml) continue;
        // Decoded YAML scalars on the added lines: escapes and continuations can hide a credential.
        const text = await readText(resolve(target.workspace, file.filename));
        const added = new Set(addedLines(file.patch).map((a) => a.line));
        if (text !== undefined) leaks.push(...scanYamlScalars(file.filename, text, (l) => added.has(l)));
        continue;
      }
      const text = await readText(resolve(target.workspace, file.filename));
      if (text === undefined) notScanned.push(file.filename);
      else
        leaks.push(...scanText(file.filename, text), ...(yaml ? scanYamlScalars(file.filename, text) : []));
    }
  }
  return { leaks, filesChanged, notScanned };
}
