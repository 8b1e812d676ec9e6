/**
 * Validates the documents of one TokenSet (from files or objects) all at once and, when nothing is wrong,
 * resolves them. Per document: the zod schema (shape and single-value rules). Per token, with its
 * document's defaults merged: write scopes on read-only keys, rotation against expiry. Across the set:
 * one owner, unique names, unique destinations, one removal policy. Everywhere: no raw secrets.
 *
 * A broken token does not hide the others: every token that passes the schema still takes part in the
 * set-wide checks. Every diagnostic gets the file, line and column of the node it is about.
 */
import type { Document, LineCounter } from "yaml";
import type { Diagnostic, DiagnosticPath, RelatedLocation } from "./diagnostics.js";
import { formatLocation, hasErrors } from "./diagnostics.js";
import { parseDuration } from "./duration.js";
import { identifierOf, nameKey } from "./identifiers.js";
import { diagnosticsFromIssues, type PathDiagnostic } from "./issues.js";
import { type ResolveContext, resolveToken, setDefaults } from "./resolve.js";
import { describeDestination, destinationId, type ResolvedToken, type ResolvedTokenSet } from "./resolved.js";
import type { Defaults, TokenSpec } from "./schema.js";
import { TokenSetSchema } from "./schema.js";
import { findDecodedSecrets } from "./secret-scan.js";
import { findSecrets, HIGH_ENTROPY_KIND, rawSecretMessage, redactSecrets } from "./secrets.js";
import { childOf, placeOf, rangeAt, type SourceDocument, type SourceNode } from "./source.js";
import { isWriteScope } from "./values.js";

/** Options for validation. */
export interface ValidateOptions {
  /** "Now" for the expiry-in-the-past warning (default: the current time). */
  now?: Date;
  /** Home directory for `~` in file destinations (default: the current user's). */
  homeDir?: string;
}

/** The outcome of validating a set: every diagnostic, and the resolved set when there is no error. */
export interface ValidationOutcome {
  diagnostics: Diagnostic[];
  /** Present when no diagnostic is an error. */
  set?: ResolvedTokenSet;
  /** Token entries declared across all documents (valid or not), for summaries. */
  tokenCount: number;
}

/** A value seen somewhere in the set, and where (placed when seen, so no document has to be kept). */
interface Seen<T> {
  value: T;
  at: RelatedLocation;
  /** The same place as a diagnostic location (with the end, for underlining). */
  place: Pick<Diagnostic, "file" | "line" | "column" | "endLine" | "endColumn" | "path">;
}

/** Validates the documents of one set together. Never throws for bad input. */
export function validateDocuments(
  documents: readonly SourceDocument[],
  options: ValidateOptions = {},
): ValidationOutcome {
  const validator = new TokenSetValidator(options);
  for (const doc of documents) validator.add(doc);
  return validator.finish();
}

/**
 * Validates a set one document at a time: `add` checks a document and keeps only what the set-wide
 * checks need (names, destinations, owners and their places, resolved tokens), so a loader can drop
 * each document's tree as soon as it is added; `finish` runs the set-wide checks.
 */
export class TokenSetValidator {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly tokens: ResolvedToken[] = [];
  private readonly owners: Seen<string>[] = [];
  /** First declaration of each name and destination, as ids into `places`. */
  /** Token entries by the identifier of their name (`identifierOf`), and the names as written. */
  private readonly names = new Map<string, number>();
  private readonly nameTexts = new Map<string, string>();
  private readonly destinations = new Map<string, number>();
  /** Tokens with `renamedFrom`, checked against every name once all documents are in. */
  private readonly renames: Array<{ name: string; from: string; diagnostic: Diagnostic }> = [];
  private readonly places = new Places();
  private readonly policies: Array<Seen<Defaults>> = [];
  private readonly defaultsSeen: Array<Defaults | undefined> = [];
  private setName: string | undefined;
  private tokenCount = 0;
  private readonly now: Date;

  constructor(private readonly options: ValidateOptions = {}) {
    this.now = options.now ?? new Date();
  }

  /** Validates one document of the set. */
  add(doc: SourceDocument): void {
    const place = (d: PathDiagnostic) => this.diagnostics.push(located(doc, d));
    const parsed = TokenSetSchema.safeParse(doc.value);
    const issues = parsed.success
      ? []
      : diagnosticsFromIssues(parsed.error.issues, doc.value, TokenSetSchema);
    for (const issue of issues) place(issue);
    const raw = asRecord(doc.value);
    const rawTokens = Array.isArray(raw?.tokens) ? (raw.tokens as unknown[]) : [];
    this.tokenCount += rawTokens.length;
    const broken = (prefix: DiagnosticPath) =>
      issues.length > 0 && issues.some((d) => startsWith(d.path, prefix));
    // Which token entries (and which of their names) have issues, computed once: sets are large.
    const brokenTokens = new Set<unknown>();
    const brokenNames = new Set<unknown>();
    for (const d of issues) {
      if (d.path[0] !== "tokens") continue;
      if (d.path.length === 1) for (let i = 0; i < rawTokens.length; i++) brokenTokens.add(i);
      brokenTokens.add(d.path[1]);
      if (d.path[2] === "name" || d.path.length <= 2) brokenNames.add(d.path[1]);
    }
    const tokenNodes = doc.root ? childOf(doc.root, "tokens") : undefined;

    const metadata = asRecord(raw?.metadata);
    if (typeof metadata?.owner === "string" && !broken(["metadata", "owner"])) {
      this.owners.push(seen(doc, metadata.owner, ["metadata", "owner"]));
    }
    if (typeof metadata?.name === "string" && !broken(["metadata", "name"])) this.setName ??= metadata.name;
    const defaultsOk = !broken(["defaults"]);
    const defaults = defaultsOk ? (raw?.defaults as Defaults | undefined) : undefined;
    this.defaultsSeen.push(defaults);
    for (const key of ["onRemove", "removalGrace"] as const) {
      if (defaults?.[key] !== undefined) this.policies.push(seen(doc, defaults, ["defaults", key]));
    }

    const context = { baseDir: doc.baseDir, homeDir: this.options.homeDir };
    for (let index = 0; index < rawTokens.length; index++) {
      const ok = !brokenTokens.has(index) && defaultsOk;
      this.addToken(
        doc,
        rawTokens[index],
        index,
        childOf(tokenNodes, index),
        ok ? defaults : null,
        brokenNames.has(index),
        context,
      );
    }
    if (doc.text === undefined) this.diagnostics.push(...objectSecretDiagnostics(doc));
  }

  /**
   * One token entry: its name joins the set's names (unless it is itself broken); when the entry and
   * its document's defaults are valid (`defaults` is not null) it is resolved and checked.
   */
  private addToken(
    doc: SourceDocument,
    entry: unknown,
    index: number,
    node: SourceNode | undefined,
    defaults: Defaults | undefined | null,
    nameBroken: boolean,
    context: ResolveContext,
  ): void {
    const place = (d: PathDiagnostic) => this.diagnostics.push(located(doc, d));
    const base = ["tokens", index];
    const name = asRecord(entry)?.name;
    if (typeof name === "string" && !nameBroken) {
      // Names are unique ignoring case, and so are the identifiers derived from them (identifiers.ts).
      const id = identifierOf(name);
      const first = this.names.get(id);
      if (first !== undefined) {
        const at = this.places.get(first);
        const other = this.nameTexts.get(id)!;
        place({
          severity: "error",
          code: "duplicate_name",
          message:
            nameKey(other) === nameKey(name)
              ? `token name ${JSON.stringify(name)} is already used at ${formatLocation(at)}${other === name ? "" : ` (as ${JSON.stringify(other)})`}; names are unique in a set, ignoring case`
              : `token names ${JSON.stringify(name)} and ${JSON.stringify(other)} (at ${formatLocation(at)}) both become ${id} in Terraform addresses and variable names; rename one`,
          path: [...base, "name"],
          related: [at],
        });
      } else {
        this.names.set(id, this.places.add(doc, childOf(node, "name"), name, index));
        this.nameTexts.set(id, name);
      }
    }
    const renamedFrom = asRecord(entry)?.renamedFrom;
    if (typeof renamedFrom === "string" && typeof name === "string") {
      this.renames.push({
        name,
        from: renamedFrom,
        diagnostic: located(doc, {
          severity: "error",
          code: "invalid_rename",
          message: "",
          path: [...base, "renamedFrom"],
        }),
      });
    }
    if (defaults === null) return;
    const token = entry as TokenSpec;
    const source = node && doc.lines ? sourceAt(doc, node) : undefined;
    const resolved = resolveToken(token, defaults, context, source);
    this.tokens.push(resolved);
    for (const d of mergedChecks(token, defaults, resolved, index, this.now)) place(d);
    for (let j = 0; j < resolved.deliver.length; j++) {
      const destination = resolved.deliver[j]!;
      const path = [...base, "deliver", j];
      const id = destinationId(destination);
      const first = this.destinations.get(id);
      if (first !== undefined) {
        const at = this.places.get(first);
        place({
          severity: "error",
          code: "duplicate_destination",
          message:
            `${describeDestination(destination)} is already the destination of token ` +
            `${JSON.stringify(this.places.tokenName(first))} at ${formatLocation(at)}; one destination holds one ` +
            "secret, so give each token its own",
          path,
          related: [at],
        });
      } else {
        const target = childOf(childOf(node, "deliver"), j);
        this.destinations.set(id, this.places.add(doc, target, token.name, index, j));
      }
    }
  }

  /** Runs the set-wide checks and returns every diagnostic, with the resolved set when there is no error. */
  finish(): ValidationOutcome {
    const diagnostics = [...this.diagnostics];
    const firstOwner = this.owners[0];
    for (const other of this.owners.slice(1)) {
      if (other.value === firstOwner!.value) continue;
      diagnostics.push({
        severity: "error",
        code: "owner_mismatch",
        message:
          `metadata.owner is ${JSON.stringify(other.value)} here but ${JSON.stringify(firstOwner!.value)} at ` +
          `${formatLocation(firstOwner!.at)}; all files of a set must name the same owner`,
        ...other.place,
        related: [firstOwner!.at],
      });
    }
    diagnostics.push(...policyConflicts(this.policies));
    for (const rename of this.renames) {
      let message: string | undefined;
      if (rename.from === rename.name)
        message = "renamedFrom names the token itself; remove it, or give the previous name";
      else if (this.names.has(identifierOf(rename.from)) && nameKey(rename.from) !== nameKey(rename.name)) {
        message = `renamedFrom names ${JSON.stringify(rename.from)}, which this set still declares at ${formatLocation(this.places.get(this.names.get(identifierOf(rename.from))!))}; a token can be renamed only once its old name is gone`;
      }
      if (message !== undefined) diagnostics.push({ ...rename.diagnostic, message });
    }

    const redacted = redactDiagnostics(diagnostics);
    const outcome: ValidationOutcome = { diagnostics: redacted, tokenCount: this.tokenCount };
    if (!hasErrors(redacted) && firstOwner) {
      outcome.set = {
        owner: firstOwner.value,
        ...(this.setName ? { name: this.setName } : {}),
        tokens: this.tokens,
        defaults: setDefaults(this.defaultsSeen),
      };
    }
    return outcome;
  }
}

/**
 * Messages quote values (unknown keys, bad labels) and paths name keys; a value or key that looks like a
 * secret is cut to its safe prefix in both, so no output format (text, JSON, annotations) can echo it.
 */
export function redactDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => {
    const message = redactSecrets(d.message);
    const path = redactPath(d.path);
    const related = d.related?.map((r) => {
      const relatedPath = redactPath(r.path);
      return relatedPath === r.path ? r : { ...r, path: relatedPath };
    });
    if (message === d.message && path === d.path && related?.every((r, i) => r === d.related![i]) !== false)
      return d;
    return { ...d, message, path, ...(related ? { related } : {}) };
  });
}

function redactPath(path: DiagnosticPath): DiagnosticPath {
  let out: Array<string | number> | undefined;
  path.forEach((step, i) => {
    if (typeof step !== "string" || step.length < 10) return;
    const safe = redactSecrets(step);
    if (safe === step) return;
    out ??= [...path];
    out[i] = safe;
  });
  return out ?? path;
}

/** Rules that need the token's defaults merged in. */
function mergedChecks(
  token: TokenSpec,
  defaults: Defaults | undefined,
  resolved: ResolvedToken,
  index: number,
  now: Date,
): PathDiagnostic[] {
  const out: PathDiagnostic[] = [];
  const from = (key: keyof TokenSpec & keyof Defaults): DiagnosticPath =>
    token[key] !== undefined ? ["tokens", index, key] : ["defaults", key];
  const inDefaults = (path: DiagnosticPath) =>
    path[0] === "defaults" ? ` (from defaults, for token ${JSON.stringify(token.name)})` : "";

  if (resolved.readOnly) {
    const scopesPath = from("scopes");
    const explicit = token.readOnly !== undefined || defaults?.readOnly !== undefined;
    (token.scopes ?? defaults?.scopes ?? []).forEach((scope, k) => {
      if (!isWriteScope(scope)) return;
      const path = [...scopesPath, k];
      out.push({
        severity: "error",
        code: "write_scope_read_only",
        message: explicit
          ? `scope ${JSON.stringify(scope)} grants write access but the token is readOnly: true${inDefaults(path)}; remove the scope or the readOnly setting`
          : `scope ${JSON.stringify(scope)} grants write access but ${resolved.type} keys are read-only${inDefaults(path)}; ` +
            "remove the scope, or set readOnly: false on the token if it really must write",
        path,
      });
    });
  }

  const rotation = token.rotation ?? defaults?.rotation;
  const everySeconds = resolved.rotation?.everySeconds;
  if (
    rotation !== undefined &&
    rotation !== "never" &&
    everySeconds !== undefined &&
    resolved.expiry.kind === "in"
  ) {
    if (everySeconds >= resolved.expiry.seconds) {
      const expiresIn = token.expiresIn ?? defaults?.expiresIn;
      const path = [...from("rotation"), "every"];
      out.push({
        severity: "warning",
        code: "rotation_not_shorter",
        message:
          `rotation every ${rotation.every} is not shorter than expiresIn ${expiresIn}${inDefaults(path)}: ` +
          "the token expires before it is rotated; rotate more often or let it live longer",
        path,
      });
    }
  }
  if (resolved.expiry.kind === "at" && Date.parse(resolved.expiry.at) <= now.getTime()) {
    const path = from("expiresAt");
    out.push({
      severity: "warning",
      code: "expiry_in_past",
      message: `expiresAt ${resolved.expiry.at} is in the past${inDefaults(path)}: the token would be created already expired`,
      path,
    });
  }
  return out;
}

/** Documents that state different removal policies (`onRemove`, `removalGrace`) for the one set. */
function policyConflicts(policies: ReadonlyArray<Seen<Defaults>>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const key of ["onRemove", "removalGrace"] as const) {
    const stated = policies.filter((p) => p.at.path[1] === key);
    const first = stated[0];
    for (const other of stated.slice(1)) {
      const a = first!.value[key]!;
      const b = other.value[key]!;
      const same = key === "removalGrace" ? parseDuration(a) === parseDuration(b) : a === b;
      if (same) continue;
      out.push({
        severity: "error",
        code: "conflicting_defaults",
        message:
          `defaults.${key} is ${b} here but ${a} at ${formatLocation(first!.at)}; it applies to tokens removed from ` +
          "the set, so all files must agree (state it in one file)",
        ...other.place,
        related: [first!.at],
      });
    }
  }
  return out;
}

/** Raw secrets in objects: every string value and every key. */
function objectSecretDiagnostics(doc: SourceDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  walkStrings(doc.value, [], (text, path) => {
    for (const finding of findSecrets(text)) {
      out.push(
        located(doc, { severity: "error", code: "raw_secret", message: rawSecretMessage(finding), path }),
      );
    }
  });
  return out;
}

/**
 * Raw secrets in a file: the whole text is scanned once (values, keys and comments alike, and files that
 * are not valid YAML too), each finding reported at its own line and column, with the path of the node
 * it is in when the file was read. When `yaml` read the file (`composed`), the decoded value of every
 * scalar is scanned too (escapes, line continuations, folded and literal blocks), each finding reported
 * at its scalar.
 */
export function fileSecretDiagnostics(
  file: string,
  text: string,
  lines: LineCounter,
  documents: readonly SourceDocument[],
  composed?: readonly Document.Parsed[],
): Diagnostic[] {
  const raw: Array<{ index: number; heuristic: boolean; diagnostic: Diagnostic }> = [];
  for (const finding of findSecrets(text)) {
    let doc: SourceDocument | undefined;
    for (const candidate of documents)
      if (candidate.root && candidate.root.start <= finding.index) doc = candidate;
    doc ??= documents[0];
    const at = placeOf(lines, text, { start: finding.index, end: finding.index + finding.length });
    const where = doc?.root ? pathAtOffset(doc.root, finding.index) : { path: [], inValue: false };
    const diagnostic: Diagnostic = {
      severity: "error",
      code: "raw_secret",
      message: rawSecretMessage(finding, where.inValue ? undefined : "in a comment"),
      file,
      ...at,
      path: where.path,
    };
    raw.push({ index: finding.index, heuristic: finding.kind === HIGH_ENTROPY_KIND, diagnostic });
  }
  if (!composed) return raw.map((r) => r.diagnostic);
  const decoded: Diagnostic[] = [];
  for (const { start, end, finding } of findDecodedSecrets(text, {}, composed)) {
    let doc: SourceDocument | undefined;
    for (const candidate of documents) if (candidate.root && candidate.root.start <= start) doc = candidate;
    decoded.push({
      severity: "error",
      code: "raw_secret",
      message: rawSecretMessage(finding, "once this YAML scalar's escapes or line breaks are decoded"),
      file,
      ...placeOf(lines, text, { start, end }),
      path: doc?.root ? pathAtOffset(doc.root, start).path : [],
    });
    // The random part of an escaped token also looks random in the raw text: one finding says it better.
    for (let i = raw.length - 1; i >= 0; i--) {
      if (raw[i]!.heuristic && raw[i]!.index >= start && raw[i]!.index < end) raw.splice(i, 1);
    }
  }
  return [...raw.map((r) => r.diagnostic), ...decoded];
}

/**
 * The path of the node containing `offset`: a key (the path ends at its entry), a scalar, or the
 * innermost collection when the offset is between nodes (a comment); `inValue` is false for the latter.
 */
function pathAtOffset(root: SourceNode, offset: number): { path: DiagnosticPath; inValue: boolean } {
  const path: Array<string | number> = [];
  let node: SourceNode = root;
  for (;;) {
    if (node.kind === "map") {
      let entry: (typeof node.entries)[number] | undefined;
      for (const e of node.entries) if (e.keyStart <= offset) entry = e;
      if (!entry) return { path, inValue: false };
      if (offset < entry.keyEnd) return { path: [...path, entry.key], inValue: true };
      if (offset < entry.value.start) return { path, inValue: false };
      path.push(entry.key);
      node = entry.value;
    } else if (node.kind === "seq") {
      let index = -1;
      node.items.forEach((item, i) => {
        if (item.start <= offset) index = i;
      });
      if (index < 0) return { path, inValue: false };
      path.push(index);
      node = node.items[index]!;
    } else {
      if (offset < node.end) return { path, inValue: true };
      path.pop();
      return { path, inValue: false };
    }
  }
}

/** Calls `visit` for every string value and every mapping key in a plain value. */
function walkStrings(
  value: unknown,
  path: DiagnosticPath,
  visit: (text: string, path: DiagnosticPath) => void,
): void {
  if (typeof value === "string") {
    visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      walkStrings(item, [...path, i], visit);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      visit(key, [...path, key]);
      walkStrings(item, [...path, key], visit);
    }
  }
}

/** Adds file, line and column to a path diagnostic. */
function located(doc: SourceDocument, d: PathDiagnostic): Diagnostic {
  const out: Diagnostic = {
    severity: d.severity,
    code: d.code,
    message: d.message,
    file: doc.file,
    path: d.path,
  };
  if (doc.root && doc.lines) {
    const range = rangeAt(doc.root, d.path, d.at);
    if (range) Object.assign(out, placeOf(doc.lines, doc.text, range));
  }
  if (d.related) out.related = d.related;
  return out;
}

/**
 * Where names and destinations were first declared. A large set has tens of thousands, so they are kept
 * packed in number arrays and turned into a `RelatedLocation` only when a duplicate needs one.
 */
class Places {
  private readonly files: string[] = [];
  private readonly fileIds = new Map<string, number>();
  /** Per place: file id, line, column, token index, delivery index (-1 for the name). */
  private readonly data: number[] = [];
  private readonly names: string[] = [];

  /**
   * Records where token `index` of `doc` declares its name (or its delivery `delivery`), at `node`;
   * returns the place id.
   */
  add(
    doc: SourceDocument,
    node: SourceNode | undefined,
    tokenName: string,
    index: number,
    delivery = -1,
  ): number {
    let file = this.fileIds.get(doc.file);
    if (file === undefined) {
      file = this.files.push(doc.file) - 1;
      this.fileIds.set(doc.file, file);
    }
    const at = node && doc.lines ? doc.lines.linePos(node.start) : { line: 0, col: 0 };
    this.names.push(tokenName);
    return this.data.push(file, at.line, at.col, index, delivery) / 5 - 1;
  }

  get(id: number): RelatedLocation {
    const [file, line, column, index, delivery] = this.data.slice(id * 5, id * 5 + 5) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const path = delivery < 0 ? ["tokens", index, "name"] : ["tokens", index, "deliver", delivery];
    return line > 0 ? { file: this.files[file]!, line, column, path } : { file: this.files[file]!, path };
  }

  tokenName(id: number): string {
    return this.names[id]!;
  }
}

/** A value seen at `path` of `doc`, with its place (computed now, so the document need not be kept). */
function seen<T>(doc: SourceDocument, value: T, path: DiagnosticPath): Seen<T> {
  const {
    severity: _s,
    code: _c,
    message: _m,
    ...place
  } = located(doc, {
    severity: "error",
    code: "invalid_value",
    message: "",
    path,
  });
  const at: RelatedLocation = { file: place.file, path };
  if (place.line !== undefined) {
    at.line = place.line;
    at.column = place.column;
  }
  return { value, at, place };
}

/** Where a token entry starts, for `ResolvedToken.source`. */
function sourceAt(doc: SourceDocument, node: SourceNode): ResolvedToken["source"] {
  if (!doc.lines) return undefined;
  const at = doc.lines.linePos(node.start);
  return { file: doc.file, line: at.line, column: at.col };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function startsWith(path: DiagnosticPath, prefix: DiagnosticPath): boolean {
  return prefix.length <= path.length && prefix.every((step, i) => path[i] === step);
}
