/**
 * Google access tokens for the Secret Manager sink, from the environment, first match wins:
 * `GOOGLE_OAUTH_ACCESS_TOKEN` (e.g. from google-github-actions/auth with `token_format: access_token`);
 * credentials JSON in `TOKENFORM_GOOGLE_CREDENTIALS` (the Action's input) or the file named by
 * `GOOGLE_APPLICATION_CREDENTIALS` — a service account key (a signed JWT exchanged at its `token_uri`,
 * RFC 7523) or gcloud's `authorized_user` (a refresh token). A token is fetched once and reused until a
 * minute before it expires. Workload identity federation files (`external_account`) are not read: exchange
 * them for an access token first.
 */
import { createSign } from "node:crypto";
import { readFileSync } from "node:fs";

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";

/** Where the token comes from, for messages; `token()` gets (or reuses) one. */
export interface GoogleAuth {
  describe: string;
  token(fetch: typeof globalThis.fetch): Promise<string>;
  /** Values that must never appear in a message. */
  secrets: string[];
}

/** The authentication `env` configures, or undefined when none. Throws an Error with a safe message. */
export function googleAuthFrom(env: NodeJS.ProcessEnv): GoogleAuth | undefined {
  if (env.GOOGLE_OAUTH_ACCESS_TOKEN) {
    const token = env.GOOGLE_OAUTH_ACCESS_TOKEN;
    return { describe: "GOOGLE_OAUTH_ACCESS_TOKEN", token: async () => token, secrets: [token] };
  }
  const text =
    env.TOKENFORM_GOOGLE_CREDENTIALS ||
    (env.GOOGLE_APPLICATION_CREDENTIALS
      ? readFileSync(env.GOOGLE_APPLICATION_CREDENTIALS, "utf8")
      : undefined);
  if (!text) return undefined;
  const where = env.TOKENFORM_GOOGLE_CREDENTIALS
    ? "TOKENFORM_GOOGLE_CREDENTIALS"
    : "GOOGLE_APPLICATION_CREDENTIALS";
  let creds: Record<string, string>;
  try {
    creds = JSON.parse(text) as Record<string, string>;
  } catch {
    throw new Error(`${where} does not hold Google credentials JSON`);
  }
  if (creds.type === "service_account" && creds.client_email && creds.private_key) {
    return cached(`${where} (service account ${creds.client_email})`, [creds.private_key], (fetch) =>
      exchange(fetch, creds.token_uri || DEFAULT_TOKEN_URI, {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion: signedJwt(creds.client_email!, creds.private_key!, creds.token_uri || DEFAULT_TOKEN_URI),
      }),
    );
  }
  if (creds.type === "authorized_user" && creds.refresh_token) {
    return cached(`${where} (authorized user)`, [creds.refresh_token, creds.client_secret ?? ""], (fetch) =>
      exchange(fetch, DEFAULT_TOKEN_URI, {
        grant_type: "refresh_token",
        client_id: creds.client_id ?? "",
        client_secret: creds.client_secret ?? "",
        refresh_token: creds.refresh_token!,
      }),
    );
  }
  throw new Error(
    `${where} holds ${creds.type ?? "unknown"} credentials; tokenform reads service_account and authorized_user ones (for workload identity federation, pass an access token in GOOGLE_OAUTH_ACCESS_TOKEN)`,
  );
}

function cached(
  describe: string,
  secrets: string[],
  get: (fetch: typeof globalThis.fetch) => Promise<{ token: string; expiresIn: number }>,
): GoogleAuth {
  let held: { token: string; until: number } | undefined;
  return {
    describe,
    secrets,
    async token(fetch) {
      if (held && held.until > Date.now()) return held.token;
      const got = await get(fetch);
      held = { token: got.token, until: Date.now() + (got.expiresIn - 60) * 1000 };
      secrets.push(got.token);
      return got.token;
    },
  };
}

/** An RS256 JWT asserting the service account for the cloud-platform scope. */
function signedJwt(email: string, privateKey: string, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iss: email, scope: SCOPE, aud: audience, iat: now, exp: now + 3600 })}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(privateKey).toString("base64url");
  return `${unsigned}.${signature}`;
}

async function exchange(
  fetch: typeof globalThis.fetch,
  uri: string,
  form: Record<string, string>,
): Promise<{ token: string; expiresIn: number }> {
  const res = await fetch(uri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token) {
    throw new Error(
      `Google refused the credentials (${res.status}${body.error ? `: ${body.error}` : ""}${body.error_description ? ` ${body.error_description}` : ""})`,
    );
  }
  return { token: body.access_token, expiresIn: body.expires_in ?? 3600 };
}
