/**
 * Atomic, private file replacement: the new content is written to a temporary file in the same directory
 * (created 0600, so it is never readable by others even for a moment), flushed to disk, then renamed over
 * the target. A reader sees the old file or the new one, never half of one; a crash leaves at most a stray
 * `.tokenform-*.tmp` file. The result is 0600 whatever mode an older file had. Missing parent directories
 * are created 0700.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Owner read/write only: the file holds a live credential. */
export const SECRET_FILE_MODE = 0o600;
/** Owner only, for directories tokenform creates to hold such files. */
export const SECRET_DIR_MODE = 0o700;

/** Replaces `path` with `content` atomically, mode 0600. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
  const tmp = join(dir, `.${basename(path)}.tokenform-${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", SECRET_FILE_MODE);
  try {
    try {
      await handle.writeFile(content, "utf8");
      // The umask cannot widen 0600, but an explicit chmod states the intent and survives odd filesystems.
      await handle.chmod(SECRET_FILE_MODE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/** Flushes the directory entry of the rename (best effort: not every platform allows fsync on a directory). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows and some network filesystems refuse; the rename itself has still happened.
  }
}
