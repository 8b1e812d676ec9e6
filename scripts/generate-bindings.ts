/**
 * `npm run generate`: generates the CDKTF bindings of the tokenform provider into `src/cdktf/gen/` with
 * @cdktf/provider-generator (what `cdktf get` runs), from the provider's own schema — no Terraform, no
 * registry. The bindings are committed; test/unit/cdktf/bindings.test.ts fails when they drift.
 *
 * Schema source: by default the schema the provider serves (`providersSchemaJson(providerVersion())`, the
 * function `tokenform provider schema` prints), or a saved document with `--schema FILE` (`-` for stdin):
 *   npx tsx src/cli/index.ts provider schema | npm run generate -- --schema -
 *
 * The generator writes TypeScript for a CommonJS package; four post-processing steps make it compile under
 * this repository's tsconfig (strict, NodeNext, noImplicitOverride) and load as ESM:
 * 1. the per-resource README.md files (links to a registry page tokenform does not have) and
 *    `lazy-index.ts` (a CommonJS `require` loader) are dropped;
 * 2. relative specifiers get explicit ESM paths (`'./token'` → `'./token/index.js'`);
 * 3. the `override` modifiers noImplicitOverride asks for are inserted where the TypeScript compiler
 *    reports them missing (TS4114/4115/4116) — found by the compiler, not by pattern;
 * 4. each file opens with a header naming this script.
 * Then every generated file must type-check with no error, or generation fails.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Repository root (this file lives in `scripts/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the committed bindings live. */
export const BINDINGS_DIR = join(REPO_ROOT, "src", "cdktf", "gen");
/** The provider's source address: the schema key the generator must find. */
const PROVIDER_SOURCE = "registry.terraform.io/tokenform/tokenform";
/** The folder the generator writes the provider under (`providers/<name>/`). */
const GENERATED_FOLDER = "providers/tokenform";
/** Compiler diagnostics that mean "add `override` here". */
const MISSING_OVERRIDE = new Set([4114, 4115, 4116]);

/** The parts of a `terraform providers schema -json` document the generator reads. */
export interface ProvidersSchemaDocument {
  format_version: string;
  provider_schemas: Record<string, unknown>;
  provider_versions?: Record<string, string>;
}

/** The schema the provider serves (same function as `tokenform provider schema`). */
export async function servedSchema(): Promise<ProvidersSchemaDocument> {
  const { providersSchemaJson } = await import("../provider/src/schema.js");
  const { providerVersion } = await import("../provider/src/version.js");
  return providersSchemaJson(providerVersion());
}

/** Refuses a schema the generator would turn into bindings for the wrong provider (or no version). */
function checkSchema(schema: ProvidersSchemaDocument): void {
  if (!(PROVIDER_SOURCE in (schema.provider_schemas ?? {}))) {
    throw new Error(
      `the schema has no provider ${PROVIDER_SOURCE} (found: ${Object.keys(schema.provider_schemas ?? {}).join(", ") || "none"})`,
    );
  }
  if (!schema.provider_versions?.[PROVIDER_SOURCE]) {
    throw new Error(
      `the schema has no provider_versions entry for ${PROVIDER_SOURCE}; the bindings pin the provider version from it`,
    );
  }
}

/**
 * Generates the bindings for `schema`; returns their files (path relative to `src/cdktf/gen` → text),
 * post-processed as described above. Writes only to a temporary directory, which it removes.
 */
export async function generateBindings(schema: ProvidersSchemaDocument): Promise<Map<string, string>> {
  checkSchema(schema);
  process.env.CHECKPOINT_DISABLE = "1";
  const { CodeMaker, TerraformProviderGenerator } = await import("@cdktf/provider-generator");
  const { ConstructsMakerProviderTarget, LANGUAGES, TerraformProviderConstraint } = await import(
    "@cdktf/commons"
  );
  const version = schema.provider_versions![PROVIDER_SOURCE]!;
  const code = new CodeMaker();
  // The schema document is exactly `terraform providers schema -json`'s, which the generator's
  // ProviderSchema type describes (its nested types are stricter than the document type above).
  const generator = new TerraformProviderGenerator(code, schema as never);
  const constraint = new TerraformProviderConstraint(`${PROVIDER_SOURCE}@${version}`);
  generator.generate(new ConstructsMakerProviderTarget(constraint, LANGUAGES[0]!));
  const temp = mkdtempSync(join(tmpdir(), "tokenform-bindings-"));
  try {
    await code.save(temp);
    const raw = readTree(join(temp, GENERATED_FOLDER));
    return postProcess(raw, version);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Every file below `dir`, keyed by its POSIX path relative to `dir`. */
function readTree(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) readTree(full, base, out);
    else out.set(relative(base, full).split("\\").join("/"), readFileSync(full, "utf8"));
  }
  return out;
}

/** Steps 1–4 of the module comment. */
function postProcess(raw: Map<string, string>, version: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [path, text] of raw) {
    if (!path.endsWith(".ts") || path === "lazy-index.ts") continue;
    files.set(path, text);
  }
  for (const [path, text] of files) files.set(path, esmSpecifiers(path, text, files));
  const withOverrides = addOverrides(files);
  const header = [
    "/**",
    ` * Generated by scripts/generate-bindings.ts (npm run generate) from the tokenform provider schema ${version}`,
    " * with @cdktf/provider-generator. Do not edit: regenerate instead.",
    " */",
    "",
  ].join("\n");
  const out = new Map<string, string>();
  for (const path of [...withOverrides.keys()].sort()) out.set(path, header + withOverrides.get(path)!);
  assertCompiles(out);
  return out;
}

/** Step 2: `'./token'` → `'./token/index.js'`, `'./x'` → `'./x.js'` for every relative specifier. */
function esmSpecifiers(path: string, text: string, files: ReadonlyMap<string, string>): string {
  return text.replace(
    /(from\s+)(['"])(\.{1,2}\/[^'"]*)\2/g,
    (whole, from: string, quote: string, spec: string) => {
      if (spec.endsWith(".js")) return whole;
      const target = posix.normalize(posix.join(posix.dirname(path), spec));
      const resolved = files.has(`${target}/index.ts`) ? `${spec}/index.js` : `${spec}.js`;
      if (!files.has(`${target}/index.ts`) && !files.has(`${target}.ts`)) {
        throw new Error(`${path}: cannot resolve the generated import ${spec}`);
      }
      return `${from}${quote}${resolved}${quote}`;
    },
  );
}

/** A compiler program over the generated files, placed (virtually) at their final paths. */
function program(files: ReadonlyMap<string, string>): { program: ts.Program; absolute: Map<string, string> } {
  const configFile = join(REPO_ROOT, "tsconfig.json");
  const config = ts.readConfigFile(configFile, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true };
  const absolute = new Map<string, string>();
  for (const [path, text] of files) absolute.set(join(BINDINGS_DIR, path), text);
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => absolute.has(f) || fileExists.call(host, f);
  host.readFile = (f) => absolute.get(f) ?? readFile.call(host, f);
  // The generated folders may not exist on disk yet (first generation, or a drift check).
  const dirs = new Set([...absolute.keys()].flatMap((f) => ancestors(f)));
  const { directoryExists } = host;
  host.directoryExists = (d) => dirs.has(d) || (directoryExists?.call(host, d) ?? ts.sys.directoryExists(d));
  host.getSourceFile = (f, language, ...rest) => {
    const text = absolute.get(f);
    return text === undefined
      ? getSourceFile.call(host, f, language, ...rest)
      : ts.createSourceFile(f, text, language, true);
  };
  return { program: ts.createProgram([...absolute.keys()], options, host), absolute };
}

/** Every directory above `file`, up to the filesystem root. */
function ancestors(file: string): string[] {
  const out: string[] = [];
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) out.push(d);
  return out;
}

/** Step 3: inserts `override` wherever the compiler reports it missing. */
function addOverrides(files: Map<string, string>): Map<string, string> {
  const { program: p, absolute } = program(files);
  const out = new Map(files);
  for (const [path] of files) {
    const sf = p.getSourceFile(join(BINDINGS_DIR, path))!;
    const inserts: number[] = [];
    for (const d of p.getSemanticDiagnostics(sf)) {
      if (!MISSING_OVERRIDE.has(d.code) || d.start === undefined) continue;
      inserts.push(overridePosition(sf, d.start));
    }
    let text = absolute.get(join(BINDINGS_DIR, path))!;
    for (const at of [...new Set(inserts)].sort((a, b) => b - a)) {
      text = `${text.slice(0, at)}override ${text.slice(at)}`;
    }
    out.set(path, text);
  }
  return out;
}

/** Where `override` goes for the member or parameter property at `start`: after its other modifiers. */
function overridePosition(sf: ts.SourceFile, start: number): number {
  let node: ts.Node | undefined = findNode(sf, start);
  while (node && !ts.isClassElement(node) && !ts.isParameter(node)) node = node.parent;
  if (!node) throw new Error(`${sf.fileName}: no class member at offset ${start}`);
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  const last = modifiers?.[modifiers.length - 1];
  // `public override get x()`, `protected override synthesizeAttributes()`, `protected override x: T`.
  if (!last) return node.getStart(sf);
  let at = last.end;
  while (/\s/.test(sf.text[at] ?? "")) at++;
  return at;
}

function findNode(node: ts.Node, position: number): ts.Node | undefined {
  if (position < node.getStart() || position >= node.getEnd()) return undefined;
  for (const child of node.getChildren()) {
    const found = findNode(child, position);
    if (found) return found;
  }
  return node;
}

/** Fails generation when any generated file does not type-check under the repository's tsconfig. */
function assertCompiles(files: ReadonlyMap<string, string>): void {
  const { program: p } = program(files);
  const errors = [...files.keys()].flatMap((path) => {
    const sf = p.getSourceFile(join(BINDINGS_DIR, path))!;
    return [...p.getSyntacticDiagnostics(sf), ...p.getSemanticDiagnostics(sf)];
  });
  if (errors.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => REPO_ROOT,
      getNewLine: () => "\n",
    };
    throw new Error(`the generated bindings do not compile:\n${ts.formatDiagnostics(errors, host)}`);
  }
}

/** Replaces `dir` with exactly `files`. */
export async function writeBindings(files: ReadonlyMap<string, string>, dir = BINDINGS_DIR): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const [path, text] of files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

/** The committed bindings, keyed like `generateBindings`' result. */
export function readBindings(dir = BINDINGS_DIR): Map<string, string> {
  return readTree(dir);
}

async function readSchemaArgument(argv: readonly string[]): Promise<ProvidersSchemaDocument> {
  const at = argv.indexOf("--schema");
  const inline = argv.find((a) => a.startsWith("--schema="));
  const source = inline ? inline.slice("--schema=".length) : at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && source === undefined) throw new Error("--schema needs a file (or - for stdin)");
  if (source === undefined) return servedSchema();
  const text = source === "-" ? readFileSync(0, "utf8") : readFileSync(resolve(source), "utf8");
  return JSON.parse(text) as ProvidersSchemaDocument;
}

async function main(): Promise<void> {
  const schema = await readSchemaArgument(process.argv.slice(2));
  const files = await generateBindings(schema);
  await writeBindings(files);
  process.stdout.write(
    `Generated ${files.size} files in ${relative(process.cwd(), BINDINGS_DIR) || "."}:\n${[...files.keys()]
      .map((f) => `  ${f}\n`)
      .join("")}`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
