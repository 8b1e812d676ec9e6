/**
 * The `googleSecretManager` destination kind: a Google Secret Manager secret, a new version per delivery.
 * Everything tokenform knows about the kind is declared here (see `../kind.ts`); the sink itself is
 * `src/sinks/google`, loaded on first use.
 */
import type { z as zod } from "zod";
import type { GoogleSinkOptions } from "../../sinks/google/sink.js";
import { type DestinationKind, definedOnly, lazySink, tf, type Zod } from "../kind.js";

/** A project id (6–30 of lower-case letters, digits and -) or a project number. */
export const GOOGLE_PROJECT_PATTERN = "^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|\\d{1,20})$";
/** A secret id: 1–255 of letters, digits, _ and -. */
export const GOOGLE_SECRET_PATTERN = "^[A-Za-z0-9_-]{1,255}$";

function googleSchema(z: Zod) {
  return z
    .strictObject({
      project: z
        .string()
        .regex(new RegExp(GOOGLE_PROJECT_PATTERN), {
          message: "expected a Google Cloud project id or number",
        })
        .describe("Project id or number."),
      secret: z
        .string()
        .regex(new RegExp(GOOGLE_SECRET_PATTERN), {
          message: "Secret Manager secret ids are 1-255 of A-Z, a-z, 0-9, _ and -",
        })
        .describe("Secret id (created when missing)."),
    })
    .describe("Deliver to a Google Secret Manager secret (a new version per delivery).");
}

export type GoogleSecretManagerDelivery = zod.infer<ReturnType<typeof googleSchema>>;

export interface GoogleSecretManagerDestination {
  kind: "googleSecretManager";
  project: string;
  secret: string;
}

export interface GoogleKindOptions {
  /** Fine tuning of the Google sink (retries, timeout, API root). */
  googleSecretManager?: Omit<GoogleSinkOptions, "env" | "fetch" | "logger">;
}

export const googleSecretManager = {
  kind: "googleSecretManager",
  spec: {
    schema: googleSchema,
    patternCodes: [
      [GOOGLE_PROJECT_PATTERN, "invalid_destination"],
      [GOOGLE_SECRET_PATTERN, "invalid_secret_name"],
    ],
  },
  resolve: (g) => ({ kind: "googleSecretManager", project: g.project, secret: g.secret }),
  id: (d) => `googleSecretManager:projects/${d.project}/secrets/${d.secret}`,
  describe: (d) => `Google Secret Manager secret ${d.secret} (project ${d.project})`,
  settings: () => [],
  local: false,
  credentials: [
    ["GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "TOKENFORM_GOOGLE_CREDENTIALS"],
  ],
  sink: ({ env, options }) =>
    lazySink("googleSecretManager", async () => {
      const { GoogleSecretManagerSink } = await import("../../sinks/google/sink.js");
      return new GoogleSecretManagerSink({
        ...options.googleSecretManager,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        env,
      });
    }),
  terraform: {
    typeName: "google_secret_manager",
    description:
      "Deliver the secret to a Google Secret Manager secret, a new version per delivery (credentials: GOOGLE_OAUTH_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS).",
    attributes: [
      tf.required("project", "string", "Project id or number."),
      tf.required("secret", "string", "Secret id (created when missing)."),
    ],
    fields: { project: "project", secret: "secret" },
  },
  cdktf: {
    key: "googleSecretManager" as const,
    block: (d) => definedOnly({ project: d.project, secret: d.secret }),
  },
  action: {
    onRunner: "deliver",
    inputs: [
      {
        name: "google-access-token",
        field: "googleAccessToken" as const,
        env: "GOOGLE_OAUTH_ACCESS_TOKEN",
        secret: true,
      },
      {
        name: "google-credentials",
        field: "googleCredentials" as const,
        env: "TOKENFORM_GOOGLE_CREDENTIALS",
        secret: true,
      },
    ],
  },
} satisfies DestinationKind<
  "googleSecretManager",
  GoogleSecretManagerDelivery,
  GoogleSecretManagerDestination,
  GoogleKindOptions,
  "googleAccessToken" | "googleCredentials"
>;
