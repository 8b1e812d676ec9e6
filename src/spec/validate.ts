/**
 * Validates the documents of one TokenSet (from files or objects) all at once and, when nothing is wrong,
 * resolves them. Per document: the zod schema (shape and single-value rules). Per token, with its
 * document's defaults merged: write scopes on read-only keys, rotation against expiry. Across the set:
 * one owner, unique names, unique destinations, one removal policy. Everywhere: no raw secrets.
 *
 * A broken token does not hide the others: every token that passes the schema still takes part in the
 * set-wide checks. Every diagnostic gets the file, line and column of the node it is about.
 */
import type { LineCounter } from "yaml";
import type { Diagnostic, DiagnosticPath, RelatedLocation } from "./diagnostics.js";
import { formatLocation, hasErrors } from "./diagnostics.js";
import { parseDuration } from "./duration.js";
import { diagnosticsFromIssues, type PathDiagnostic } from "./issues.js";
import { resolveToken, setDefaults } from "./resolve.js";
import { describeDestination, destinationId, type ResolvedToken, type ResolvedTokenSet } from "./resolved.js";
import type { Defaults, TokenSet, TokenSpec } from "./schema.js";
import { TokenSetSchema } from "./schema.js";
import { findSecrets, rawSecretMessage, redactSecrets } from "./secrets.js";
import { placeOf, rangeAt, type SourceDocument, type SourceNode } from "./source.js";
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

/** A value seen in one document at a path, for set-wide comparisons. */
interface Seen<T> {
  value: T;
  doc: SourceDocument;
  path: DiagnosticPath;
}

/** Validates the documents of one set together. Never throws for bad input. */
export function validateDocuments(
  documents: readonly SourceDocument[],
  options: ValidateOptions = {},
): ValidationOutcome {
  const diagnostics: Diagnostic[] = [];
  const place = (doc: SourceDocument, d: PathDiagnostic) => diagnostics.push(located(doc, d));
  const tokens: ResolvedToken[] = [];
  const owners: Seen<string>[] = [];
  const names = new Map<string, Seen<string>>();
  const destinations = new Map<string, Seen<string>>();
  const policies: Array<Seen<Defaults>> = [];
  let tokenCount = 0;
  const now = options.now ?? new Date();

  for (const doc of documents) {
    const parsed = TokenSetSchema.safeParse(doc.value);
    const issues = parsed.success
      ? []
      : diagnosticsFromIssues(parsed.error.issues, doc.value, TokenSetSchema);
    for (const issue of issues) place(doc, issue);
    const raw = asRecord(doc.value);
    const rawTokens = Array.isArray(raw?.tokens) ? (raw.tokens as unknown[]) : [];
    tokenCount += rawTokens.length;
    const broken = (prefix: DiagnosticPath) => issues.some((d) => startsWith(d.path, prefix));

    const owner = asRecord(raw?.metadata)?.owner;
    if (typeof owner === "string" && !broken(["metadata", "owner"]))
      owners.push({ value: owner, doc, path: ["metadata", "owner"] });
    const defaultsOk = !broken(["defaults"]);
    const defaults = defaultsOk ? (raw?.defaults as Defaults | undefined) : undefined;
    if (defaults && (defaults.onRemove !== undefined || defaults.removalGrace !== undefined)) {
      policies.push({ value: defaults, doc, path: ["defaults"] });
    }

    rawTokens.forEach((entry, index) => {
      const base = ["tokens", index];
      const name = asRecord(entry)?.name;
      if (typeof name === "string" && !broken([...base, "name"])) {
        const first = names.get(name);
        if (first) {
          place(doc, {
            severity: "error",
            code: "duplicate_name",
            message: `token name ${JSON.stringify(name)} is already used at ${formatLocation(relatedOf(first))}; names are unique in a set`,
            path: [...base, "name"],
            related: [relatedOf(first)],
          });
        } else {
          names.set(name, { value: name, doc, path: [...base, "name"] });
        }
      }
      if (broken(base) || !defaultsOk) return;
      const token = entry as TokenSpec;
      const source = doc.root && doc.lines ? sourceOf(doc, base) : undefined;
      const resolved = resolveToken(
        token,
        defaults,
        { baseDir: doc.baseDir, homeDir: options.homeDir },
        source,
      );
      tokens.push(resolved);
      for (const d of mergedChecks(token, defaults, resolved, index, now)) place(doc, d);
      resolved.deliver.forEach((destination, j) => {
        const path = [...base, "deliver", j];
        const id = destinationId(destination);
        const first = destinations.get(id);
        if (first) {
          place(doc, {
            severity: "error",
            code: "duplicate_destination",
            message:
              `${describeDestination(destination)} is already the destination of token ${JSON.stringify(first.value)} ` +
              `at ${formatLocation(relatedOf(first))}; one destination holds one secret, so give each token its own`,
            path,
            related: [relatedOf(first)],
          });
        } else {
          destinations.set(id, { value: token.name, doc, path });
        }
      });
    });
  }
  for (const doc of documents) if (doc.text === undefined) diagnostics.push(...objectSecretDiagnostics(doc));

  const firstOwner = owners[0];
  for (const other of owners.slice(1)) {
    if (other.value === firstOwner!.value) continue;
    diagnostics.push(
      located(other.doc, {
        severity: "error",
        code: "owner_mismatch",
        message:
          `metadata.owner is ${JSON.stringify(other.value)} here but ${JSON.stringify(firstOwner!.value)} at ` +
          `${formatLocation(relatedOf(firstOwner!))}; all files of a set must name the same owner`,
        path: other.path,
        related: [relatedOf(firstOwner!)],
      }),
    );
  }
  diagnostics.push(...policyConflicts(policies));

  const redacted = redactMessages(diagnostics);
  const outcome: ValidationOutcome = { diagnostics: redacted, tokenCount };
  if (!hasErrors(redacted) && firstOwner) {
    const parts = documents.map((doc) => asRecord(doc.value) as unknown as TokenSet);
    const resolvedDefaults = setDefaults(parts.map((p) => p.defaults));
    const name = parts.find((p) => p.metadata.name)?.metadata.name;
    outcome.set = { owner: firstOwner.value, ...(name ? { name } : {}), tokens, defaults: resolvedDefaults };
  }
  return outcome;
}

/** Messages quote values (unknown keys, bad labels); a value that is a secret is cut to its prefix. */
export function redactMessages(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => {
    const message = redactSecrets(d.message);
    return message === d.message ? d : { ...d, message };
  });
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
    const stated = policies.filter((p) => p.value[key] !== undefined);
    const first = stated[0];
    for (const other of stated.slice(1)) {
      const a = first!.value[key]!;
      const b = other.value[key]!;
      const same = key === "removalGrace" ? parseDuration(a) === parseDuration(b) : a === b;
      if (same) continue;
      const firstAt = { ...relatedOf(first!), path: [...first!.path, key] };
      out.push(
        located(other.doc, {
          severity: "error",
          code: "conflicting_defaults",
          message:
            `defaults.${key} is ${b} here but ${a} at ${formatLocation(firstAt)}; it applies to tokens removed from ` +
            "the set, so all files must agree (state it in one file)",
          path: [...other.path, key],
          related: [firstAt],
        }),
      );
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
 * it is in when the file was read.
 */
export function fileSecretDiagnostics(
  file: string,
  text: string,
  lines: LineCounter,
  documents: readonly SourceDocument[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const finding of findSecrets(text)) {
    let doc: SourceDocument | undefined;
    for (const candidate of documents)
      if (candidate.root && candidate.root.start <= finding.index) doc = candidate;
    doc ??= documents[0];
    const at = placeOf(lines, text, { start: finding.index, end: finding.index + finding.length });
    out.push({
      severity: "error",
      code: "raw_secret",
      message: rawSecretMessage(finding),
      file,
      ...at,
      path: doc?.root ? pathAtOffset(doc.root, finding.index) : [],
    });
  }
  return out;
}

/** The path of the deepest node at or before `offset` (a key counts as its entry). */
function pathAtOffset(root: SourceNode, offset: number): DiagnosticPath {
  const path: Array<string | number> = [];
  let node: SourceNode = root;
  for (;;) {
    if (node.kind === "map") {
      let entry: (typeof node.entries)[number] | undefined;
      for (const e of node.entries) if (e.keyStart <= offset) entry = e;
      if (!entry) return path;
      path.push(entry.key);
      if (offset < entry.value.start) return path;
      node = entry.value;
    } else if (node.kind === "seq") {
      let index = -1;
      node.items.forEach((item, i) => {
        if (item.start <= offset) index = i;
      });
      if (index < 0) return path;
      path.push(index);
      node = node.items[index]!;
    } else {
      return path;
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

/** Where a value seen earlier was, for "already used at …" messages. */
function relatedOf(seen: Seen<unknown>): RelatedLocation {
  const at = located(seen.doc, { severity: "error", code: "duplicate_name", message: "", path: seen.path });
  const related: RelatedLocation = { file: at.file, path: seen.path };
  if (at.line !== undefined) {
    related.line = at.line;
    related.column = at.column;
  }
  return related;
}

/** Where a token entry starts, for `ResolvedToken.source`. */
function sourceOf(doc: SourceDocument, path: DiagnosticPath): ResolvedToken["source"] {
  const range = rangeAt(doc.root, path);
  if (!range || !doc.lines) return undefined;
  const at = doc.lines.linePos(range.start);
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
