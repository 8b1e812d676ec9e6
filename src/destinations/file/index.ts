/**
 * The `file` destination kind: a local file on the machine that runs apply, written 0600 by atomic
 * replace. Everything tokenform knows about the kind is declared here (see `../kind.ts`); the sink itself
 * is `src/sinks/file`, loaded on first use.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import type { z as zod } from "zod";
import { envVariableOf } from "../../spec/identifiers.js";
import { type DestinationKind, lazySink, type ResolveContext, tf, type Zod } from "../kind.js";

/** A local file, written 0600 by atomic replace; refused inside a git work tree unless git-ignored. */
function fileSchema(z: Zod) {
  return z
    .strictObject({
      path: z.string().min(1).describe("File path; `~` is the home directory."),
      format: z
        .enum(["env", "raw"])
        .optional()
        .describe("`env` writes `KEY=value` (default), `raw` writes the bare secret."),
      key: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "expected an environment variable name" })
        .optional()
        .describe("Variable name for `format: env` (default derived from the token name)."),
    })
    .describe("Deliver to a local file.");
}

/** The `file` block as written. */
export type FileDelivery = zod.infer<ReturnType<typeof fileSchema>>;

/** A resolved local file destination; `path` is absolute (`~` expanded). */
export interface FileDestination {
  kind: "file";
  path: string;
  format: "env" | "raw";
  /** Variable name written for `format: env`. */
  key: string;
  /**
   * Present when the spec wrote no `key` and this one was derived from the token's name: a plan keeps the
   * key the file already has from the token instead (`keepFileKeys`), so a rename never renames the variable.
   */
  keyDerived?: true;
}

/** `~` and `~/x` are the home directory; other relative paths are relative to the spec's directory. */
function filePath(path: string, context: ResolveContext): string {
  if (path === "~" || path.startsWith("~/")) return join(context.homeDir ?? homedir(), path.slice(1));
  return isAbsolute(path) ? resolvePath(path) : resolvePath(context.baseDir, path);
}

/** Default variable name for a file: the token name's variable form (`envVariableOf`: `Cursor MCP` → `CURSOR_MCP`). */
export function envKeyFor(tokenName: string): string {
  return envVariableOf(tokenName);
}

export const file = {
  kind: "file",
  spec: { schema: fileSchema, patternCodes: [] },
  resolve: (f, tokenName, context) => ({
    kind: "file",
    path: filePath(f.path, context),
    format: f.format ?? "env",
    key: f.key ?? envKeyFor(tokenName),
    ...(f.key === undefined ? { keyDerived: true as const } : {}),
  }),
  id: (d) => (d.format === "env" ? `file:${d.path}#${d.key}` : `file:${d.path}`),
  describe: (d) => (d.format === "env" ? `file ${d.path} (${d.key})` : `file ${d.path}`),
  settings: (d) => (d.format === "raw" ? ["the raw secret, no variable name"] : []),
  local: true,
  credentials: [],
  recorded(d) {
    if (!d.keyDerived) return { ...d };
    const { keyDerived: _derived, ...rest } = d;
    return rest;
  },
  // The key is fixed when the file is first delivered and changes only when the spec writes another one.
  keepDerived(d, existing) {
    if (!d.keyDerived || d.format !== "env") return d;
    const before = existing.find(
      (e): e is FileDestination =>
        e.kind === "file" &&
        (e as FileDestination).format === "env" &&
        (e as FileDestination).path === d.path,
    );
    if (before === undefined || before.key === d.key) return d;
    return { ...d, key: before.key };
  },
  // No credentials: the file is written with the permissions of whoever runs apply.
  sink: ({ options }) =>
    lazySink("file", async () => {
      const { FileSink } = await import("../../sinks/file/sink.js");
      return new FileSink(options.logger ? { logger: options.logger } : {});
    }),
  terraform: {
    typeName: "file",
    description:
      "Deliver the secret to a local file (mode 0600; refused inside a git work tree unless git-ignored).",
    attributes: [
      tf.required("path", "string", "File path; `~` is the home directory."),
      tf.optional("format", "string", "`env` writes KEY=value (default), `raw` writes the bare secret."),
      tf.defaulted(
        "key",
        "string",
        "Variable name for format env. Default: derived from the token name when the block is added (`laptop-dev` → `LAPTOP_DEV`), then kept: renaming the token does not rename the variable.",
      ),
    ],
    fields: { path: "path", format: "format", key: "key" },
  },
  cdktf: {
    key: "file" as const,
    // A derived key is left to the provider, which keeps the key the file already has (a rename never
    // renames the variable) and derives it from the name only for a new file.
    block: (d) => ({ path: d.path, format: d.format, ...(d.keyDerived ? {} : { key: d.key }) }),
  },
  action: {
    onRunner: "refuse",
    inputs: [],
    refusal: (d) => ({
      deliver: `the GitHub Action does not write secrets to files on the runner (${d.path}); apply tokens with file destinations with \`tokenform apply\` on the machine that uses them, and keep them out of the specs the Action applies`,
      inspect: `the GitHub Action does not read files on the runner (${d.path})`,
    }),
  },
} satisfies DestinationKind<"file", FileDelivery, FileDestination, unknown, never>;
