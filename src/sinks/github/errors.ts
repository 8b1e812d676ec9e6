/**
 * Turns whatever octokit throws into a `DeliveryError` with a message a person can act on. Octokit's
 * `RequestError` keeps the request (whose body holds the sealed secret) and the response; none of that is
 * carried over: only the status and GitHub's own short message, with the secret and token scrubbed out.
 */
import { messageOf, scrub } from "../redact.js";
import { DeliveryError } from "../types.js";
import { describeOwner, type GithubTarget, notFoundHint, permissionHint } from "./target.js";

/** What the sink was doing when the error happened (it decides what a 404 means). */
export type GithubStep =
  | { step: "public-key" }
  | { step: "resolve-repository"; repository: string }
  | { step: "write" }
  | { step: "read" }
  | { step: "delete" };

/** The shape of octokit's RequestError that we read (duck-typed: it is not a direct dependency). */
interface HttpErrorLike {
  name: string;
  status: number;
  message: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

function isHttpError(error: unknown): error is HttpErrorLike {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === "number" &&
    (error.name === "HttpError" || "response" in error || "request" in error)
  );
}

/** Everything needed to word an error. */
export interface GithubErrorContext {
  destination: string;
  target: GithubTarget;
  step: GithubStep;
  /** Raw values that must never appear in a message: the secret and the token. */
  secrets: ReadonlyArray<string | undefined>;
  /** For "could not reach" messages. */
  baseUrl: string;
}

function describeStep(ctx: GithubErrorContext): string {
  const { target, step } = ctx;
  const where = describeOwner(target);
  switch (step.step) {
    case "public-key":
      return `reading the Actions public key of ${where}`;
    case "resolve-repository":
      return `looking up repository ${step.repository} (listed for organisation secret ${target.secret})`;
    case "write":
      return `writing secret ${target.secret} to ${where}`;
    case "read":
      return `reading secret ${target.secret} of ${where}`;
    case "delete":
      return `deleting secret ${target.secret} from ${where}`;
  }
}

/** Maps any thrown value to a safe `DeliveryError`. */
export function githubDeliveryError(error: unknown, ctx: GithubErrorContext): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const { destination, target, step } = ctx;
  const doing = describeStep(ctx);
  const where = describeOwner(target);
  if (error instanceof Error && error.name === "AbortError") {
    return new DeliveryError(destination, `GitHub: cancelled while ${doing}`, undefined, true);
  }
  if (!isHttpError(error)) {
    const text = error instanceof Error ? error.message : String(error);
    return new DeliveryError(
      destination,
      `GitHub: unexpected failure while ${doing}: ${scrub(text, ctx.secrets)}`,
    );
  }
  const status = error.status;
  const data = error.response?.data;
  const detail = scrub(messageOf(data), ctx.secrets);
  const said = detail ? `: ${detail}` : "";
  if (!error.response) {
    // @octokit/request reports a fetch failure (DNS, refused, reset, TLS) as status 500 with no response.
    return new DeliveryError(
      destination,
      `GitHub: could not reach ${ctx.baseUrl} while ${doing}: ${scrub(error.message, ctx.secrets)}; a later run may succeed`,
      undefined,
      true,
    );
  }
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (/rate limit/i.test(detail) || String(error.response.headers?.["x-ratelimit-remaining"]) === "0"));
  if (rateLimited) {
    const secondary = /secondary rate/i.test(detail);
    return new DeliveryError(
      destination,
      `GitHub ${secondary ? "secondary " : ""}rate limit exceeded (${status}) while ${doing}; re-run later${said}`,
      status,
      true,
    );
  }
  switch (status) {
    case 401:
      return new DeliveryError(
        destination,
        `GitHub rejected GITHUB_TOKEN (401${said}) while ${doing}: the token is invalid, expired or revoked`,
        status,
      );
    case 403:
      return new DeliveryError(
        destination,
        `GitHub refused access (403${said}) while ${doing}: GITHUB_TOKEN may not write Actions secrets on ${where}; ${permissionHint(target)}`,
        status,
      );
    case 404:
      if (step.step === "resolve-repository") {
        return new DeliveryError(
          destination,
          `GitHub repository ${step.repository} (listed in repositories for organisation secret ${target.secret}) not found, or GITHUB_TOKEN cannot see it`,
          status,
        );
      }
      return new DeliveryError(destination, `${notFoundHint(target)} (404 while ${doing})`, status);
    case 422:
      return new DeliveryError(destination, `GitHub rejected ${doing} (422)${said}`, status);
  }
  if (status >= 500) {
    return new DeliveryError(
      destination,
      `GitHub answered ${status} while ${doing}, also on retries${said}; a later run may succeed`,
      status,
      true,
    );
  }
  return new DeliveryError(
    destination,
    `GitHub answered ${status} while ${doing}${said}`,
    status,
    status === 408,
  );
}
