/**
 * Words for AWS Secrets Manager failures: maps what the AWS SDK throws (a `ServiceException` named after
 * the API's error `__type`, with `$metadata.httpStatusCode`) to a `DeliveryError` the way the GitHub sink
 * does — access denied names the IAM actions needed, a missing secret is a 404, throttling and 5xx are
 * transient (after the SDK's own retries). Only the error's name, status and AWS's short message (secret
 * and credentials scrubbed out) are kept: the SDK error carries the request.
 */
import { scrub } from "../redact.js";
import { DeliveryError } from "../types.js";

/** The shape of the SDK's ServiceException that is read (duck-typed). */
interface AwsErrorLike {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function isAwsError(error: unknown): error is AwsErrorLike {
  return error instanceof Error && typeof (error as { $metadata?: unknown }).$metadata === "object";
}

/** The AWS error name (`ResourceNotFoundException`), or undefined for anything else. */
export function awsErrorName(error: unknown): string | undefined {
  return isAwsError(error) ? error.name : undefined;
}

/** Everything needed to word an error. */
export interface AwsErrorContext {
  destination: string;
  /** `writing secret mcp/backend (eu-west-1)`. */
  doing: string;
  /** The IAM action this step needs, e.g. `secretsmanager:PutSecretValue`. */
  action: string;
  /** Raw values that must never appear in a message. */
  secrets: ReadonlyArray<string | undefined>;
}

const THROTTLED = new Set(["ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);

/** Maps any thrown value to a safe `DeliveryError`. */
export function awsDeliveryError(error: unknown, ctx: AwsErrorContext): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const { destination, doing } = ctx;
  if (error instanceof Error && error.name === "AbortError") {
    return new DeliveryError(destination, `AWS Secrets Manager: cancelled while ${doing}`, undefined, true);
  }
  if (!isAwsError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    // No answer (DNS, refused, TLS) or no credentials found by the chain.
    const credentials = error instanceof Error && error.name === "CredentialsProviderError";
    return new DeliveryError(
      destination,
      credentials
        ? `AWS credentials not found while ${doing}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)`
        : `AWS Secrets Manager: ${scrub(text, ctx.secrets)} while ${doing}; a later run may succeed`,
      undefined,
      !credentials,
    );
  }
  const status = error.$metadata?.httpStatusCode;
  const detail = scrub(error.message, ctx.secrets);
  const said = `${error.name}${detail && detail !== error.name ? `: ${detail}` : ""}`;
  if (THROTTLED.has(error.name) || status === 429) {
    return new DeliveryError(
      destination,
      `AWS Secrets Manager rate limit exceeded (${said}) while ${doing}, also on retries; re-run later`,
      429,
      true,
    );
  }
  switch (error.name) {
    case "AccessDeniedException":
    case "AccessDenied":
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
    case "ExpiredTokenException":
      return new DeliveryError(
        destination,
        `AWS refused (${said}) ${doing}: the credentials need ${ctx.action} on the secret, or are invalid or expired`,
        403,
      );
    case "ResourceNotFoundException":
      return new DeliveryError(
        destination,
        `AWS Secrets Manager: the secret does not exist (${said}) while ${doing}`,
        404,
      );
    case "ResourceExistsException":
      return new DeliveryError(
        destination,
        `AWS Secrets Manager: the secret changed while tokenform was ${doing} (${said}); a later run may succeed`,
        409,
        true,
      );
  }
  if (status !== undefined && status >= 500) {
    return new DeliveryError(
      destination,
      `AWS Secrets Manager answered ${status} (${said}) while ${doing}, also on retries; a later run may succeed`,
      status,
      true,
    );
  }
  return new DeliveryError(destination, `AWS Secrets Manager rejected ${doing} (${said})`, status);
}
