/**
 * The `gitlab` destination kind: a GitLab CI/CD variable of a project or a group. Everything tokenform
 * knows about the kind is declared here (see `../kind.ts`); the sink itself is `src/sinks/gitlab`, loaded on
 * first use.
 */
import type { z as zod } from "zod";
import type { GitlabSinkOptions } from "../../sinks/gitlab/sink.js";
import { report } from "../../spec/report.js";
import { type DestinationKind, definedOnly, lazySink, tf, type Zod } from "../kind.js";

/** GitLab CI/CD variable keys: `[A-Za-z0-9_]`, at most 255 characters. */
export const GITLAB_KEY_PATTERN = "^[A-Za-z0-9_]{1,255}$";

/** A GitLab CI/CD variable on a project or a group. */
function gitlabSchema(z: Zod) {
  return z
    .strictObject({
      project: z
        .union([z.string().min(1), z.int().positive()])
        .optional()
        .describe("Project path (`group/project`) or numeric id."),
      group: z
        .union([z.string().min(1), z.int().positive()])
        .optional()
        .describe("Group path or numeric id."),
      variable: z
        .string()
        .regex(new RegExp(GITLAB_KEY_PATTERN), {
          error: (issue) =>
            typeof issue.input === "string" && issue.input.length > 255
              ? `GitLab variable keys are at most 255 characters (this one has ${issue.input.length})`
              : "GitLab variable keys may contain only A-Z, a-z, 0-9 and _",
        })
        .describe("Variable key."),
      environmentScope: z.string().min(1).optional().describe("Environment scope (default `*`)."),
      protected: z
        .boolean()
        .optional()
        .describe("Only exported to protected branches and tags (default false)."),
      masked: z.boolean().optional().describe("Masked in job logs (default true)."),
      hidden: z.boolean().optional().describe("Masked and hidden in the UI; can only be set at creation."),
      raw: z.boolean().optional().describe("Not expanded (default true)."),
    })
    .superRefine((gitlab, ctx) => {
      if ((gitlab.project === undefined) === (gitlab.group === undefined)) {
        report(
          ctx,
          "invalid_destination",
          "a GitLab destination needs exactly one of project or group",
          gitlab.project === undefined ? [] : ["group"],
          gitlab.project === undefined ? undefined : "key",
        );
      }
      if (gitlab.hidden === true && gitlab.masked === false) {
        report(ctx, "invalid_destination", "a hidden GitLab variable must also be masked", ["masked"]);
      }
    })
    .describe("Deliver to a GitLab CI/CD variable.");
}

/** The `gitlab` block as written. */
export type GitlabDelivery = zod.infer<ReturnType<typeof gitlabSchema>>;

/** A resolved GitLab destination: exactly one of `project` / `group`. */
export interface GitlabDestination {
  kind: "gitlab";
  project?: string;
  group?: string;
  variable: string;
  environmentScope: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
}

/** The GitLab sink's options of `createSinks` (credentials come from the environment). */
export interface GitlabKindOptions {
  /** GitLab instance URL; overrides `GITLAB_URL` (default https://gitlab.com). */
  gitlabUrl?: string;
  /** Fine tuning of the GitLab sink (retries, timeout). */
  gitlab?: Omit<GitlabSinkOptions, "token" | "url" | "fetch" | "logger">;
}

export const gitlab = {
  kind: "gitlab",
  spec: { schema: gitlabSchema, patternCodes: [[GITLAB_KEY_PATTERN, "invalid_variable_name"]] },
  resolve: (g) => ({
    kind: "gitlab",
    ...(g.group !== undefined ? { group: String(g.group) } : { project: String(g.project) }),
    variable: g.variable,
    environmentScope: g.environmentScope ?? "*",
    protected: g.protected ?? false,
    masked: g.masked ?? true,
    hidden: g.hidden ?? false,
    raw: g.raw ?? true,
  }),
  id: (d) =>
    d.group
      ? `gitlab:group/${d.group}/${d.environmentScope}/${d.variable}`
      : `gitlab:project/${d.project}/${d.environmentScope}/${d.variable}`,
  describe: (d) =>
    `GitLab ${d.group ? `group ${d.group}` : `project ${d.project}`} variable ${d.variable} (scope ${d.environmentScope})`,
  settings: (d) => [
    ...(d.protected ? ["protected branches and tags only"] : []),
    ...(d.hidden ? ["hidden"] : d.masked ? [] : ["not masked in job logs"]),
    ...(d.raw ? [] : ["expanded (raw: false)"]),
  ],
  local: false,
  credentials: ["GITLAB_TOKEN"],
  // Credentials: GITLAB_TOKEN; GITLAB_URL for a self-managed instance.
  sink: ({ env, options }) =>
    lazySink("gitlab", async () => {
      const { GitlabSink } = await import("../../sinks/gitlab/sink.js");
      return new GitlabSink({
        ...options.gitlab,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        token: env.GITLAB_TOKEN,
        url: options.gitlabUrl || env.GITLAB_URL || undefined,
      });
    }),
  terraform: {
    typeName: "gitlab_variable",
    description: "Deliver the secret to a GitLab CI/CD variable (credentials: GITLAB_TOKEN, GITLAB_URL).",
    attributes: [
      tf.optional("project", "string", "Project path (`group/project`) or numeric id."),
      tf.optional("group", "string", "Group path or numeric id."),
      tf.required("variable", "string", "Variable key."),
      tf.optional("environment_scope", "string", "Environment scope (default `*`)."),
      tf.optional("protected", "bool", "Only exported to protected branches and tags (default false)."),
      tf.optional("masked", "bool", "Masked in job logs (default true)."),
      tf.optional("hidden", "bool", "Masked and hidden in the UI; can only be set at creation."),
      tf.optional("raw", "bool", "Not expanded (default true)."),
    ],
    fields: {
      project: "project",
      group: "group",
      variable: "variable",
      environment_scope: "environmentScope",
      protected: "protected",
      masked: "masked",
      hidden: "hidden",
      raw: "raw",
    },
  },
  cdktf: {
    key: "gitlabVariable" as const,
    block: (d) =>
      definedOnly({
        project: d.project,
        group: d.group,
        variable: d.variable,
        environmentScope: d.environmentScope,
        protected: d.protected,
        masked: d.masked,
        hidden: d.hidden,
        raw: d.raw,
      }),
  },
  action: {
    onRunner: "deliver",
    inputs: [
      { name: "gitlab-token", field: "gitlabToken" as const, env: "GITLAB_TOKEN", secret: true },
      { name: "gitlab-url", field: "gitlabUrl" as const, env: "GITLAB_URL", url: true },
    ],
  },
} satisfies DestinationKind<
  "gitlab",
  GitlabDelivery,
  GitlabDestination,
  GitlabKindOptions,
  "gitlabToken" | "gitlabUrl"
>;
