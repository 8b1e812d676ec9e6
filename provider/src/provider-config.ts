/**
 * The provider block's behaviour: checking it (endpoint URL, owner pattern) and turning it into the API
 * client and sinks. Loaded on first use; see provider.ts.
 */
import { parseApiUrl } from "../../src/api/endpoint.js";
import type { SinkRegistry } from "../../src/sinks/types.js";
import { OWNER_PATTERN } from "../../src/spec/schema.js";
import { type Configured, DEFAULT_OWNER } from "./configured.js";
import { type Diagnostic, error, path } from "./runtime/diagnostics.js";
import { type TfObject, Unknown } from "./runtime/values.js";

/** What is wrong with an endpoint, by the one rule every front end uses (src/api/endpoint.ts). */
function checkEndpoint(value: string): string | undefined {
  const parsed = parseApiUrl(value);
  return parsed.ok ? undefined : `${JSON.stringify(value)} ${parsed.problem}`;
}

export function validate(config: TfObject): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (typeof config.endpoint === "string") {
    const problem = checkEndpoint(config.endpoint);
    if (problem) out.push(error("Invalid endpoint", problem, path("endpoint")));
  }
  if (typeof config.owner === "string" && !new RegExp(OWNER_PATTERN).test(config.owner)) {
    out.push(
      error(
        "Invalid owner",
        "expected an owner such as acme/platform-infra (letters, digits, ._- and /)",
        path("owner"),
      ),
    );
  }
  if (typeof config.api_token === "string" && config.api_token.trim() === "") {
    out.push(
      error(
        "Empty api_token",
        "Set api_token to an admin token, or leave it out to use TOKENFORM_API_TOKEN.",
        path("api_token"),
      ),
    );
  }
  return out;
}

/** A configured value, the environment's when not configured; `Unknown` when not known until apply. */
function setting(config: TfObject, name: string, envValue: string | undefined): string | Unknown | undefined {
  const v = config[name] ?? null;
  if (v instanceof Unknown) return v;
  if (typeof v === "string" && v !== "") return v;
  return envValue === "" ? undefined : envValue;
}

export async function configure(
  config: TfObject,
  env: NodeJS.ProcessEnv,
): Promise<{ configured?: Configured; diagnostics: Diagnostic[] }> {
  const diagnostics = validate(config);
  if (diagnostics.length > 0) return { diagnostics };
  let registry: Promise<SinkRegistry> | undefined;
  const sinks = () => {
    registry ??= import("../../src/sinks/index.js").then(({ createSinks }) => createSinks({ env }));
    return registry;
  };
  const owner = typeof config.owner === "string" ? config.owner : DEFAULT_OWNER;
  const endpoint = setting(config, "endpoint", env.TOKENFORM_API_URL);
  const token = setting(config, "api_token", env.TOKENFORM_API_TOKEN);
  if (endpoint instanceof Unknown || token instanceof Unknown)
    return { configured: { sinks, owner }, diagnostics };
  if (endpoint === undefined) {
    diagnostics.push(
      error(
        "Missing tokenform endpoint",
        "Set endpoint in the provider block or TOKENFORM_API_URL in the environment.",
        path("endpoint"),
      ),
    );
  } else {
    const problem = checkEndpoint(endpoint);
    if (problem) diagnostics.push(error("Invalid TOKENFORM_API_URL", problem));
  }
  if (token === undefined) {
    diagnostics.push(
      error(
        "Missing tokenform API token",
        "Set api_token in the provider block (from a variable marked sensitive) or TOKENFORM_API_TOKEN in the environment.",
        path("api_token"),
      ),
    );
  }
  if (diagnostics.length > 0 || endpoint === undefined || token === undefined) return { diagnostics };
  const { TokenformClient } = await import("../../src/api/client.js");
  const { SecretValue } = await import("../../src/api/secret.js");
  const api = new TokenformClient({ baseUrl: endpoint, token: new SecretValue(token) });
  return { configured: { api, sinks, owner }, diagnostics };
}
