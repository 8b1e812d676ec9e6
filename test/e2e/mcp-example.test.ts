/**
 * The README's MCP server example (examples/mcp/server.ts) run as the README says — `npx tsx
 * examples/mcp/server.ts` with TOKENFORM_API_URL — against a real token service, with the SDK client and
 * with mcp-remote configured as the README's client configurations show (`--header` with the key from an
 * environment variable, and `--header-file`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, expect, it } from "vitest";
import { TokenformClient } from "../../src/api/client.js";
import { startService } from "../../src/service/index.js";
import { MCP_REMOTE, sdkClient } from "../support/mcp.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

/** mcp-remote as an MCP client configuration runs it: `command` + `args` + `env`. */
async function viaMcpRemote(args: string[], env: Record<string, string>, configDir: string) {
  const client = new Client({ name: "readme-config", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, ...args],
      env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, ...env },
      stderr: "ignore",
    }),
  );
  return client;
}

it("runs the README's SDK server example, guarded, for the SDK client and mcp-remote", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tokenform-mcp-example-"));
  const service = await startService({ dbPath: join(dir, "tokens.db"), port: 0 });
  try {
    const api = new TokenformClient({ baseUrl: service.url, token: service.adminToken });
    const reader = (
      await api.createToken({ name: "alice-cursor-dev", scopes: ["tools:call"] })
    ).secret.reveal();
    const agent = (
      await api.createToken({ name: "ops-agent", type: "agent", scopes: ["tools:call"] })
    ).secret.reveal();

    const child = spawn(process.execPath, ["--import", "tsx", "examples/mcp/server.ts"], {
      cwd: root,
      env: { ...process.env, TOKENFORM_API_URL: service.url, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const match = /^MCP server at (\S+) /.exec(line);
        if (match) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`the example exited (${code})`)));
    });

    await using client = await sdkClient(url, { Authorization: `Bearer ${reader}` });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["get_status"]);
    expect((await client.callTool({ name: "get_status", arguments: { service: "db" } })).content).toEqual([
      { type: "text", text: "db is healthy (asked by alice-cursor-dev)" },
    ]);
    await expect(
      client.callTool({ name: "restart_service", arguments: { service: "db" } }),
    ).rejects.toMatchObject({
      code: 403,
    });

    // Client configurations: the key in an environment variable, and in a header file (mode 0600).
    const headerFile = join(dir, "status.headers");
    await writeFile(headerFile, `# tokenform key for status-server\nX-API-Key: ${agent}\n`, { mode: 0o600 });
    const byEnv = await viaMcpRemote(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote's own ${VAR} syntax, expanded by mcp-remote.
      [url, "--header", "Authorization:${STATUS_MCP_AUTH}"],
      {
        STATUS_MCP_AUTH: `Bearer ${reader}`,
      },
      dir,
    );
    expect((await byEnv.listTools()).tools.map((t) => t.name)).toEqual(["get_status"]);
    await byEnv.close();
    const byFile = await viaMcpRemote([url, "--header-file", headerFile], {}, dir);
    const restarted = await byFile.callTool({ name: "restart_service", arguments: { service: "db" } });
    expect(restarted.content).toEqual([{ type: "text", text: "db restarted by ops-agent" }]);
    await byFile.close();
    await api.close();
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
});
