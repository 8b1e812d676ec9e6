/**
 * The Action's inputs: read from the environment the runner fills (`INPUT_<NAME>`), validated with one zod
 * schema, and every credential masked with `core.setSecret` the moment it is read, before anything could
 * print it. Defaults here match `action.yml`, so `run()` behaves the same when called without the runner.
 */
import * as core from "@actions/core";
import { z } from "zod";
import { parseApiUrl } from "../../src/api/endpoint.js";
import type { ActionInput } from "../../src/destinations/kind.js";
import { type ActionInputField, allKinds } from "../../src/destinations/registry.js";

/** How the Action decides what to do; `auto` picks from the triggering event (see `mode.ts`). */
export const MODES = ["auto", "plan", "apply", "rotate"] as const;
export type Mode = (typeof MODES)[number];

/** The inputs the destination kinds declare (`github-token`, `gitlab-token`, `gitlab-url`), by field. */
type KindInputs = { [F in ActionInputField]?: string };

/** Validated inputs. Credentials are plain strings here, already masked in the log. */
export interface ActionInputs extends KindInputs {
  /** Spec files, directories or glob patterns (newline- or comma-separated in the input). */
  specs: string[];
  /** Base URL of the token service; absent when not given (validation and secret scan only). */
  apiUrl?: string;
  /** Admin token for the token service (`tokens:read`, plus `tokens:write` to apply). */
  apiToken?: string;
  /** Token for this repository's REST calls (PR files, comments): the workflow's `GITHUB_TOKEN`. */
  repoToken?: string;
  mode: Mode;
  /** Keep one plan comment on the pull request up to date. */
  comment: boolean;
  /** Fail the job when drift is found (scheduled runs). */
  failOnDrift: boolean;
  /** Read each destination for drift in plan and apply jobs (scheduled runs always do). */
  checkDestinations: boolean;
  /** Apply on a push even when the plan differs from the one reviewed on the merged pull request. */
  force: boolean;
}

/** Inputs the user got wrong: reported as the job's failure message, no stack. */
export class InputError extends Error {
  override readonly name = "InputError";
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};

const optional = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === "" ? undefined : s));

const url = (name: string) =>
  optional.refine((s) => s === undefined || /^https?:\/\/[^\s/]+/.test(s), {
    message: `${name} must be an http(s) URL`,
  });

const flag = (name: string, fallback: boolean) =>
  z
    .string()
    .transform((s) => s.trim())
    .refine((s) => s === "" || s in BOOLEAN_WORDS, { message: `${name} must be true or false` })
    .transform((s) => (s === "" ? fallback : BOOLEAN_WORDS[s]!));

/** Each kind's inputs (`src/destinations/<kind>`, `action.inputs`), in registry order. */
const KIND_INPUT_LIST: readonly ActionInput<ActionInputField>[] = allKinds().flatMap(
  (kind) => kind.action.inputs as readonly ActionInput<ActionInputField>[],
);
const KIND_INPUTS = Object.fromEntries(
  KIND_INPUT_LIST.map((input) => [input.name, input.url ? url(input.name) : optional]),
);

const InputsSchema = z.object({
  specs: z
    .string()
    .transform((s) =>
      s
        .split(/[\n,]/)
        .map((p) => p.trim())
        .filter((p) => p !== ""),
    )
    .transform((list) => (list.length === 0 ? ["tokens/"] : list)),
  // The token service's URL, by the rule every front end uses; normalised (a trailing /v1 is dropped).
  "api-url": optional.transform((value, ctx) => {
    if (value === undefined) return value;
    const parsed = parseApiUrl(value);
    if (parsed.ok) return parsed.url;
    ctx.addIssue({ code: "custom", message: `api-url ${JSON.stringify(value)} ${parsed.problem}` });
    return z.NEVER;
  }),
  "api-token": optional,
  ...KIND_INPUTS,
  "repo-token": optional,
  mode: z
    .string()
    .transform((s) => s.trim() || "auto")
    .pipe(z.enum(MODES, { message: `mode must be one of ${MODES.join(", ")}` })),
  comment: flag("comment", true),
  "fail-on-drift": flag("fail-on-drift", false),
  "check-destinations": flag("check-destinations", true),
  force: flag("force", false),
});

/** The credentials among the inputs: masked as soon as they are read. */
const SECRET_INPUTS = [
  "api-token",
  ...KIND_INPUT_LIST.filter((input) => input.secret).map((input) => input.name),
  "repo-token",
];

/**
 * Reads and validates the inputs. `env` supplies the fallback for `repo-token` (`GITHUB_TOKEN`, which a
 * workflow may export instead of passing the input).
 */
export function readInputs(env: NodeJS.ProcessEnv = process.env): ActionInputs {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(InputsSchema.shape)) raw[name] = core.getInput(name);
  if (!raw["repo-token"]) raw["repo-token"] = env.GITHUB_TOKEN ?? "";
  for (const name of SECRET_INPUTS) if (raw[name]) core.setSecret(raw[name]);
  const parsed = InputsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputError(`invalid input: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  const v = parsed.data as typeof parsed.data & Record<string, string | undefined>;
  const kindInputs: KindInputs = {};
  for (const input of KIND_INPUT_LIST) if (v[input.name]) kindInputs[input.field] = v[input.name];
  return {
    specs: v.specs,
    mode: v.mode,
    comment: v.comment,
    failOnDrift: v["fail-on-drift"],
    checkDestinations: v["check-destinations"],
    force: v.force,
    ...(v["api-url"] ? { apiUrl: v["api-url"] } : {}),
    ...(v["api-token"] ? { apiToken: v["api-token"] } : {}),
    ...kindInputs,
    ...(v["repo-token"] ? { repoToken: v["repo-token"] } : {}),
  };
}
