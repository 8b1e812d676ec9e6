/** The README's MCP method table is the method table (src/mcp/methods.ts), row for row. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { METHOD_TABLE, type MethodRule, NOTIFICATION, UNKNOWN_METHOD } from "../../../src/mcp/methods.js";

function row(method: string, rule: MethodRule): string {
  const scopes = rule.scopes.length > 0 ? rule.scopes.map((s) => `\`${s}\``).join(", ") : "—";
  const access = rule.write === "tool" ? "read or write" : rule.write ? "write" : "read";
  return `| \`${method}\` | ${scopes} | ${access} | ${rule.note ?? ""} |`;
}

it("prints the method table in the README exactly as the guard applies it", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("| method | scope | reads or writes | |");
  expect(start).toBeGreaterThan(0);
  const lines = readme.slice(start).split("\n");
  const table = lines.slice(
    2,
    lines.findIndex((line, i) => i > 0 && !line.startsWith("|")),
  );
  const expected = [
    ...Object.entries(METHOD_TABLE).map(([method, rule]) => row(method, rule)),
    row("notifications/*", NOTIFICATION),
    row("any other method", UNKNOWN_METHOD),
  ];
  expect(table).toEqual(expected);
});
