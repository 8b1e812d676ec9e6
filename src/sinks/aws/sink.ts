/**
 * The AWS Secrets Manager sink, with `@aws-sdk/client-secrets-manager` (loaded only with this module) and
 * the standard credential chain (environment, profile, web identity / GitHub OIDC, instance roles); static
 * keys in the sink's own environment (the Action's inputs) take precedence.
 *
 * A delivery is a new version (`PutSecretValue`, a fresh `ClientRequestToken`) carrying the staging labels
 * `AWSCURRENT` and `tokenform` (AWS moves `AWSPREVIOUS` to the version it replaced); a secret that does not
 * exist is created (by name; an ARN must exist). With `key` the secret is a JSON object: the current one is
 * read, the key set, the other fields kept. The version id AWS returns is recorded, and `inspect` compares
 * it (and the value's fingerprint) with the `AWSCURRENT` version. `remove` deletes the key (a new version
 * without it) or, when nothing else is left, the secret, with a recovery window of `RECOVERY_WINDOW_DAYS`.
 */
import { randomUUID } from "node:crypto";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { fingerprintOf, type SecretValue } from "../../api/secret.js";
import type { AwsSecretsManagerDestination } from "../../destinations/aws-secrets-manager/index.js";
import { destinationId } from "../../spec/resolved.js";
import { type SinkLogger, silentLogger } from "../logger.js";
import { deliveryReceipt } from "../receipt.js";
import {
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type DestinationState,
  type RecordedDelivery,
  type Sink,
} from "../types.js";
import { type AwsErrorContext, awsDeliveryError, awsErrorName } from "./errors.js";

/** Days a removed secret can be restored (`aws secretsmanager restore-secret`); 7 is AWS's minimum. */
export const RECOVERY_WINDOW_DAYS = 7;

/** The staging label tokenform's versions carry besides AWSCURRENT. */
export const TOKENFORM_STAGE = "tokenform";

/** Options of `AwsSecretsManagerSink`. */
export interface AwsSinkOptions {
  /** Static keys and an endpoint override are read from here (`AWS_ACCESS_KEY_ID`, …, `AWS_ENDPOINT_URL`). */
  env?: NodeJS.ProcessEnv;
  logger?: SinkLogger;
  /** Attempts per call, retries of throttling and 5xx included (default 4). */
  maxAttempts?: number;
}

/** The secret's current value, or undefined when it does not exist. */
interface Current {
  text: string | undefined;
  versionId: string | undefined;
}

export class AwsSecretsManagerSink implements Sink<AwsSecretsManagerDestination> {
  readonly kind = "awsSecretsManager" as const;
  readonly #env: NodeJS.ProcessEnv;
  readonly #logger: SinkLogger;
  readonly #maxAttempts: number;
  readonly #clients = new Map<string, SecretsManagerClient>();

  constructor(options: AwsSinkOptions = {}) {
    this.#env = options.env ?? {};
    this.#logger = options.logger ?? silentLogger;
    this.#maxAttempts = options.maxAttempts ?? 4;
  }

  async deliver(
    d: AwsSecretsManagerDestination,
    secret: SecretValue,
    context: DeliveryContext,
  ): Promise<DeliveryReceipt> {
    const value = secret.reveal();
    const where = describe(d);
    let text = value;
    let exists: boolean | undefined;
    if (d.key !== undefined) {
      const current = await this.#read(d, context, [value]);
      exists = current.text !== undefined;
      text = JSON.stringify({ ...jsonFields(d, current.text), [d.key]: value });
    }
    const ctx = this.#ctx(d, `writing ${where}`, "secretsmanager:PutSecretValue", [value]);
    const { client, options } = this.#sender(d, context);
    if (exists !== false) {
      try {
        const put = await client.send(
          new PutSecretValueCommand({
            SecretId: d.secret,
            SecretString: text,
            ClientRequestToken: randomUUID(),
            VersionStages: ["AWSCURRENT", TOKENFORM_STAGE],
          }),
          options,
        );
        return this.#receipt(d, secret, context, "updated", put.VersionId);
      } catch (error) {
        if (awsErrorName(error) !== "ResourceNotFoundException" || isArn(d.secret)) {
          throw awsDeliveryError(error, ctx);
        }
      }
    }
    if (isArn(d.secret)) {
      throw new DeliveryError(
        destinationId(d),
        `AWS Secrets Manager secret ${d.secret} does not exist: tokenform creates secrets by name only`,
        404,
      );
    }
    try {
      const created = await client.send(
        new CreateSecretCommand({
          Name: d.secret,
          SecretString: text,
          ClientRequestToken: randomUUID(),
          Description: `managed by tokenform (${context.tokenName})`,
        }),
      );
      return this.#receipt(d, secret, context, "created", created.VersionId);
    } catch (error) {
      throw awsDeliveryError(error, {
        ...ctx,
        doing: `creating ${where}`,
        action: "secretsmanager:CreateSecret",
      });
    }
  }

  async inspect(
    d: AwsSecretsManagerDestination,
    delivery: RecordedDelivery,
    context: DeliveryContext,
  ): Promise<DestinationState> {
    const current = await this.#read(d, context, []);
    if (current.text === undefined) return { holds: false, reason: "the secret no longer exists" };
    if (delivery.version !== undefined && current.versionId === delivery.version) return { holds: true };
    const held = d.key === undefined ? current.text : jsonFields(d, current.text)[d.key];
    if (held === undefined) return { holds: false, reason: `the secret no longer has key ${d.key}` };
    if (typeof held === "string" && fingerprintOf(held) === delivery.fingerprint) return { holds: true };
    const versions = delivery.version
      ? ` (current version ${current.versionId}; tokenform wrote version ${delivery.version})`
      : "";
    return {
      holds: false,
      reason: `${d.key === undefined ? "the secret" : `key ${d.key}`} holds another value than tokenform delivered${versions}`,
    };
  }

  async remove(d: AwsSecretsManagerDestination, context: DeliveryContext): Promise<void> {
    const { client, options } = this.#sender(d, context);
    const where = describe(d);
    if (d.key !== undefined) {
      const current = await this.#read(d, context, []);
      if (current.text === undefined) return;
      const { [d.key]: removed, ...rest } = jsonFields(d, current.text);
      if (removed === undefined) return;
      if (Object.keys(rest).length > 0) {
        try {
          await client.send(
            new PutSecretValueCommand({
              SecretId: d.secret,
              SecretString: JSON.stringify(rest),
              ClientRequestToken: randomUUID(),
            }),
            options,
          );
        } catch (error) {
          throw awsDeliveryError(
            error,
            this.#ctx(d, `removing key ${d.key} from ${where}`, "secretsmanager:PutSecretValue", []),
          );
        }
        return;
      }
    }
    try {
      await client.send(
        new DeleteSecretCommand({ SecretId: d.secret, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS }),
        options,
      );
    } catch (error) {
      // Already gone, or already scheduled for deletion: what we wanted.
      if (awsErrorName(error) === "ResourceNotFoundException") return;
      if (awsErrorName(error) === "InvalidRequestException" && /deletion/i.test((error as Error).message))
        return;
      throw awsDeliveryError(error, this.#ctx(d, `deleting ${where}`, "secretsmanager:DeleteSecret", []));
    }
    this.#logger.info(
      { sink: "awsSecretsManager", destination: destinationId(d), token: context.tokenName },
      `scheduled the secret's deletion (recoverable for ${RECOVERY_WINDOW_DAYS} days)`,
    );
  }

  /** The AWSCURRENT value; undefined text when the secret does not exist or is scheduled for deletion. */
  async #read(
    d: AwsSecretsManagerDestination,
    context: DeliveryContext,
    secrets: string[],
  ): Promise<Current> {
    try {
      const { client, options } = this.#sender(d, context);
      const got = await client.send(new GetSecretValueCommand({ SecretId: d.secret }), options);
      return { text: got.SecretString, versionId: got.VersionId };
    } catch (error) {
      const name = awsErrorName(error);
      if (name === "ResourceNotFoundException") return { text: undefined, versionId: undefined };
      if (name === "InvalidRequestException" && /deletion/i.test((error as Error).message)) {
        return { text: undefined, versionId: undefined };
      }
      throw awsDeliveryError(
        error,
        this.#ctx(d, `reading ${describe(d)}`, "secretsmanager:GetSecretValue", secrets),
      );
    }
  }

  /** The region's client and the per-call options (cancellable with the run). */
  #sender(d: AwsSecretsManagerDestination, context: DeliveryContext) {
    return {
      client: this.#client(d.region),
      options: context.signal ? { abortSignal: context.signal } : {},
    };
  }

  #client(region: string): SecretsManagerClient {
    let client = this.#clients.get(region);
    if (!client) {
      const env = this.#env;
      client = new SecretsManagerClient({
        region,
        maxAttempts: this.#maxAttempts,
        ...(env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL
          ? { endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL }
          : {}),
        // Keys in the sink's environment (the Action's inputs) win; otherwise the SDK's default chain.
        ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
          ? {
              credentials: {
                accessKeyId: env.AWS_ACCESS_KEY_ID,
                secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
                ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
              },
            }
          : {}),
      });
      this.#clients.set(region, client);
    }
    return client;
  }

  #ctx(d: AwsSecretsManagerDestination, doing: string, action: string, secrets: string[]): AwsErrorContext {
    return {
      destination: destinationId(d),
      doing,
      action,
      secrets: [...secrets, this.#env.AWS_SECRET_ACCESS_KEY, this.#env.AWS_SESSION_TOKEN],
    };
  }

  #receipt(
    d: AwsSecretsManagerDestination,
    secret: SecretValue,
    context: DeliveryContext,
    outcome: "created" | "updated",
    versionId: string | undefined,
  ): DeliveryReceipt {
    return deliveryReceipt(this.#logger, {
      sink: "awsSecretsManager",
      place: "AWS Secrets Manager",
      destination: destinationId(d),
      secret,
      outcome,
      context,
      version: versionId,
    });
  }
}

function isArn(secret: string): boolean {
  return secret.startsWith("arn:");
}

/** `secret mcp/backend (eu-west-1)`, with its key. */
function describe(d: AwsSecretsManagerDestination): string {
  return `${d.key !== undefined ? `key ${d.key} of ` : ""}secret ${d.secret} (${d.region})`;
}

/** The fields of a JSON secret; a value that is not a JSON object is refused, never overwritten. */
function jsonFields(d: AwsSecretsManagerDestination, text: string | undefined): Record<string, unknown> {
  if (text === undefined || text === "") return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // fall through
  }
  throw new DeliveryError(
    destinationId(d),
    `AWS Secrets Manager secret ${d.secret} (${d.region}) does not hold a JSON object, so key ${d.key} cannot be set in it; remove key from the destination to own the whole secret, or fix the secret`,
  );
}
