/**
 * `tokenform login`, `logout` and `whoami`. Login reads an admin key (from `--token`, else stdin — typed
 * without echo on a terminal, or piped), asks the service who it is, and only then stores it
 * (src/cli/credentials.ts), so a mistyped key is never saved. Whoami prints the key's name, type,
 * account, scopes and expiry, and exits 1 when the service refuses the key. No key is ever printed.
 */
import { apiUrl as normaliseApiUrl } from "../../api/endpoint.js";
import { ApiError } from "../../api/errors.js";
import { credentialsPath, forgetLogin, saveLogin, storedLogin } from "../credentials.js";
import { CliError } from "../errors.js";

/** Where a command writes and reads (tests pass their own). */
export interface LoginIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const processIo = (): LoginIo => ({
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});

/** Reads one line from a terminal with echo off (the key is never shown as it is pasted). */
async function readHidden(io: LoginIo, prompt: string): Promise<string> {
  io.stderr.write(prompt);
  const stdin = io.stdin;
  stdin.setRawMode?.(true);
  stdin.resume();
  let value = "";
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer | string) => {
        for (const char of chunk.toString("utf8")) {
          if (char === "\r" || char === "\n") {
            stdin.off("data", onData);
            resolve(value);
            return;
          }
          if (char === "\u0003") {
            stdin.off("data", onData);
            reject(new CliError("login cancelled"));
            return;
          }
          if (char === "\u007f") value = value.slice(0, -1);
          else value += char;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode?.(false);
    stdin.pause();
    io.stderr.write("\n");
  }
}

/** Everything piped to stdin, trimmed. */
async function readPiped(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8").trim();
}

/** The service URL a login command is about: `--url`, else TOKENFORM_API_URL, else the current login. */
function targetUrl(url: string | undefined, io: LoginIo, required: boolean): string | undefined {
  if (url !== undefined) return normaliseApiUrl(url, "--url", 2);
  if (io.env.TOKENFORM_API_URL) return normaliseApiUrl(io.env.TOKENFORM_API_URL, "TOKENFORM_API_URL");
  const current = storedLogin(undefined, io.env)?.url;
  if (current === undefined && required) {
    throw new CliError(
      "which token service?",
      2,
      "pass --url https://tokens.example.com (or set TOKENFORM_API_URL)",
    );
  }
  return current;
}

/** Asks the service who `token` is; a refused key is a CliError. */
async function whoIs(url: string, token: string) {
  const { TokenformClient } = await import("../../api/client.js");
  const api = new TokenformClient({ baseUrl: url, token });
  try {
    return await api.whoami();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw new CliError(
        `${url} refused the key (${error.status} ${error.code})`,
        1,
        "check that it is an admin key of that service and that it is enabled",
      );
    }
    throw error;
  } finally {
    await api.close();
  }
}

export async function runLogin(
  options: { url?: string; token?: string },
  io: LoginIo = processIo(),
): Promise<number> {
  const url = targetUrl(options.url, io, true)!;
  const token =
    options.token ??
    (io.stdin.isTTY
      ? await readHidden(io, `Paste an admin key for ${url} (input hidden): `)
      : await readPiped(io.stdin));
  if (token.trim() === "")
    throw new CliError("no key given", 2, "pipe the key on stdin: tokenform login --url URL < key-file");
  const me = await whoIs(url, token.trim());
  const path = await saveLogin({ url, token: token.trim(), name: me.name }, new Date(), io.env);
  io.stdout.write(
    `Logged in to ${url} as ${me.name} (account ${me.account}). Key stored in ${path} (mode 0600).\n`,
  );
  return 0;
}

export async function runLogout(options: { url?: string }, io: LoginIo = processIo()): Promise<number> {
  const url = options.url !== undefined ? normaliseApiUrl(options.url, "--url", 2) : undefined;
  const forgotten = await forgetLogin(url, io.env);
  io.stdout.write(
    forgotten === undefined
      ? `Not logged in${url ? ` to ${url}` : ""}; nothing to do (${credentialsPath(io.env)}).\n`
      : `Logged out of ${forgotten}: its key is removed from ${credentialsPath(io.env)}.\n`,
  );
  return 0;
}

export async function runWhoami(options: { url?: string }, io: LoginIo = processIo()): Promise<number> {
  const url = targetUrl(options.url, io, true)!;
  const token = io.env.TOKENFORM_API_TOKEN || storedLogin(url, io.env)?.token;
  if (!token) {
    throw new CliError(
      `no key for ${url}`,
      1,
      `run tokenform login --url ${url}, or set TOKENFORM_API_TOKEN`,
    );
  }
  const me = await whoIs(url, token);
  const lines = [
    `name:     ${me.name}`,
    `type:     ${me.type ?? "admin"}`,
    `account:  ${me.account}`,
    `scopes:   ${me.scopes.join(", ")}`,
    `expires:  ${me.expiresAt ?? "never"}`,
    `service:  ${url}${io.env.TOKENFORM_API_TOKEN ? " (key from TOKENFORM_API_TOKEN)" : " (logged in)"}`,
  ];
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
