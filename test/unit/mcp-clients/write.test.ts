/**
 * Writing a key into each MCP client's configuration in a temporary HOME: the entry each client reads,
 * everything else in the file kept (other servers, VS Code's comments), mode 0600, a header the token
 * service accepts, `${env:…}` references where the client reads them, and refusals that write nothing.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "jsonc-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SecretValue } from "../../../src/api/secret.js";
import { withSecretScope } from "../../../src/api/secret-registry.js";
import { authVariable, configPath, type MachinePaths } from "../../../src/mcp-clients/clients.js";
import { writeClientConfig } from "../../../src/mcp-clients/write.js";
import { credentialFromHeaders } from "../../../src/service/credentials.js";
import { generateToken } from "../../../src/spec/token-format.js";

let home: string;
let machine: MachinePaths;
const url = "https://mcp.example.com/mcp";

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "tokenform-mcp-clients-"));
  machine = { home, platform: "linux", env: {} };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function place(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

/** Writes `key` for `client` inside a secret scope, as a CLI command would. */
function write(client: Parameters<typeof configPath>[0], raw: string, extra: { envReference?: string } = {}) {
  return withSecretScope(() =>
    writeClientConfig({ client, server: "status", url, header: "bearer" }, new SecretValue(raw), {
      machine,
      ...extra,
    }),
  );
}

describe("MCP client configuration files", () => {
  it("puts each client's file where the client reads it", () => {
    expect(configPath("cursor", machine)).toBe(join(home, ".cursor", "mcp.json"));
    expect(configPath("windsurf", machine)).toBe(join(home, ".codeium", "windsurf", "mcp_config.json"));
    expect(configPath("vscode", machine)).toBe(join(home, ".config", "Code", "User", "mcp.json"));
    expect(configPath("claude-desktop", machine)).toBe(
      join(home, ".config", "Claude", "claude_desktop_config.json"),
    );
    const mac = { ...machine, platform: "darwin" as const };
    expect(configPath("claude-desktop", mac)).toBe(
      join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json"),
    );
    expect(
      configPath("vscode", { home, platform: "win32", env: { APPDATA: "C:\\Users\\a\\AppData\\Roaming" } }),
    ).toBe(join("C:\\Users\\a\\AppData\\Roaming", "Code", "User", "mcp.json"));
  });

  it("Cursor: adds the server next to the others, mode 0600, with a header the service accepts", async () => {
    const path = configPath("cursor", machine);
    place(path, `{\n  "mcpServers": {\n    "other": { "command": "other-server" }\n  }\n}\n`);
    const key = generateToken("mcp_sk_");
    const written = await write("cursor", key);
    expect(written).toEqual({ path, created: false, holdsKey: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(path, "utf8"));
    expect(config.mcpServers.other).toEqual({ command: "other-server" });
    expect(config.mcpServers.status.url).toBe(url);
    const headers = Object.fromEntries(
      Object.entries(config.mcpServers.status.headers as Record<string, string>).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    expect(credentialFromHeaders(headers)).toEqual({ kind: "key", key });
  });

  it("VS Code: keeps comments, inputs and other servers of its JSON with comments", async () => {
    const path = configPath("vscode", machine);
    const before = [
      "{",
      "  // my servers",
      '  "inputs": [{ "type": "promptString", "id": "gh", "password": true }],',
      '  "servers": {',
      '    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" }, // work',
      "  },",
      "}",
      "",
    ].join("\n");
    place(path, before);
    const key = generateToken("mcp_sk_");
    await write("vscode", key);
    const after = readFileSync(path, "utf8");
    expect(after).toContain("// my servers");
    expect(after).toContain("// work");
    expect(after).toContain('  "inputs": [{ "type": "promptString", "id": "gh", "password": true }],\n');
    const config = parse(after) as {
      servers: Record<string, { type: string; url: string; headers: object }>;
      inputs: unknown[];
    };
    expect(config.inputs).toHaveLength(1);
    expect(config.servers.github).toEqual({ type: "http", url: "https://api.githubcopilot.com/mcp/" });
    expect(config.servers.github).toEqual({ type: "http", url: "https://api.githubcopilot.com/mcp/" });
    expect(config.servers.status).toEqual({ type: "http", url, headers: { Authorization: `Bearer ${key}` } });
  });

  it("Windsurf: serverUrl, created with its directories when missing", async () => {
    const key = generateToken("mcp_sk_");
    const written = await write("windsurf", key);
    expect(written.created).toBe(true);
    const config = JSON.parse(readFileSync(written.path, "utf8"));
    expect(config).toEqual({
      mcpServers: { status: { serverUrl: url, headers: { Authorization: `Bearer ${key}` } } },
    });
    expect(statSync(dirname(written.path)).mode & 0o777).toBe(0o700);
  });

  it("Claude Desktop: mcp-remote with the header from the entry's own env block", async () => {
    const key = generateToken("mcp_sk_");
    const written = await write("claude-desktop", key);
    const entry = JSON.parse(readFileSync(written.path, "utf8")).mcpServers.status;
    const variable = authVariable("status");
    expect(variable).toBe("STATUS_MCP_AUTH");
    expect(entry).toEqual({
      command: "npx",
      args: ["-y", "mcp-remote", url, "--header", `Authorization:\${${variable}}`],
      env: { [variable]: `Bearer ${key}` },
    });
    expect(entry.args.join("")).not.toContain(" ");
  });

  it("a new key for a server already there replaces only the key: the entry's other fields and headers stay", async () => {
    const path = configPath("cursor", machine);
    // The holder's own additions to the entry (a header of their organisation, a setting), and the old
    // key in a lowercase header of another style: a rotation's pickup must keep the first and drop the last.
    place(
      path,
      `{\n  "mcpServers": {\n    "status": {\n      "url": "https://old.example.com/mcp", // moved\n      "headers": { "X-Org": "acme", "x-api-key": "mcp_sk_old" },\n      "disabled": false\n    }\n  }\n}\n`,
    );
    const key = generateToken("mcp_sk_");
    await write("cursor", key);
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain("mcp_sk_old");
    expect(parse(text).mcpServers.status).toEqual({
      url,
      headers: { "X-Org": "acme", Authorization: `Bearer ${key}` },
      disabled: false,
    });

    const claude = configPath("claude-desktop", machine);
    const variable = authVariable("status");
    place(
      claude,
      JSON.stringify({
        mcpServers: {
          status: {
            command: "npx",
            args: [],
            env: { [variable]: "Bearer mcp_sk_old", HTTPS_PROXY: "http://proxy:3128" },
          },
        },
      }),
    );
    await write("claude-desktop", key);
    expect(JSON.parse(readFileSync(claude, "utf8")).mcpServers.status.env).toEqual({
      [variable]: `Bearer ${key}`,
      HTTPS_PROXY: "http://proxy:3128",
    });
  });

  it("refuses a file whose server list is not an object, writing nothing", async () => {
    const path = configPath("cursor", machine);
    place(path, '{ "mcpServers": null }\n');
    await expect(write("cursor", generateToken("mcp_sk_"))).rejects.toThrow(
      /"mcpServers" is not an object: fix it first; nothing was written/,
    );
    expect(readFileSync(path, "utf8")).toBe('{ "mcpServers": null }\n');
  });

  it("with an environment reference the file holds no key", async () => {
    const key = generateToken("mcp_sk_");
    const written = await write("cursor", key, { envReference: "STATUS_MCP_KEY" });
    expect(written.holdsKey).toBe(false);
    const text = readFileSync(written.path, "utf8");
    expect(text).not.toContain(key);
    const reference = ["$", "{env:STATUS_MCP_KEY}"].join("");
    expect(JSON.parse(text).mcpServers.status.headers).toEqual({ Authorization: `Bearer ${reference}` });
    await expect(write("claude-desktop", key, { envReference: "X" })).rejects.toThrow(
      /does not read \$\{env:…\}/,
    );
    await expect(write("cursor", key, { envReference: "not a name" })).rejects.toThrow(
      /not an environment variable name/,
    );
  });

  it("refuses a file git would track, and one that is not JSON, writing nothing", async () => {
    execFileSync("git", ["init", "-q", home]);
    const path = configPath("cursor", machine);
    place(path, '{ "mcpServers": {} }\n');
    const key = generateToken("mcp_sk_");
    await expect(write("cursor", key)).rejects.toThrow(/inside the git work tree .* and not git-ignored/);
    expect(readFileSync(path, "utf8")).toBe('{ "mcpServers": {} }\n');
    writeFileSync(join(home, ".gitignore"), ".cursor/\n");
    await expect(write("cursor", key)).resolves.toMatchObject({ holdsKey: true });

    const broken = configPath("windsurf", machine);
    place(broken, '{ "mcpServers": { "a": 1, }\n');
    await expect(write("windsurf", key)).rejects.toThrow(
      /is not valid JSON \(line 2: .*\): fix it first; nothing was written/,
    );
    expect(readFileSync(broken, "utf8")).toBe('{ "mcpServers": { "a": 1, }\n');
  });
});
