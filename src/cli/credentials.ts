/**
 * The CLI's stored credentials (`tokenform login`): `$XDG_CONFIG_HOME/tokenform/credentials.json`
 * (default `~/.config/tokenform/credentials.json`), one admin key per service URL and the URL logged in
 * to last, which commands use when neither a flag nor the environment names a service. The file is
 * written atomically (a temporary file renamed over it) with mode 0600 in a directory of mode 0700, and a
 * file others can read is refused, as ssh refuses a readable private key. Keys are never printed: the
 * file is the only place they are written.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../sinks/file/atomic.js";
import { CliError } from "./errors.js";

/** The file's shape (version 1). */
const CredentialsFileSchema = z.object({
  version: z.literal(1),
  /** The URL logged in to last: commands use it when no flag or environment variable names one. */
  current: z.string().nullable(),
  services: z.record(
    z.string(),
    z.object({ token: z.string().min(1), savedAt: z.string(), name: z.string().optional() }),
  ),
});
export type CredentialsFile = z.infer<typeof CredentialsFileSchema>;

/** One stored login. */
export interface StoredLogin {
  url: string;
  token: string;
  /** Name of the admin key, as the service answered at login. */
  name?: string;
}

/** Where the credentials file is for `env`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "tokenform", "credentials.json");
}

const EMPTY: CredentialsFile = { version: 1, current: null, services: {} };

/** The stored credentials, or none when the file does not exist; a readable or broken file is an error. */
export function readCredentials(env: NodeJS.ProcessEnv = process.env): CredentialsFile {
  const path = credentialsPath(env);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return EMPTY;
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      `${path} can be read by other users (mode ${(mode & 0o777).toString(8)}): it holds admin keys`,
      1,
      `chmod 600 ${path}, or run tokenform logout and log in again`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new CliError(`${path} is not valid JSON`, 1, "delete it and run tokenform login again");
  }
  const result = CredentialsFileSchema.safeParse(parsed);
  if (!result.success) {
    throw new CliError(
      `${path} is not a tokenform credentials file`,
      1,
      "delete it and run tokenform login again",
    );
  }
  return result.data;
}

/** Writes `file` atomically with mode 0600 (its directory 0700: `writeFileAtomic`, as secret files are). */
export async function writeCredentials(
  file: CredentialsFile,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = credentialsPath(env);
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

/** Stores `login` and makes its URL the current one. */
export function saveLogin(
  login: StoredLogin,
  at: Date,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const file = readCredentials(env);
  file.services[login.url] = {
    token: login.token,
    savedAt: at.toISOString(),
    ...(login.name !== undefined ? { name: login.name } : {}),
  };
  file.current = login.url;
  return writeCredentials(file, env);
}

/** Forgets the login of `url` (default: the current one); returns the URL forgotten, if any. */
export function forgetLogin(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = readCredentials(env);
  const target = url ?? file.current ?? undefined;
  if (target === undefined || !(target in file.services)) return undefined;
  delete file.services[target];
  if (file.current === target) file.current = Object.keys(file.services)[0] ?? null;
  writeCredentials(file, env);
  return target;
}

/** The stored login for `url`, or for the current URL when `url` is undefined. */
export function storedLogin(
  url: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): StoredLogin | undefined {
  const file = readCredentials(env);
  const target = url ?? file.current ?? undefined;
  if (target === undefined) return undefined;
  const entry = file.services[target];
  return entry ? { url: target, token: entry.token, ...(entry.name ? { name: entry.name } : {}) } : undefined;
}
