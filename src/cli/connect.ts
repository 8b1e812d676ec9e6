/**
 * Where the CLI's management API is: a remote token service (`--api-url`, else `TOKENFORM_API_URL`, else
 * the service last logged in to with `tokenform login`), or the embedded default — the token service
 * started in-process on the SQLite file under `.tokenform/`. The key is `TOKENFORM_API_TOKEN`, else the
 * one `tokenform login` stored for that URL (src/cli/credentials.ts); never a flag of these commands.
 */
import { join } from "node:path";
import type { TokenformClient } from "../api/client.js";
import { apiUrl as normaliseApiUrl } from "../api/endpoint.js";
import { storedLogin } from "./credentials.js";
import { CliError } from "./errors.js";

/** The embedded service's database, relative to the working directory (git-ignored by the service). */
export const EMBEDDED_DB = join(".tokenform", "tokenform.db");

export interface ConnectOptions {
  embedded?: boolean;
  apiUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Directory holding `.tokenform/` for the embedded service (default: the working directory). */
  cwd?: string;
}

export interface Connection {
  api: TokenformClient;
  /** Where the API is, for the first line of output (`embedded (.tokenform/tokenform.db)` or the URL). */
  where: string;
  /** The base URL the API answers on (the embedded service listens on loopback). */
  url: string;
  close(): Promise<void>;
}

export async function connect(options: ConnectOptions): Promise<Connection> {
  const env = options.env ?? process.env;
  const given = options.apiUrl ?? (options.embedded ? undefined : env.TOKENFORM_API_URL);
  const loggedIn = given === undefined && !options.embedded ? storedLogin(undefined, env) : undefined;
  const { TokenformClient } = await import("../api/client.js");
  if (given || loggedIn) {
    const apiUrl =
      loggedIn !== undefined
        ? loggedIn.url
        : options.apiUrl !== undefined
          ? normaliseApiUrl(given!, "--api-url", 2)
          : normaliseApiUrl(given!, "TOKENFORM_API_URL");
    const token = env.TOKENFORM_API_TOKEN || (loggedIn ?? storedLogin(apiUrl, env))?.token;
    if (!token) {
      throw new CliError(
        `no API token for ${apiUrl}`,
        1,
        `set TOKENFORM_API_TOKEN to an admin token with tokens:read and tokens:write, or run tokenform login --url ${apiUrl} (tokens are never passed as flags)`,
      );
    }
    const api = new TokenformClient({ baseUrl: apiUrl, token });
    const where = loggedIn !== undefined && !env.TOKENFORM_API_TOKEN ? `${apiUrl} (logged in)` : apiUrl;
    return { api, where, url: apiUrl, close: () => api.close() };
  }
  const { startService } = await import("../service/index.js");
  const dbPath = join(options.cwd ?? process.cwd(), EMBEDDED_DB);
  // On an existing database the service mints a short-lived session admin key for this process only.
  const service = await startService({ dbPath, port: 0, host: "127.0.0.1" });
  const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
  return {
    api,
    where: `embedded token service (${EMBEDDED_DB})`,
    url: service.url,
    close: async () => {
      await api.close();
      await service.close();
    },
  };
}
