/**
 * Turns zod issues into diagnostics with a stable code and a message a person can act on: unknown keys
 * get a "did you mean" from the keys the schema allows at that path, unions report the branch the input
 * was meant for, regex failures get the code of the grammar they broke. Locations are added later
 * (`validate.ts`); here every diagnostic has only a path.
 */
import { z } from "zod";
import { allKinds } from "../destinations/registry.js";
import type { DiagnosticCode, DiagnosticPath, RelatedLocation, Severity } from "./diagnostics.js";
import { DURATION_PATTERN } from "./duration.js";
import { type IssueParams, OWNER_PATTERN, SCOPE_PATTERN, TOOL_PATTERN } from "./schema.js";
import { valueAt } from "./source.js";
import { closest } from "./suggest.js";

/** A diagnostic before it is placed in a file: the path says where, `at` whether the key is meant. */
export interface PathDiagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  path: DiagnosticPath;
  at?: "key";
  /** Other places, as paths in (possibly) other documents; placed by the caller. */
  related?: RelatedLocation[];
}

type Issue = z.core.$ZodIssue;

/** Which diagnostic code a failed `regex` means, keyed by the pattern as zod reports it (`/…/`). */
const PATTERN_CODES = new Map<string, DiagnosticCode>(
  (
    [
      [OWNER_PATTERN, "invalid_owner"],
      [SCOPE_PATTERN, "invalid_scope"],
      [TOOL_PATTERN, "invalid_tool_pattern"],
      [DURATION_PATTERN, "invalid_duration"],
      ...allKinds().flatMap((kind) => kind.spec.patternCodes),
    ] as const
  ).map(([pattern, code]) => [String(new RegExp(pattern)), code]),
);

/** Converts the issues of `schema.safeParse(input)` (paths relative to `input`, prefixed by `base`). */
export function diagnosticsFromIssues(
  issues: readonly Issue[],
  input: unknown,
  schema: z.ZodType,
  base: DiagnosticPath = [],
): PathDiagnostic[] {
  const out: PathDiagnostic[] = [];
  for (const issue of issues) convert(issue, input, schema, base, out);
  return out;
}

/** Where one converted issue stands and how to report it. */
interface IssueSite {
  path: DiagnosticPath;
  local: Array<string | number>;
  value: unknown;
  error: (code: DiagnosticCode, message: string, at?: "key") => void;
}

function convert(
  issue: Issue,
  root: unknown,
  schema: z.ZodType,
  base: DiagnosticPath,
  out: PathDiagnostic[],
): void {
  const path: DiagnosticPath = [...base, ...(issue.path as Array<string | number>)];
  const local = issue.path as Array<string | number>;
  const error = (code: DiagnosticCode, message: string, at?: "key") =>
    out.push(
      at ? { severity: "error", code, message, path, at } : { severity: "error", code, message, path },
    );
  const site: IssueSite = { path, local, value: valueAt(root, local), error };
  switch (issue.code) {
    case "unrecognized_keys":
      unknownKeys(issue.keys, keysAt(schema, local, root), site, out);
      return;
    case "invalid_type":
      invalidType(issue.expected, base.length === 0, site);
      return;
    case "invalid_value":
      invalidValue(
        issue.values.map((v) => String(v)),
        site,
      );
      return;
    case "invalid_format": {
      if (issue.format === "regex") {
        error(PATTERN_CODES.get(issue.pattern ?? "") ?? "invalid_value", issue.message);
      } else if (issue.format === "datetime") {
        error("invalid_datetime", issue.message);
      } else {
        error("invalid_value", issue.message);
      }
      return;
    }
    case "too_big":
    case "too_small":
      error("out_of_range", rangeMessage(issue));
      return;
    case "invalid_union":
      convertUnion(issue, root, schema, base, out);
      return;
    case "invalid_key":
    case "invalid_element":
      for (const inner of issue.issues)
        convert(inner, valueAt(root, local), schemaAt(schema, local, root) ?? schema, path, out);
      return;
    case "custom": {
      const params = issue.params as IssueParams | undefined;
      error(params?.code ?? "invalid_value", issue.message, params?.at);
      return;
    }
    default:
      error("invalid_value", issue.message);
  }
}

/** Keys the schema does not allow here, each with the closest allowed key or the list of them. */
function unknownKeys(keys: string[], allowed: string[], site: IssueSite, out: PathDiagnostic[]): void {
  for (const key of keys) {
    const suggestion = closest(key, allowed);
    out.push({
      severity: "error",
      code: "unknown_key",
      message:
        `unknown key ${JSON.stringify(key)}` +
        (suggestion
          ? `; did you mean ${JSON.stringify(suggestion)}?`
          : allowed.length > 0
            ? `; allowed here: ${allowed.join(", ")}`
            : ""),
      path: [...site.path, key],
      at: "key",
    });
  }
}

/** A value of the wrong type: a missing key, a document that is not a mapping, or a plain mismatch. */
function invalidType(expected: string, atDocumentRoot: boolean, { local, value, error }: IssueSite): void {
  if (value === undefined && local.length > 0) {
    const key = local[local.length - 1]!;
    error("missing_key", `missing required key ${JSON.stringify(key)} (${expectation(expected)})`);
  } else if (local.length === 0 && atDocumentRoot) {
    error(
      "invalid_type",
      `a TokenSet document must be a mapping with apiVersion, kind, metadata and tokens, not ${describe(value)}`,
    );
  } else {
    error("invalid_type", `expected ${expectation(expected)}, got ${describe(value)}`);
  }
}

/** A value outside its enumeration: apiVersion and kind get their own codes, others a suggestion. */
function invalidValue(values: string[], { local, value, error }: IssueSite): void {
  const last = local[local.length - 1];
  if (local.length === 1 && last === "apiVersion") {
    error(
      "unsupported_api_version",
      `apiVersion must be ${values.join(" or ")} (this version of tokenform reads only that)` +
        (typeof value === "string" ? `, not ${JSON.stringify(value)}` : ""),
    );
  } else if (local.length === 1 && last === "kind") {
    error(
      "wrong_kind",
      `kind must be ${values.join(" or ")}` + (value === undefined ? "" : `, not ${describe(value)}`),
    );
  } else {
    const suggestion = typeof value === "string" ? closest(value, values) : undefined;
    error(
      "invalid_value",
      `expected one of ${values.map((v) => JSON.stringify(v)).join(", ")}, got ${describe(value)}` +
        (suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ""),
    );
  }
}

/**
 * A union failed. If exactly one branch fits the shape of the input (no type mismatch or missing key at
 * its top), its issues are the real ones. Otherwise report the choice itself.
 */
function convertUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  root: unknown,
  schema: z.ZodType,
  base: DiagnosticPath,
  out: PathDiagnostic[],
): void {
  const local = issue.path as Array<string | number>;
  const path = [...base, ...local];
  const input = valueAt(root, local);
  const unionSchema = schemaAt(schema, local, root);
  const options = unionSchema instanceof z.ZodUnion ? (unionSchema.options as z.ZodType[]) : [];
  const fits = issue.errors
    .map((issues, index) => ({ issues, index }))
    .filter(({ issues }) => !issues.some((i) => isShapeMismatch(i, input)));
  if (fits.length === 1) {
    const branch = options[fits[0]!.index];
    for (const inner of fits[0]!.issues) convert(inner, input, branch ?? schema, path, out);
    return;
  }
  const objectKeys = options.flatMap((o) => {
    const inner = unwrap(o);
    return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
  });
  if (input !== null && typeof input === "object" && !Array.isArray(input) && objectKeys.length > 0) {
    const unknown = Object.keys(input).filter((k) => !objectKeys.includes(k));
    for (const key of unknown) {
      const suggestion = closest(key, objectKeys);
      out.push({
        severity: "error",
        code: "unknown_key",
        message: `unknown key ${JSON.stringify(key)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : `; expected one of ${objectKeys.join(", ")}`}`,
        path: [...path, key],
        at: "key",
      });
    }
    if (unknown.length === 0) {
      out.push({
        severity: "error",
        code: "invalid_value",
        message: `expected exactly one of ${objectKeys.join(", ")}`,
        path,
      });
    }
    return;
  }
  const wanted = issue.errors.map((issues) => {
    const top = issues.find((i) => i.path.length === 0);
    if (top?.code === "invalid_value") return top.values.map((v) => JSON.stringify(v)).join(" or ");
    if (top?.code === "invalid_type") return expectation(top.expected);
    return "another value";
  });
  const valueMismatch = issue.errors.some((issues) =>
    issues.some((i) => i.path.length === 0 && i.code === "invalid_value"),
  );
  out.push({
    severity: "error",
    code: valueMismatch && typeof input === "string" ? "invalid_value" : "invalid_type",
    message: `expected ${[...new Set(wanted)].join(" or ")}, got ${describe(input)}`,
    path,
  });
}

/** An issue that says the input is not the kind of thing this union branch describes. */
function isShapeMismatch(issue: Issue, input: unknown): boolean {
  if (issue.path.length === 0)
    return issue.code === "invalid_type" || issue.code === "invalid_value" || issue.code === "invalid_union";
  return (
    issue.path.length === 1 &&
    issue.code === "invalid_type" &&
    valueAt(input, issue.path as Array<string | number>) === undefined
  );
}

/** Strips wrappers that do not change the shape (optional, nullable, default, readonly). */
function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable)
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDefault || current instanceof z.ZodReadonly)
      current = current.unwrap() as z.ZodType;
    else return current;
  }
}

/** The schema that describes the value at `path` (unions: the branch whose keys the input uses). */
function schemaAt(
  schema: z.ZodType,
  path: ReadonlyArray<string | number>,
  input: unknown,
): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  let value = input;
  for (const step of path) {
    current = current && pickBranch(current, value);
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[String(step)];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return undefined;
    if (!current) return undefined;
    current = unwrap(current);
    value = valueAt(value, [step]);
  }
  return current && pickBranch(current, value);
}

/** For a union, the object branch sharing the most keys with `value` (or the union itself). */
function pickBranch(schema: z.ZodType, value: unknown): z.ZodType {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const keys = value !== null && typeof value === "object" ? Object.keys(value) : [];
  let best: z.ZodType | undefined;
  let bestScore = 0;
  for (const option of schema.options as z.ZodType[]) {
    const inner = unwrap(option);
    if (!(inner instanceof z.ZodObject)) continue;
    const score = keys.filter((k) => k in inner.shape).length;
    if (score > bestScore) {
      best = inner;
      bestScore = score;
    }
  }
  return best ?? schema;
}

/** Keys an object schema allows at `path` (all branches' keys for a union of objects). */
function keysAt(schema: z.ZodType, path: ReadonlyArray<string | number>, input: unknown): string[] {
  const target = schemaAt(schema, path, input);
  if (target instanceof z.ZodObject) return Object.keys(target.shape);
  if (target instanceof z.ZodUnion) {
    return (target.options as z.ZodType[]).flatMap((o) => {
      const inner = unwrap(o);
      return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
    });
  }
  return [];
}

/** "a string", "a list" … for zod's `expected` names. */
function expectation(expected: string): string {
  switch (expected) {
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

/** How an input value is described in messages: its kind, and short scalars themselves. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return value.length <= 40 ? `the string ${JSON.stringify(value)}` : "a string";
  if (typeof value === "number")
    return Number.isInteger(value) ? `the number ${value}` : `the number ${value}`;
  if (typeof value === "boolean") return String(value);
  return typeof value;
}

function rangeMessage(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const big = issue.code === "too_big";
  const limit = Number(
    big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum,
  );
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case "string":
      return big
        ? `must be at most ${limit} characters`
        : limit <= 1
          ? "must not be empty"
          : `must be at least ${limit} characters`;
    case "array":
      return big
        ? `must have at most ${limit} items`
        : `must have at least ${limit} item${limit === 1 ? "" : "s"}`;
    default:
      if (big) return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
      return inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`;
  }
}
