/**
 * The MCP clients whose configuration tokenform writes a key into (`tokenform pickup`): where each keeps
 * its user-level configuration on each platform, and what its entry for a remote server looks like —
 * Cursor (`~/.cursor/mcp.json`, `mcpServers.<name>.url` + `headers`), Windsurf
 * (`~/.codeium/windsurf/mcp_config.json`, `serverUrl` + `headers`), VS Code (the user profile's
 * `mcp.json`, `servers.<name>` with `type: "http"`), and Claude Desktop, which starts only local servers,
 * through `mcp-remote` with the header taken from its own `env` block. Cursor, Windsurf and VS Code read
 * `${env:NAME}` in header values, so the key can stay out of the file.
 *
 * The header forms are the three the token service accepts (src/service/credentials.ts).
 */
import { join } from "node:path";

export const MCP_CLIENTS = ["cursor", "claude-desktop", "vscode", "windsurf"] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];

export const HEADER_STYLES = ["bearer", "x-api-key", "api-token"] as const;
export type HeaderStyle = (typeof HEADER_STYLES)[number];

/** Where the machine keeps things: home directory, platform and environment (tests pass their own). */
export interface MachinePaths {
  home: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

/** The header name and value for `key` (a literal key, or a `${env:NAME}` reference) in `style`. */
export function headerFor(style: HeaderStyle, key: string): { name: string; value: string } {
  switch (style) {
    case "bearer":
      return { name: "Authorization", value: `Bearer ${key}` };
    case "api-token":
      return { name: "Authorization", value: `Api-Token ${key}` };
    case "x-api-key":
      return { name: "X-API-Key", value: key };
  }
}

/** The per-user application data directory (`~/Library/Application Support`, `%APPDATA%`, `~/.config`). */
function appData(machine: MachinePaths): string {
  if (machine.platform === "darwin") return join(machine.home, "Library", "Application Support");
  if (machine.platform === "win32") return machine.env.APPDATA || join(machine.home, "AppData", "Roaming");
  return machine.env.XDG_CONFIG_HOME || join(machine.home, ".config");
}

/** The user-level configuration file of `client` on this machine. */
export function configPath(client: McpClient, machine: MachinePaths): string {
  switch (client) {
    case "cursor":
      return join(machine.home, ".cursor", "mcp.json");
    case "windsurf":
      return join(machine.home, ".codeium", "windsurf", "mcp_config.json");
    case "vscode":
      return join(appData(machine), "Code", "User", "mcp.json");
    case "claude-desktop":
      return join(appData(machine), "Claude", "claude_desktop_config.json");
  }
}

/** What goes into the file for one server: the JSON path of the entry and its value. */
export interface ClientEntry {
  path: [string, string];
  value: Record<string, unknown>;
}

/** An environment variable name for a server's key in Claude Desktop's `env` block: `STATUS_MCP_AUTH`. */
export function authVariable(server: string): string {
  const base = server
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return `${/^[0-9]/.test(base) || base === "" ? `MCP_${base}` : base}_MCP_AUTH`;
}

/** Whether `client` reads `${env:NAME}` in its header values. */
export function readsEnvReferences(client: McpClient): boolean {
  return client !== "claude-desktop";
}

/** The entry of `server` at `url` for `client`, its header carrying `key` (literal or `${env:NAME}`). */
export function entryFor(
  client: McpClient,
  server: string,
  url: string,
  style: HeaderStyle,
  key: string,
): ClientEntry {
  const header = headerFor(style, key);
  const headers = { [header.name]: header.value };
  switch (client) {
    case "cursor":
      return { path: ["mcpServers", server], value: { url, headers } };
    case "windsurf":
      return { path: ["mcpServers", server], value: { serverUrl: url, headers } };
    case "vscode":
      return { path: ["servers", server], value: { type: "http", url, headers } };
    case "claude-desktop": {
      // mcp-remote expands ${VAR} in its arguments; no spaces in args (some clients split them).
      const variable = authVariable(server);
      return {
        path: ["mcpServers", server],
        value: {
          command: "npx",
          args: ["-y", "mcp-remote", url, "--header", `${header.name}:\${${variable}}`],
          env: { [variable]: header.value },
        },
      };
    }
  }
}
