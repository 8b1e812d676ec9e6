/**
 * What triggered the run, read the way GitHub hands it to an Action: `GITHUB_EVENT_NAME`, the webhook
 * payload at `GITHUB_EVENT_PATH`, `GITHUB_REPOSITORY` and `GITHUB_REF`. Only the fields the Action uses are
 * parsed (zod, lenient about everything else), into a small discriminated union.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";

/** `owner/name` of a repository, split. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** A pull request event (`pull_request`, or `pull_request_target`, which the Action refuses). */
export interface PullRequestTrigger {
  event: "pull_request" | "pull_request_target";
  /** The webhook's `action`: `opened`, `synchronize`, `reopened`, … */
  action: string;
  number: number;
  /** True when the head branch lives in another repository (a fork): no secrets, read-only token. */
  fork: boolean;
  /** `owner/name` of the head repository; absent when the fork was deleted. */
  headRepository?: string;
  headSha: string;
}

/** A push; `defaultBranch` is true for a push to the repository's default branch. */
export interface PushTrigger {
  event: "push";
  ref: string;
  defaultBranch: boolean;
  /** The commit pushed (the payload's `after`, else `GITHUB_SHA`); absent when neither says. */
  sha?: string;
}

/** Any other event (`schedule`, `workflow_dispatch`, …), by name. */
export interface OtherTrigger {
  event: string;
}

export type Trigger = PullRequestTrigger | PushTrigger | OtherTrigger;

/** The run's context: the trigger, the repository and a link to the run (for comments). */
export interface RunContext {
  trigger: Trigger;
  repository: RepoRef;
  /** `https://github.com/<repo>/actions/runs/<id>`; absent outside a runner. */
  runUrl?: string;
  /** The REST API root (`GITHUB_API_URL`, GitHub Enterprise Server sets its own). */
  apiUrl: string;
  /** The web root (`GITHUB_SERVER_URL`), for links to commits. */
  serverUrl: string;
}

const Repo = z.object({ full_name: z.string(), default_branch: z.string().optional() });

const PullRequestPayload = z.object({
  action: z.string().default(""),
  pull_request: z.object({
    number: z.number().int().positive(),
    head: z.object({ sha: z.string(), repo: Repo.nullable().optional() }),
    base: z.object({ repo: Repo }),
  }),
});

const PushPayload = z.object({
  ref: z.string(),
  after: z.string().optional(),
  repository: Repo.optional(),
});

/** A payload we cannot make sense of: a system fault (wrong event file), not something the user wrote. */
export class EventError extends Error {
  override readonly name = "EventError";
}

function splitRepository(full: string): RepoRef {
  const [owner, repo, extra] = full.split("/");
  if (!owner || !repo || extra !== undefined)
    throw new EventError(`GITHUB_REPOSITORY "${full}" is not owner/name`);
  return { owner, repo };
}

async function readPayload(path: string | undefined): Promise<unknown> {
  if (!path) return {};
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch (error) {
    throw new EventError(
      `cannot read the event payload at GITHUB_EVENT_PATH (${path}): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function parse<T>(schema: z.ZodType<T>, payload: unknown, event: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join(".") || "(payload)").join(", ");
    throw new EventError(`the ${event} event payload is missing fields the Action needs: ${where}`);
  }
  return parsed.data;
}

/** Reads the run's context from the runner's environment. */
export async function readRunContext(env: NodeJS.ProcessEnv = process.env): Promise<RunContext> {
  const event = env.GITHUB_EVENT_NAME ?? "";
  if (!event)
    throw new EventError("GITHUB_EVENT_NAME is not set: the Action must run inside a GitHub workflow");
  if (!env.GITHUB_REPOSITORY) throw new EventError("GITHUB_REPOSITORY is not set");
  const repository = splitRepository(env.GITHUB_REPOSITORY);
  const payload = await readPayload(env.GITHUB_EVENT_PATH);
  const server = (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  const context = {
    repository,
    serverUrl: server,
    apiUrl: (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, ""),
    ...(env.GITHUB_RUN_ID
      ? { runUrl: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` }
      : {}),
  };

  if (event === "pull_request" || event === "pull_request_target") {
    const p = parse(PullRequestPayload, payload, event);
    const head = p.pull_request.head.repo?.full_name;
    const trigger: PullRequestTrigger = {
      event,
      action: p.action,
      number: p.pull_request.number,
      fork: head === undefined || head.toLowerCase() !== p.pull_request.base.repo.full_name.toLowerCase(),
      headSha: p.pull_request.head.sha,
      ...(head ? { headRepository: head } : {}),
    };
    return { ...context, trigger };
  }
  if (event === "push") {
    const p = parse(PushPayload, payload, event);
    const defaultBranch = p.repository?.default_branch;
    const sha = p.after ?? env.GITHUB_SHA;
    return {
      ...context,
      trigger: {
        event,
        ref: p.ref,
        defaultBranch: defaultBranch !== undefined && p.ref === `refs/heads/${defaultBranch}`,
        ...(sha ? { sha } : {}),
      },
    };
  }
  return { ...context, trigger: { event } };
}

/** Narrows a trigger to a pull request. */
export function isPullRequest(trigger: Trigger): trigger is PullRequestTrigger {
  return trigger.event === "pull_request" || trigger.event === "pull_request_target";
}

/** Narrows a trigger to a push. */
export function isPush(trigger: Trigger): trigger is PushTrigger {
  return trigger.event === "push";
}
