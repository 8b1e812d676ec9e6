/**
 * `tokenform quickstart` (what `npm start` runs): plans and applies quickstart/quickstart.yaml on the embedded
 * token service, delivering to file sinks in `.tokenform/quickstart/` (git-ignored, next to the embedded
 * service's database, so a second run finds the secrets it delivered), prints the plan and the
 * tokens table, then proves the result end to end with a real MCP exchange (quickstart-mcp.ts): the
 * delivered read-only key initializes, lists and calls a read-only tool, is refused a destructive one, and
 * a key that was never issued gets 401. Running it again prints "No changes".
 * Secrets appear only in the delivered files (mode 0600), never on screen.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { displayPrefixOf } from "../../api/secret.js";
import { ownerSelector } from "../../plan/fetch.js";
import { renderText } from "../../plan/render/text.js";
import type { FileDestination, ResolvedTokenSet } from "../../spec/resolved.js";
import { generateToken } from "../../spec/token-format.js";
import { connect, EMBEDDED_DB } from "../connect.js";
import { CliError } from "../errors.js";
import { renderTokensTable } from "../tokens-table.js";
import { applyWithProgress, type Io, loadSpecs, planSpecs, processIo, useColor } from "./common.js";
import { proveMcp } from "./quickstart-mcp.js";

export interface QuickstartOptions {
  spec?: string;
  outDir?: string;
}

/**
 * Where the quickstart's file sinks write by default: `.tokenform/quickstart/` in the working directory,
 * beside the embedded database that records them (git-ignored; shared with no other user or checkout).
 */
export function defaultQuickstartDir(): string {
  return join(dirname(EMBEDDED_DB), "quickstart");
}

/** Places every file destination of the set in `outDir` (same file name), so nothing lands in the repo. */
function intoDirectory(set: ResolvedTokenSet, outDir: string): ResolvedTokenSet {
  return {
    ...set,
    tokens: set.tokens.map((t) => ({
      ...t,
      deliver: t.deliver.map((d) => (d.kind === "file" ? { ...d, path: join(outDir, basename(d.path)) } : d)),
    })),
  };
}

/** Reads the secret a file destination holds. */
async function readDelivered(d: FileDestination): Promise<string | undefined> {
  const text = await readFile(d.path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  if (d.format === "raw") return text.trim() || undefined;
  const line = text.split(/\r?\n/).find((l) => l.startsWith(`${d.key}=`));
  return line?.slice(d.key.length + 1).trim() || undefined;
}

export async function runQuickstart(options: QuickstartOptions, io: Io = processIo()): Promise<number> {
  const color = useColor(io.stdout, undefined);
  const specPath = resolve(options.spec ?? "quickstart/quickstart.yaml");
  const outDir = resolve(options.outDir ?? defaultQuickstartDir());
  const set = intoDirectory(await loadSpecs([specPath], io, color), outDir);
  const connection = await connect({ embedded: true });
  try {
    io.stdout.write(
      `tokenform quickstart\n  spec:     ${specPath}\n  service:  ${connection.where}\n  secrets:  files under ${outDir} (mode 0600)\n\n`,
    );
    // File sinks only (env {}): the quickstart never reaches for GitHub or GitLab credentials.
    const plan = await planSpecs(connection.api, set, { env: {} });
    io.stdout.write(renderText(plan, { color }));
    if (plan.changes.length > 0) {
      io.stdout.write("\n");
      // File sinks only: the quickstart never reaches for GitHub or GitLab credentials.
      if ((await applyWithProgress(connection.api, plan, io, color, {})) !== 0) return 1;
    }

    io.stdout.write("\nTokens:\n");
    io.stdout.write(
      renderTokensTable(await connection.api.listAllTokens({ selector: ownerSelector(set.owner) })),
    );

    // Prove it: a real MCP exchange with a delivered read-only key, against an SDK server guarded by tokenform.
    const candidate =
      set.tokens.find(
        (t) =>
          t.enabled &&
          t.readOnly &&
          t.scopes.includes("tools:call") &&
          t.deliver.some((d) => d.kind === "file"),
      ) ?? set.tokens.find((t) => t.enabled && t.deliver.some((d) => d.kind === "file"));
    const destination = candidate?.deliver.find((d): d is FileDestination => d.kind === "file");
    const key = destination ? await readDelivered(destination) : undefined;
    if (!candidate || !destination || !key) {
      throw new CliError("the quickstart spec delivered no key to a file, so there is nothing to prove");
    }
    const wrong = generateToken(key.slice(0, key.lastIndexOf("_") + 1));
    const proof = await proveMcp(connection.url, key, wrong);
    io.stdout.write(
      `\nProof: an MCP client (the official SDK) with ${candidate.name}'s delivered key (${displayPrefixOf(key)}…, read from ${destination.path})\n` +
        `against an MCP server guarded by tokenform/mcp (${proof.url}):\n`,
    );
    for (const step of proof.steps) io.stdout.write(`  ${step.ok ? "✓" : "✗"} ${step.text}\n`);
    if (!proof.steps.every((step) => step.ok)) return 1;
    io.stdout.write(
      `\nDone. Run \`npm start\` again: the plan says "No changes". Edit ${basename(specPath)} and run it again to see an update.\n`,
    );
    return 0;
  } finally {
    await connection.close();
  }
}
