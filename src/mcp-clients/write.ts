/**
 * Writes a key into an MCP client's configuration file (`clients.ts` says which file and what entry):
 * the one server entry is set and everything else in the file — other servers, settings and the comments
 * of VS Code's JSON-with-comments — is kept, by editing the text with `jsonc-parser` instead of
 * re-serialising it (the entry just before a new one may be re-indented). The file is replaced atomically with mode 0600 (`writeFileAtomic`, as every
 * secret file tokenform writes), and a file git would track is refused, as the `file` destination
 * refuses one (`gitPlacement`). With `envReference`, the entry reads the key from that environment
 * variable (`${env:NAME}`) and the file holds no secret.
 */
import { readFile } from "node:fs/promises";
import { applyEdits, modify, type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import type { SecretValue } from "../api/secret.js";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../sinks/file/atomic.js";
import { gitPlacement } from "../sinks/file/git-guard.js";
import {
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
  const edits = modify(text, entry.path, entry.value, {
    formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" },
  });
  const next = applyEdits(text, edits);
  await writeFileAtomic(path, next.endsWith("\n") ? next : `${next}\n`);
  return { path, created: before === undefined, holdsKey };
}
