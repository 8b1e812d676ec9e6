/**
 * The `github` destination kind: a GitHub Actions secret of a repository, an environment or an
 * organisation. Everything tokenform knows about the kind is declared here (see `../kind.ts`); the sink
 * itself is `src/sinks/github`, loaded on first use.
 */
import type { z as zod } from "zod";
import type { GithubSinkOptions } from "../../sinks/github/sink.js";
import { report } from "../../spec/report.js";
import { type DestinationKind, definedOnly, lazySink, tf, type Zod } from "../kind.js";

/** GitHub secret names: letters, digits and `_`, not starting with a digit (the `GITHUB_` rule is in validate). */
export const GITHUB_SECRET_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
/** GitHub `owner/repo`. */
export const GITHUB_REPOSITORY_PATTERN = "^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$";
/** GitHub organisation logins: letters, digits and single hyphens, at most 39 characters. */
export const GITHUB_ORGANIZATION_PATTERN = "^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$";
/** GitHub reserves secret names starting with `GITHUB_` (in any case). */
export const GITHUB_RESERVED_SECRET_PREFIX = "GITHUB_";

/** A GitHub Actions secret: repository, environment or organisation secret. */
function githubSchema(z: Zod) {
  return z
    .strictObject({
      repository: z
        .string()
        .regex(new RegExp(GITHUB_REPOSITORY_PATTERN), { message: "expected owner/repo" })
        .optional()
        .describe("Repository (`owner/repo`) for a repository or environment secret."),
      environment: z
        .string()
        .min(1)
        .max(255)
        .optional()
        .describe("Deployment environment (with `repository`)."),
      organization: z
        .string()
        .regex(new RegExp(GITHUB_ORGANIZATION_PATTERN), {
          message: "expected a GitHub organisation login such as acme",
        })
        .optional()
        .describe("Organisation for an organisation secret."),
      visibility: z
        .enum(["all", "private", "selected"])
        .optional()
        .describe("Which repositories may use an organisation secret."),
      repositories: z
        .array(z.string().min(1))
        .optional()
        .describe("Repository names that may use an organisation secret with `visibility: selected`."),
      secret: z
        .string()
        .regex(new RegExp(GITHUB_SECRET_PATTERN), {
          message:
            "GitHub secret names may contain only letters, digits and _ and must not start with a digit",
        })
        .superRefine((name, ctx) => {
          if (name.toUpperCase().startsWith(GITHUB_RESERVED_SECRET_PREFIX)) {
            report(
              ctx,
              "reserved_secret_name",
              `GitHub reserves secret names starting with ${GITHUB_RESERVED_SECRET_PREFIX}; choose another name such as MCP_API_KEY`,
            );
          }
        })
        .describe("Secret name."),
    })
    .superRefine((github, ctx) => {
      if (github.repository === undefined && github.organization === undefined) {
        report(
          ctx,
          "invalid_destination",
          "a GitHub destination needs exactly one of repository or organization",
        );
      }
      if (github.repository !== undefined && github.organization !== undefined) {
        report(
          ctx,
          "invalid_destination",
          "a GitHub destination takes repository or organization, not both (write two deliveries for both)",
          ["organization"],
          "key",
        );
      }
      if (github.environment !== undefined && github.repository === undefined) {
        report(
          ctx,
          "invalid_destination",
          "environment is only for repository secrets (environment secrets belong to one repository)",
          ["environment"],
          "key",
        );
      }
      for (const key of ["visibility", "repositories"] as const) {
        if (github[key] !== undefined && github.organization === undefined) {
          report(
            ctx,
            "invalid_destination",
            `${key} is only for organisation secrets (with organization)`,
            [key],
            "key",
          );
        }
      }
      if (
        github.repositories !== undefined &&
        github.organization !== undefined &&
        github.visibility !== "selected"
      ) {
        report(
          ctx,
          "invalid_destination",
          "repositories is only used with visibility: selected; add it or remove the list",
          ["repositories"],
          "key",
        );
      }
    })
    .describe("Deliver to a GitHub Actions secret.");
}

/** The `github` block as written. */
export type GithubDelivery = zod.infer<ReturnType<typeof githubSchema>>;

/** A resolved GitHub destination. `environment` only with `repository`; `visibility` only for organisations. */
export interface GithubDestination {
  kind: "github";
  /** `owner/repo` for repository and environment secrets; absent for organisation secrets. */
  repository?: string;
  /** Deployment environment of a repository; absent for plain repository secrets. */
  environment?: string;
  /** Organisation login for organisation secrets; absent otherwise. */
  organization?: string;
  /** Organisation secret visibility; present only with `organization` (default `private`). */
  visibility?: "all" | "private" | "selected";
  /** Repository names for `visibility: selected`. */
  repositories?: string[];
  /** Secret name as written (GitHub upper-cases it). */
  secret: string;
}

/** The GitHub sink's options of `createSinks` (credentials come from the environment). */
export interface GithubKindOptions {
  /** GitHub REST root; overrides `GITHUB_API_URL` (default https://api.github.com). */
  githubBaseUrl?: string;
  /** Fine tuning of the GitHub sink (write interval, retries, rate-limit waits); tests and benchmarks lower them. */
  github?: Omit<GithubSinkOptions, "token" | "baseUrl" | "fetch" | "logger">;
}

export const github = {
  kind: "github",
  spec: {
    schema: githubSchema,
    patternCodes: [
      [GITHUB_SECRET_PATTERN, "invalid_secret_name"],
      [GITHUB_REPOSITORY_PATTERN, "invalid_repository"],
      [GITHUB_ORGANIZATION_PATTERN, "invalid_repository"],
    ],
  },
  resolve(g) {
    if (g.organization !== undefined) {
      const visibility = g.visibility ?? "private";
      return {
        kind: "github",
        organization: g.organization,
        visibility,
        ...(visibility === "selected" ? { repositories: [...(g.repositories ?? [])] } : {}),
        secret: g.secret,
      };
    }
    return {
      kind: "github",
      repository: g.repository,
      ...(g.environment !== undefined ? { environment: g.environment } : {}),
      secret: g.secret,
    };
  },
  id(d) {
    return d.organization
      ? `github:org/${d.organization}/${d.secret.toUpperCase()}`
      : d.environment
        ? `github:repo/${d.repository}/env/${d.environment}/${d.secret.toUpperCase()}`
        : `github:repo/${d.repository}/${d.secret.toUpperCase()}`;
  },
  describe(d) {
    if (d.organization) return `GitHub org ${d.organization} secret ${d.secret}`;
    return d.environment
      ? `GitHub ${d.repository} (environment ${d.environment}) secret ${d.secret}`
      : `GitHub ${d.repository} secret ${d.secret}`;
  },
  settings(d) {
    if (!d.organization) return [];
    if (d.visibility === "selected") {
      const names = d.repositories ?? [];
      return [
        names.length === 0
          ? "readable by no repository yet (visibility selected)"
          : `readable by ${names.join(", ")}`,
      ];
    }
    return [
      d.visibility === "all"
        ? "readable by every repository of the organisation"
        : "readable by the organisation's private repositories",
    ];
  },
  local: false,
  // Credentials: GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise Server.
  credentials: ["GITHUB_TOKEN"],
  sink: ({ env, options }) =>
    lazySink("github", async () => {
      const { GithubSink } = await import("../../sinks/github/sink.js");
      return new GithubSink({
        ...options.github,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        token: env.GITHUB_TOKEN,
        baseUrl: options.githubBaseUrl || env.GITHUB_API_URL || undefined,
      });
    }),
  terraform: {
    typeName: "github_secret",
    description: "Deliver the secret to a GitHub Actions secret (credentials: GITHUB_TOKEN).",
    attributes: [
      tf.optional(
        "repository",
        "string",
        "Repository (`owner/repo`) for a repository or environment secret.",
      ),
      tf.optional("environment", "string", "Deployment environment (with `repository`)."),
      tf.optional("organization", "string", "Organisation for an organisation secret."),
      tf.optional(
        "visibility",
        "string",
        "Which repositories may use an organisation secret: all, private or selected.",
      ),
      tf.optional(
        "repositories",
        ["list", "string"],
        "Repository names that may use an organisation secret with visibility selected.",
      ),
      tf.required("secret", "string", "Secret name."),
    ],
    fields: {
      repository: "repository",
      environment: "environment",
      organization: "organization",
      visibility: "visibility",
      repositories: "repositories",
      secret: "secret",
    },
  },
  cdktf: {
    key: "githubSecret" as const,
    block: (d) =>
      definedOnly({
        repository: d.repository,
        environment: d.environment,
        organization: d.organization,
        visibility: d.visibility,
        repositories: d.repositories ? [...d.repositories] : undefined,
        secret: d.secret,
      }),
  },
  action: {
    onRunner: "deliver",
    inputs: [{ name: "github-token", field: "githubToken" as const, env: "GITHUB_TOKEN", secret: true }],
    // GitHub Enterprise Server: the sink writes to the API of the GitHub the workflow runs on.
    runEnv: (run) => ({ GITHUB_API_URL: run.apiUrl }),
  },
} satisfies DestinationKind<"github", GithubDelivery, GithubDestination, GithubKindOptions, "githubToken">;
