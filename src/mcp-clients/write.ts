/**
 * Writes a key into an MCP client's configuration file (`clients.ts` says which file and what entry):
 * the one server entry is set and everything else in the file — other servers, settings, the comments
 * of VS Code's JSON-with-comments, and the holder's own fields and headers in that entry — is kept, by
 * editing the text with `jsonc-parser` instead of re-serialising it (the entry just before a new one may
 * be re-indented). The file is replaced atomically with mode 0600 (`writeFileAtomic`, as every secret
 * file tokenform writes), and a file git would track is refused, as the `file` destination refuses one
 * (`gitPlacement`). With `envReference`, the entry reads the key from that environment variable
 * (`${env:NAME}`) and the file holds no secret.
 */
import { readFile } from "node:fs/promises";
import { applyEdits, modify, type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import type { SecretValue } from "../api/secret.js";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../sinks/file/atomic.js";
import { gitPlacement } from "../sinks/file/git-guard.js";
import {
  type ClientEntry,
  configPath,
  entryFor,
  type HeaderStyle,
  type MachinePaths,
  type McpClient,
  readsEnvReferences,
} from "./clients.js";

/** What to write: the client, the server's name in its configuration, its URL and header form. */
export interface ClientServer {
  client: McpClient;
  server: string;
  url: string;
  header: HeaderStyle;
}

export interface WriteClientOptions {
  machine: MachinePaths;
  /** Reference the key as `${env:NAME}` instead of writing it (Cursor, Windsurf, VS Code). */
  envReference?: string;
}

export interface WrittenClientConfig {
  path: string;
  /** True when the file did not exist before. */
  created: boolean;
  /** Whether the file holds the key itself (false with `envReference`). */
  holdsKey: boolean;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Line (1-based) of a character offset in `text`. */
function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

/** Refuses a path git would track (inside a work tree and not ignored), or one git cannot place. */
async function refuseTracked(path: string): Promise<void> {
  const placement = await gitPlacement(path);
  if (placement.kind === "tracked-area") {
    throw new ConfigError(
      `refusing to write a key into ${path}: it is inside the git work tree ${placement.root} and not git-ignored; ignore it, or use --env-reference so the file holds no key`,
    );
  }
  if (placement.kind === "unknown") {
    throw new ConfigError(
      `refusing to write a key into ${path}: could not tell whether git would track it (${placement.reason})`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const FORMATTING = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" } };

/** Header names (any case) that carry a key: one left beside the new key would still send the old. */
const KEY_HEADERS = new Set(["authorization", "x-api-key"]);

/**
 * `entry` set into `text`. A server already there (a rotation's pickup, or an entry the holder wrote) is
 * updated field by field — its other fields, other headers and other `env` variables are the holder's and
 * stay — and a header carrying a key in another form is dropped; otherwise the entry is added whole.
 */
function setEntry(text: string, entry: ClientEntry, existing: unknown): string {
  let next = text;
  const set = (path: string[], value: unknown) => {
    next = applyEdits(next, modify(next, path, value, FORMATTING));
  };
  if (!isObject(existing)) {
    set(entry.path, entry.value);
    return next;
  }
  for (const [field, value] of Object.entries(entry.value)) {
    const before = existing[field];
    if (!isObject(value) || !isObject(before)) {
      set([...entry.path, field], value);
      continue;
    }
    if (field === "headers") {
      for (const name of Object.keys(before)) {
        if (KEY_HEADERS.has(name.toLowerCase()) && !(name in value))
          set([...entry.path, field, name], undefined);
      }
    }
    for (const [name, item] of Object.entries(value)) set([...entry.path, field, name], item);
  }
  return next;
}

/** Sets `target`'s entry in its client's configuration file, keeping everything else in the file. */
export async function writeClientConfig(
  target: ClientServer,
  key: SecretValue,
  options: WriteClientOptions,
): Promise<WrittenClientConfig> {
  const { client, server, url, header } = target;
  if (options.envReference !== undefined && !readsEnvReferences(client)) {
    throw new ConfigError(
      `${client} does not read \${env:…} in its configuration: the key is written into the file (mode 0600); leave out the environment reference`,
    );
  }
  if (options.envReference !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.envReference)) {
    throw new ConfigError(
      `${JSON.stringify(options.envReference)} is not an environment variable name (letters, digits, _)`,
    );
  }
  const path = configPath(client, options.machine);
  const before = await readIfExists(path);
  const text = before === undefined || before.trim() === "" ? "{}\n" : before;
  const errors: ParseError[] = [];
  const document: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new ConfigError(
      `${path} is not valid JSON (line ${lineOf(text, first.offset)}: ${printParseErrorCode(first.error)}): fix it first; nothing was written`,
    );
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new ConfigError(`${path} does not hold a JSON object: fix it first; nothing was written`);
  }
  const holdsKey = options.envReference === undefined;
  if (holdsKey) await refuseTracked(path);
  const reference = options.envReference === undefined ? key.reveal() : `\${env:${options.envReference}}`;
  const entry = entryFor(client, server, url, header, reference);
  const section = (document as Record<string, unknown>)[entry.path[0]];
  if (section !== undefined && !isObject(section)) {
    throw new ConfigError(
      `${path}: ${JSON.stringify(entry.path[0])} is not an object: fix it first; nothing was written`,
    );
  }
  const next = setEntry(text, entry, section?.[entry.path[1]]);
  await writeFileAtomic(path, next.endsWith("\n") ? next : `${next}\n`);
  return { path, created: before === undefined, holdsKey };
}
