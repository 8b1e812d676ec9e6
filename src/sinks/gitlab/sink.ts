/**
 * The GitLab CI/CD variables sink: project and group variables, keyed by (key, environment scope).
 *
 * Deliver reads the variable with `filter[environment_scope]`; absent → POST (create), present → PUT
 * (update) with the same filter, so a variable of the same key in another scope is never touched.
 *
 * Hidden variables: GitLab can only make a variable "masked and hidden" when creating it
 * (`masked_and_hidden: true`), and refuses any change to `masked` once it is hidden. So:
 * - absent and `hidden` requested → created hidden;
 * - present, hidden → only the value (and protected/raw/description) is updated, `masked` is not sent;
 * - present, not hidden, `hidden` requested → the value is updated and a warning says the variable stays
 *   visible until it is deleted and re-created (tokenform does not delete it on its own: that would leave
 *   pipelines without the variable for a moment).
 */
import { fingerprintOf, type SecretValue } from "../../api/secret.js";
import { destinationId, type GitlabDestination } from "../../spec/resolved.js";
import { type SinkLogger, silentLogger } from "../logger.js";
import { deliveryReceipt } from "../receipt.js";
import { messageOf } from "../redact.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../retry.js";
import {
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type DestinationState,
  type RecordedDelivery,
  type Sink,
} from "../types.js";
import {
  DEFAULT_GITLAB_TIMEOUT_MS,
  GITLAB_DEFAULT_URL,
  GitlabApi,
  type GitlabRequest,
  type GitlabResponse,
  GitlabTransportError,
  gitlabApiRoot,
} from "./api.js";
import {
  type GitlabErrorContext,
  gitlabAnswerError,
  gitlabTransportError,
  isVariableNotFound,
} from "./errors.js";
import { maskingProblem } from "./masking.js";
import { describeContainer, type GitlabTarget, gitlabPermissionHint, gitlabTarget } from "./target.js";

/** Options of `GitlabSink`; everything but the token has a production default. */
export interface GitlabSinkOptions {
  /** The credential (`GITLAB_TOKEN`); when absent every call fails with a DeliveryError saying so. */
  token?: string;
  /** Instance URL (`GITLAB_URL`, default https://gitlab.com); `/api/v4` is appended unless present. */
  url?: string;
  /** Fetch implementation (default: Node's global fetch, which is undici). */
  fetch?: typeof globalThis.fetch;
  logger?: SinkLogger;
  /** Retries for 5xx / 429 / network errors / timeouts (default 3, backoff 1 s, 2 s, 4 s). */
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

/** A CI/CD variable as GitLab returns it (the fields this sink reads). */
interface GitlabVariable {
  key: string;
  /** Absent or null for hidden variables. */
  value?: string | null;
  masked?: boolean;
  hidden?: boolean;
  environment_scope?: string;
}

export class GitlabSink implements Sink<GitlabDestination> {
  readonly kind = "gitlab" as const;
  readonly #token: string | undefined;
  readonly #api: GitlabApi | undefined;
  readonly #logger: SinkLogger;

  constructor(options: GitlabSinkOptions = {}) {
    this.#token = options.token || undefined;
    this.#logger = options.logger ?? silentLogger;
    this.#api = this.#token
      ? new GitlabApi({
          token: this.#token,
          apiRoot: gitlabApiRoot(options.url || GITLAB_DEFAULT_URL),
          fetch: options.fetch ?? globalThis.fetch,
          retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
          timeoutMs: options.timeoutMs ?? DEFAULT_GITLAB_TIMEOUT_MS,
        })
      : undefined;
  }

  async deliver(
    d: GitlabDestination,
    secret: SecretValue,
    context: DeliveryContext,
  ): Promise<DeliveryReceipt> {
    const destination = destinationId(d);
    const target = gitlabTarget(d);
    const api = this.#apiFor(destination, target);
    const value = secret.reveal();
    const secrets = [value, this.#token];
    const variable = `variable ${target.key} (scope ${target.environmentScope})`;
    if (d.masked || d.hidden) {
      const problem = maskingProblem(value);
      if (problem) {
        throw new DeliveryError(
          destination,
          `GitLab cannot mask the secret for ${variable} in ${describeContainer(target)}: ${problem}`,
        );
      }
    }
    const description = `managed by tokenform (${context.tokenName})`;
    const call = (doing: string, req: GitlabRequest) =>
      this.#send(api, req, { destination, target, doing, secrets }, context.signal);

    const existing = await this.#read(
      api,
      { destination, target, doing: `reading ${variable}`, secrets },
      context.signal,
    );
    if (!existing) {
      const created = await call(`creating ${variable}`, {
        method: "POST",
        path: `${target.basePath}/variables`,
        body: {
          key: target.key,
          value,
          variable_type: "env_var",
          protected: d.protected,
          raw: d.raw,
          environment_scope: target.environmentScope,
          description,
          ...(d.hidden ? { masked_and_hidden: true } : { masked: d.masked }),
        },
      });
      if (created.status >= 200 && created.status < 300) {
        return this.#receipt(destination, secret, context, "created");
      }
      // Created meanwhile (a concurrent run, or our own POST whose answer was lost): update it instead.
      if (!(created.status === 400 && /already been taken/i.test(messageOf(created.data)))) {
        throw gitlabAnswerError(created, { destination, target, doing: `creating ${variable}`, secrets });
      }
    }
    const hiddenNow = existing?.hidden === true;
    if (d.hidden && existing && !hiddenNow) {
      this.#logger.warn(
        { sink: "gitlab", destination },
        "GitLab can only hide a variable when it is created: the value was updated but the variable stays " +
          "visible to maintainers; delete it in GitLab and re-run to create it hidden",
      );
    }
    const doing = `updating ${variable}`;
    const updated = await call(doing, {
      method: "PUT",
      path: `${target.basePath}/variables/${encodeURIComponent(target.key)}`,
      query: { "filter[environment_scope]": target.environmentScope },
      body: {
        value,
        variable_type: "env_var",
        protected: d.protected,
        raw: d.raw,
        description,
        // GitLab rejects any `masked` on a hidden variable ("cannot be changed for masked and hidden").
        ...(hiddenNow ? {} : { masked: d.masked }),
      },
    });
    if (updated.status < 200 || updated.status >= 300) {
      throw gitlabAnswerError(updated, { destination, target, doing, secrets });
    }
    return this.#receipt(destination, secret, context, "updated");
  }

  /**
   * A variable holds tokenform's delivery when it exists in its scope and, where GitLab returns the value
   * (not for hidden variables), the value has the recorded fingerprint. The value is hashed and dropped.
   */
  async inspect(
    d: GitlabDestination,
    delivery: RecordedDelivery,
    context: DeliveryContext,
  ): Promise<DestinationState> {
    const destination = destinationId(d);
    const target = gitlabTarget(d);
    const api = this.#apiFor(destination, target);
    const doing = `reading variable ${target.key} (scope ${target.environmentScope})`;
    const ctx = { destination, target, doing, secrets: [this.#token] };
    const variable = await this.#read(api, ctx, context.signal);
    if (variable === undefined) return { holds: false, reason: "the variable no longer exists" };
    if (typeof variable.value === "string" && fingerprintOf(variable.value) !== delivery.fingerprint) {
      return { holds: false, reason: "the variable holds another value than tokenform delivered" };
    }
    return { holds: true };
  }

  async remove(d: GitlabDestination, context: DeliveryContext): Promise<void> {
    const destination = destinationId(d);
    const target = gitlabTarget(d);
    const api = this.#apiFor(destination, target);
    const doing = `deleting variable ${target.key} (scope ${target.environmentScope})`;
    const ctx = { destination, target, doing, secrets: [this.#token] };
    const res = await this.#send(
      api,
      {
        method: "DELETE",
        path: `${target.basePath}/variables/${encodeURIComponent(target.key)}`,
        query: { "filter[environment_scope]": target.environmentScope },
      },
      ctx,
      context.signal,
    );
    // Already gone is what we wanted.
    if ((res.status >= 200 && res.status < 300) || isVariableNotFound(res)) {
      this.#logger.info({ sink: "gitlab", destination, token: context.tokenName }, "removed GitLab variable");
      return;
    }
    throw gitlabAnswerError(res, ctx);
  }

  /** The variable in its scope, or undefined when GitLab says `404 Variable Not Found`. */
  async #read(
    api: GitlabApi,
    ctx: GitlabErrorContext,
    signal: AbortSignal | undefined,
  ): Promise<GitlabVariable | undefined> {
    const { target } = ctx;
    const res = await this.#send(
      api,
      {
        method: "GET",
        path: `${target.basePath}/variables/${encodeURIComponent(target.key)}`,
        query: { "filter[environment_scope]": target.environmentScope },
      },
      ctx,
      signal,
    );
    if (res.status === 200) return res.data as GitlabVariable;
    if (isVariableNotFound(res)) return undefined;
    throw gitlabAnswerError(res, ctx);
  }

  async #send(
    api: GitlabApi,
    req: GitlabRequest,
    ctx: GitlabErrorContext,
    signal: AbortSignal | undefined,
  ): Promise<GitlabResponse> {
    try {
      return await api.send(signal ? { ...req, signal } : req);
    } catch (error) {
      if (error instanceof GitlabTransportError) throw gitlabTransportError(error, ctx);
      throw new DeliveryError(ctx.destination, `GitLab: unexpected failure while ${ctx.doing}`);
    }
  }

  #receipt(
    destination: string,
    secret: SecretValue,
    context: DeliveryContext,
    outcome: "created" | "updated",
  ): DeliveryReceipt {
    return deliveryReceipt(this.#logger, {
      sink: "gitlab",
      place: "GitLab",
      destination,
      secret,
      outcome,
      context,
    });
  }

  #apiFor(destination: string, target: GitlabTarget): GitlabApi {
    if (!this.#api) {
      throw new DeliveryError(
        destination,
        `GITLAB_TOKEN is not set: a token with ${gitlabPermissionHint(target)} is needed to write CI/CD ` +
          `variables of ${describeContainer(target)}. Set it in the environment; tokenform never takes credentials from flags.`,
      );
    }
    return this.#api;
  }
}
