/** How a plan names an MCP client entry a holder picks a key up into: `Cursor server acme-tools`. */

const CLIENT_NAMES: Readonly<Record<string, string>> = {
  cursor: "Cursor",
  vscode: "VS Code",
  windsurf: "Windsurf",
  "claude-desktop": "Claude Desktop",
};

/** `Cursor server acme-tools`: a client entry in words. */
export function pickupWhere(client: string, server: string): string {
  return `${CLIENT_NAMES[client] ?? client} server ${server}`;
}
