/**
 * The `awsSecretsManager` destination kind: an AWS Secrets Manager secret, whole or one field of its JSON.
 * Everything tokenform knows about the kind is declared here (see `../kind.ts`); the sink itself is
 * `src/sinks/aws`, loaded (with the AWS SDK) on first use.
 */
import type { z as zod } from "zod";
import type { AwsSinkOptions } from "../../sinks/aws/sink.js";
import { report } from "../../spec/report.js";
import { type DestinationKind, definedOnly, lazySink, tf, type Zod } from "../kind.js";

/** A secret name (AWS: 1–512 of `A-Z a-z 0-9 / _ + = . @ -`) or a Secrets Manager secret ARN. */
export const AWS_SECRET_PATTERN =
  "^(?:[A-Za-z0-9/_+=.@-]{1,512}|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+)$";
/** An AWS region, e.g. `eu-west-1`, `us-gov-west-1`. */
export const AWS_REGION_PATTERN = "^[a-z]{2}(?:-[a-z]+)+-\\d{1,2}$";

function awsSchema(z: Zod) {
  return z
    .strictObject({
      secret: z
        .string()
        .regex(new RegExp(AWS_SECRET_PATTERN), {
          message:
            "expected a secret name (A-Z a-z 0-9 / _ + = . @ -, at most 512) or a Secrets Manager secret ARN",
        })
        .describe("Secret name (created when missing) or ARN (must exist)."),
      region: z
        .string()
        .regex(new RegExp(AWS_REGION_PATTERN), { message: "expected an AWS region such as eu-west-1" })
        .describe("AWS region of the secret."),
      key: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Field of the secret's JSON object to set; the other fields are kept. Without it, the whole secret.",
        ),
    })
    .superRefine((aws, ctx) => {
      const arnRegion = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(aws.secret)?.[1];
      if (arnRegion !== undefined && arnRegion !== aws.region) {
        report(
          ctx,
          "invalid_destination",
          `the secret's ARN is in ${arnRegion}, not in region ${aws.region}`,
          ["region"],
        );
      }
    })
    .describe("Deliver to an AWS Secrets Manager secret.");
}

/** The `awsSecretsManager` block as written. */
export type AwsSecretsManagerDelivery = zod.infer<ReturnType<typeof awsSchema>>;

/** A resolved AWS Secrets Manager destination. */
export interface AwsSecretsManagerDestination {
  kind: "awsSecretsManager";
  secret: string;
  region: string;
  key?: string;
}

/** The sink's options of `createSinks` (credentials come from the environment). */
export interface AwsKindOptions {
  /** Fine tuning of the AWS sink (attempts). */
  awsSecretsManager?: Omit<AwsSinkOptions, "env" | "logger">;
}

export const awsSecretsManager = {
  kind: "awsSecretsManager",
  spec: {
    schema: awsSchema,
    patternCodes: [
      [AWS_SECRET_PATTERN, "invalid_secret_name"],
      [AWS_REGION_PATTERN, "invalid_destination"],
    ],
  },
  resolve: (a) => ({
    kind: "awsSecretsManager",
    secret: a.secret,
    region: a.region,
    ...(a.key !== undefined ? { key: a.key } : {}),
  }),
  id: (d) => `awsSecretsManager:${d.region}/${d.secret}${d.key !== undefined ? `#${d.key}` : ""}`,
  describe: (d) =>
    `AWS Secrets Manager secret ${d.secret} (${d.region})${d.key !== undefined ? ` key ${d.key}` : ""}`,
  settings: () => [],
  local: false,
  // Static keys, a profile, or a web identity: any one will do (instance roles need none; the plan may warn).
  credentials: [
    [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
    ],
  ],
  sink: ({ env, options }) =>
    lazySink("awsSecretsManager", async () => {
      const { AwsSecretsManagerSink } = await import("../../sinks/aws/sink.js");
      return new AwsSecretsManagerSink({
        ...options.awsSecretsManager,
        ...(options.logger ? { logger: options.logger } : {}),
        env,
      });
    }),
  terraform: {
    typeName: "aws_secrets_manager",
    description:
      "Deliver the secret to an AWS Secrets Manager secret (credentials: the AWS SDK's standard chain — AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity).",
    attributes: [
      tf.required("secret", "string", "Secret name (created when missing) or ARN (must exist)."),
      tf.required("region", "string", "AWS region of the secret."),
      tf.optional(
        "key",
        "string",
        "Field of the secret's JSON object to set; the other fields are kept. Without it, the whole secret.",
      ),
    ],
    fields: { secret: "secret", region: "region", key: "key" },
  },
  cdktf: {
    key: "awsSecretsManager" as const,
    block: (d) => definedOnly({ secret: d.secret, region: d.region, key: d.key }),
  },
  action: {
    onRunner: "deliver",
    inputs: [
      { name: "aws-access-key-id", field: "awsAccessKeyId" as const, env: "AWS_ACCESS_KEY_ID", secret: true },
      {
        name: "aws-secret-access-key",
        field: "awsSecretAccessKey" as const,
        env: "AWS_SECRET_ACCESS_KEY",
        secret: true,
      },
      {
        name: "aws-session-token",
        field: "awsSessionToken" as const,
        env: "AWS_SESSION_TOKEN",
        secret: true,
      },
    ],
  },
} satisfies DestinationKind<
  "awsSecretsManager",
  AwsSecretsManagerDelivery,
  AwsSecretsManagerDestination,
  AwsKindOptions,
  "awsAccessKeyId" | "awsSecretAccessKey" | "awsSessionToken"
>;
