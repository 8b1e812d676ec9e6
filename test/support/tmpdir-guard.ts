/**
 * Vitest global setup: the whole run gets its own temporary directory (TMPDIR, which os.tmpdir() and
 * every child process read), so what the tests create is told apart from what other processes on the
 * machine put in /tmp. At the end it must be empty — apart from tsx's compile cache (`tsx-<uid>`) — or
 * the run fails (exit code 1) naming what was left; the directory is removed either way.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Entries that are caches and settings of tools the tests run, not files a test forgot: tsx's compile
 * cache, and the run's XDG_CONFIG_HOME (Chromium writes its profile settings there).
 */
const TOOL_CACHES = /^(?:tsx-\d+|config-home)$/;

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), "tokenform-vitest-"));
  // Traversable by every user, as /tmp is: the PostgreSQL tests run the server as its own user when root.
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  // No test reads the developer's own `tokenform login` credentials: the run has a configuration
  // directory of its own, where no login is stored (tests of login point XDG_CONFIG_HOME at theirs).
  const previousConfig = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = join(dir, "config-home");
  return () => {
    if (previousConfig === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = previousConfig;
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = readdirSync(dir).filter((name) => !TOOL_CACHES.test(name));
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      // A teardown error is only printed by vitest; the exit code is what fails the run.
      process.exitCode = 1;
      process.stderr.write(
        `\nThe tests left ${left.length} entries in their temporary directory: ${left.sort().join(", ")}.\n` +
          "Each test must remove what it creates (afterAll/afterEach with rmSync(dir, { recursive: true, force: true })).\n",
      );
    }
  };
}
