/** The `tokenform tokens list` table: name, prefix, type, status, expires, last used, requests. */
import type { Token } from "../api/schemas.js";

function ago(iso: string | null, now: Date): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export function renderTokensTable(tokens: Token[], now = new Date()): string {
  const header = ["NAME", "PREFIX", "TYPE", "STATUS", "EXPIRES", "LAST USED", "REQUESTS"];
  const rows = [...tokens]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => [
      t.name,
      `${t.displayPrefix}…`,
      t.type,
      t.status,
      t.expiresAt ? t.expiresAt.slice(0, 10) : "never",
      ago(t.lastUsedAt, now),
      String(t.requestCount),
    ]);
  if (rows.length === 0) return "No tokens.\n";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
