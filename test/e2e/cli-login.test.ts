/**
 * `tokenform login`, `whoami` and `logout` against a real token service on a loopback port, run as the
 * real CLI with its own XDG_CONFIG_HOME: the key is checked before it is stored, stored with mode 0600,
 * used by other commands, never echoed; a refused key exits 1; a readable credentials file is refused.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSecretScope } from "../../src/api/secret-registry.js";
import { type RunningService, startService } from "../../src/service/index.js";
import { runCliAsync } from "../support/cli.js";

let dir: string;
let service: RunningService;
let admin: string;
let env: NodeJS.ProcessEnv;
const credentials = () => join(dir, "config", "tokenform", "credentials.json");
/** The CLI as a child process that does not block this one (the service answers from this process). */
const cli = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) =>
  runCliAsync(args, { cwd: dir, env: { ...env, ...extra }, input });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tokenform-login-"));
  service = await withSecretScope(() => startService({ dbPath: join(dir, "service.db") }));
  admin = service.adminToken.reveal();
  env = { XDG_CONFIG_HOME: join(dir, "config") };
});

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("tokenform login / whoami / logout", () => {
  it("refuses a key the service does not accept, and stores nothing", async () => {
    const run = await cli(
      ["login", "--url", service.url],
      "mcp_adm_notarealkey0000000000000000000000000000\n",
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${service.url} refused the key (401`);
    expect(existsSync(credentials())).toBe(false);
  });

  it("stores a key read from stdin with mode 0600, checked with the service, never echoed", async () => {
    const run = await cli(["login", "--url", `${service.url}/v1/`], `${admin}\n`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `Logged in to ${service.url} as bootstrap-admin (account default). Key stored in ${credentials()} (mode 0600).\n`,
    );
    expect(run.stdout + run.stderr).not.toContain(admin);
    expect(statSync(credentials()).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config", "tokenform")).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(credentials(), "utf8"));
    expect(stored).toMatchObject({ version: 1, current: service.url });
    expect(stored.services[service.url].token).toBe(admin);
  });

  it("whoami shows the logged-in key: name, type, account, scopes, expiry", async () => {
    const run = await cli(["whoami"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      [
        "name:     bootstrap-admin",
        "type:     admin",
        "account:  default",
        "scopes:   tokens:*",
        "expires:  never",
        `service:  ${service.url} (logged in)`,
        "",
      ].join("\n"),
    );
    expect(run.stdout + run.stderr).not.toContain(admin);
  });

  it("other commands use the stored login when no flag or environment names a service", async () => {
    await service.manager.create(
      { account: "default", name: "test", tokenId: null, scopes: ["tokens:*"], ip: null },
      { name: "visible-through-login", type: "mcp" },
    );
    const run = await cli(["tokens", "list", "--format", "json"]);
    expect(run.status, run.stderr).toBe(0);
    const names = (JSON.parse(run.stdout) as Array<{ name: string }>).map((t) => t.name);
    expect(names).toContain("visible-through-login");
    expect(existsSync(join(dir, ".tokenform"))).toBe(false);
  });

  it("the environment's key wins over the stored one", async () => {
    const run = await cli(["whoami"], undefined, {
      TOKENFORM_API_TOKEN: "mcp_adm_notarealkey0000000000000000000000000000",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("refused the key");
  });

  it("whoami exits 1 once the key is revoked", async () => {
    const second = await service.manager.create(
      { account: "default", name: "test", tokenId: null, scopes: ["tokens:*"], ip: null },
      { name: "laptop-admin", type: "admin", scopes: ["tokens:read"] },
    );
    const other = join(dir, "config-2");
    const login = await cli(["login", "--url", service.url, "--token", second.secret], undefined, {
      XDG_CONFIG_HOME: other,
    });
    expect(login.status, login.stderr).toBe(0);
    const before = await cli(["whoami"], undefined, { XDG_CONFIG_HOME: other });
    expect(before.stdout).toContain("name:     laptop-admin");
    expect(before.stdout).toContain("scopes:   tokens:read");
    await service.manager.delete(
      { account: "default", name: "test", tokenId: null, scopes: ["tokens:*"], ip: null },
      second.token.id,
    );
    const after = await cli(["whoami"], undefined, { XDG_CONFIG_HOME: other });
    expect(after.status).toBe(1);
    expect(after.stderr).toMatch(/refused the key \(401/);
    expect(after.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a credentials file other users can read", async () => {
    chmodSync(credentials(), 0o644);
    try {
      const run = await cli(["whoami"]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("can be read by other users (mode 644)");
      expect(run.stderr).toContain(`chmod 600 ${credentials()}`);
    } finally {
      chmodSync(credentials(), 0o600);
    }
  });

  it("logout forgets the key; whoami then asks which service", async () => {
    const run = await cli(["logout"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Logged out of ${service.url}`);
    expect(readFileSync(credentials(), "utf8")).not.toContain(admin);
    const who = await cli(["whoami"]);
    expect(who.status).toBe(2);
    expect(who.stderr).toContain("which token service?");
    expect((await cli(["logout"])).stdout).toContain("Not logged in");
  });
});
