/**
 * Lists the largest functions in the project's TypeScript sources (src, provider/src, reconciler/src),
 * by lines from the first line of the declaration to its closing brace, for the "no function over
 * about 100 lines" rule. Declarative tables (object and array literals) are not functions and are not
 * counted. Run: `npx tsx scripts/largest-functions.ts [count] [--over N]`.
 */
import { readFileSync } from "node:fs";
import { globSync } from "tinyglobby";
import ts from "typescript";

const args = process.argv.slice(2);
const overIndex = args.indexOf("--over");
const over = overIndex >= 0 ? Number(args[overIndex + 1]) : undefined;
const count = Number(
  args.find((arg, index) => /^\d+$/.test(arg) && (overIndex < 0 || index !== overIndex + 1)) ?? 5,
);

const files = globSync(["src/**/*.ts", "provider/src/**/*.ts", "reconciler/src/**/*.ts"], {
  ignore: ["**/gen/**", "**/proto/**", "**/*.d.ts"],
});

interface Sized {
  name: string;
  where: string;
  lines: number;
}

const sized: Sized[] = [];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node, owner: string): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      sized.push({ name: nameOf(node, owner), where: `${file}:${start}`, lines: end - start + 1 });
    }
    const nextOwner = ts.isClassDeclaration(node) && node.name ? node.name.text : owner;
    ts.forEachChild(node, (child) => visit(child, nextOwner));
  };
  visit(source, "");
}

function nameOf(node: ts.Node, owner: string): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isPrivateIdentifier(named.name))) {
    return owner ? `${owner}.${named.name.text}` : named.name.text;
  }
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return "(anonymous)";
}

sized.sort((a, b) => b.lines - a.lines);
const shown = over === undefined ? sized.slice(0, count) : sized.filter((entry) => entry.lines > over);
for (const entry of shown) console.log(`${String(entry.lines).padStart(4)}  ${entry.name}  ${entry.where}`);
