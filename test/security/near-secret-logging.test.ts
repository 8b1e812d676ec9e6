/**
 * Near-secrets never reach a log: a key one character off (its checksum fails, but anyone can recover the
 * missing character offline) is masked like a real key in the real `tokenform serve`'s JSON log on stdout
 * — sent in `Authorization`, `X-API-Key`, a query string, a path and a JSON body — and in the CLI's
 * error output; only its prefix may show. The one masking function (`maskSecrets`) also serves sinks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { maskSecrets } from "../../src/api/secret.js";
import { scrub } from "../../src/sinks/redact.js";
import { BASE62, checkToken, generateToken, registerTokenPrefix } from "../../src/spec/token-format.js";
import { cliChildren, runCliAsync, spawnCli } from "../support/cli.js";

afterAll(() => {
  for (const child of cliChildren) if (child.exitCode === null) child.kill("SIGKILL");
});

/** A valid key with its last random character changed: the checksum no longer matches. */
function oneOff(prefix: string): string {
  const key = generateToken(prefix);
  const at = prefix.length + 10;
  const changed = BASE62[(BASE62.indexOf(key[at]!) + 1) % 62]!;
  const near = key.slice(0, at) + changed + key.slice(at + 1);
  expect(checkToken(near)).toEqual({ ok: false, reason: "bad_checksum" });
  return near;
}

/** The part of a key that must never show: everything after its prefix and four characters. */
const hidden = (key: string, prefix: string) => key.slice(prefix.length + 4);

describe("near-secrets in logs", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the real service's log masks a one-character-off key in headers, query, path and body", async () => {
    dir = await mkdtemp(join(tmpdir(), "tokenform-near-"));
    const bootstrap = generateToken("mcp_adm_");
    const served = await spawnCli(
      ["serve", "--db", join(dir, "tokenform.db"), "--port", "0", "--log-level", "debug"],
      {
        env: { TOKENFORM_BOOTSTRAP_TOKEN: bootstrap },
        ready: (entry) => (entry.msg === "token service listening" ? String(entry.url) : undefined),
      },
    );
    const near = { mcp: oneOff("mcp_sk_"), agent: oneOff("mcp_ag_"), admin: oneOff("mcp_adm_") };
    const send = async (
      path: string,
      init: { method?: string; headers?: Record<string, string>; body?: string },
    ) => {
      const res = await request(`${served.url}${path}`, { method: (init.method ?? "GET") as "GET", ...init });
      return { status: res.statusCode, text: await res.body.text() };
    };
    const answers: string[] = [];
    answers.push((await send("/v1/whoami", { headers: { authorization: `Bearer ${near.admin}` } })).text);
    answers.push((await send("/v1/tokens", { headers: { "x-api-key": near.admin } })).text);
    answers.push(
      (
        await send(`/v1/tokens?cursor=${near.mcp}&note=${near.agent}`, {
          headers: { "x-api-key": bootstrap },
        })
      ).text,
    );
    answers.push((await send(`/v1/tokens/${near.mcp}`, { headers: { "x-api-key": bootstrap } })).text);
    for (const key of Object.values(near)) {
      answers.push(
        (
          await send("/v1/verify", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ token: key, ip: key, scopes: [key] }),
          })
        ).text,
      );
    }
    // A key as an unknown field name and as a label: the 422 names neither beyond a prefix.
    answers.push(
      (
        await send("/v1/tokens", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": bootstrap },
          body: JSON.stringify({ name: "x", [near.mcp]: 1, labels: { [near.agent]: near.admin } }),
        })
      ).text,
    );
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
    const logs = served.stdout.join("\n");
    expect(logs).toContain('"msg":"request completed"');
    for (const [type, key] of Object.entries(near)) {
      const prefix = { mcp: "mcp_sk_", agent: "mcp_ag_", admin: "mcp_adm_" }[type]!;
      expect(logs).not.toContain(hidden(key, prefix));
      for (const answer of answers) expect(answer).not.toContain(hidden(key, prefix));
    }
    // The prefix (and a display prefix) may show: the query string was logged, masked.
    expect(logs).toContain(`cursor=${near.mcp.slice(0, "mcp_sk_".length + 4)}…[redacted]`);
  });

  it("the CLI's errors mask a one-character-off key", async () => {
    dir ??= await mkdtemp(join(tmpdir(), "tokenform-near-"));
    const near = oneOff("mcp_adm_");
    const runs = [
      // A key in the service URL (the key sent, TOKENFORM_API_TOKEN, is another one).
      await runCliAsync(["tokens", "list"], {
        cwd: dir,
        env: { TOKENFORM_API_URL: `http://127.0.0.1:9/?key=${near}`, TOKENFORM_API_TOKEN: "mcp_adm_x" },
      }),
      // A key pasted where a prefix belongs.
      await runCliAsync(["token", "generate", "--prefix", near], { cwd: dir }),
      // A key pasted where a spec path belongs: the file_not_found diagnostic quotes the path.
      await runCliAsync(["validate", near], { cwd: dir }),
      await runCliAsync(["validate", "--format", "json", near], { cwd: dir }),
      await runCliAsync(["plan", near], { cwd: dir, env: { TOKENFORM_API_URL: "http://127.0.0.1:9" } }),
    ];
    for (const run of runs) {
      expect(run.status).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toContain("mcp_adm_");
      expect(`${run.stdout}${run.stderr}`).not.toContain(hidden(near, "mcp_adm_"));
    }
  });
});

describe("maskSecrets", () => {
  it("masks keys of known and configured prefixes, valid or not, and leaves other text alone", () => {
    const valid = generateToken("mcp_sk_");
    const near = oneOff("mcp_ag_");
    const truncated = generateToken("mcp_adm_").slice(0, -3);
    registerTokenPrefix("acme_");
    const custom = `acme_${"Zx9".repeat(12)}`;
    const line = `Bearer ${valid} ?k=${near}&t=${truncated} {"d":"${custom}"} tok_0123456789 mcp_sk_AbCd…`;
    const masked = maskSecrets(line);
    for (const [key, prefix] of [
      [valid, "mcp_sk_"],
      [near, "mcp_ag_"],
      [truncated, "mcp_adm_"],
      [custom, "acme_"],
    ] as const) {
      expect(masked).not.toContain(hidden(key, prefix));
      expect(masked).toContain(`${key.slice(0, prefix.length + 4)}…[redacted]`);
    }
    expect(masked).toContain("tok_0123456789 mcp_sk_AbCd…");
    expect(maskSecrets(masked)).toBe(masked);
    expect(maskSecrets("request completed in 12 ms")).toBe("request completed in 12 ms");
  });

  it("is what sink error texts go through", () => {
    const near = oneOff("mcp_sk_");
    expect(scrub(`GitHub said: bad value ${near}`, [])).not.toContain(hidden(near, "mcp_sk_"));
  });
});
