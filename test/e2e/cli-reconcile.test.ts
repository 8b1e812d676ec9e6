/**
 * The reconcile commands end to end: the real CLI (spawned) on the embedded token service in a temp
 * working directory, delivering to file sinks. Checks exit codes, output, plan files, rotation, and that
 * no issued secret is ever printed.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService } from "../../src/service/index.js";
import { type CliRun, runCli } from "../support/cli.js";

let dir: string;
const outputs: string[] = [];
const run = (args: string[]): CliRun => {
  const r = runCli(args, { cwd: dir });
  outputs.push(r.stdout, r.stderr);
  return r;
};

function spec(scopes: string): string {
  return `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata: { owner: e2e/cli }
tokens:
  - name: alice-cursor-dev
    scopes: [${scopes}]
    deliver:
      - file: { path: out/alice.env, key: MCP_API_KEY }
  - name: ci-agent
    type: agent
    scopes: ["contexts:write"]
    deliver:
      - file: { path: out/ci.token, format: raw }
`;
}

async function aliceSecret(): Promise<string> {
  const text = await readFile(join(dir, "out/alice.env"), "utf8");
  return text.trim().split("=")[1]!;
}

async function verdict(secret: string): Promise<string> {
  const service = await startService({ dbPath: join(dir, ".tokenform/tokenform.db") });
  try {
    return (await service.verifier.verify({ token: secret })).code;
  } finally {
    await service.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-cli-"));
  await writeFile(join(dir, "tokens.yaml"), spec("contexts:read"));
});

afterAll(async () => {
  const secrets = [await aliceSecret(), (await readFile(join(dir, "out/ci.token"), "utf8")).trim()];
  for (const secret of secrets) for (const text of outputs) expect(text).not.toContain(secret);
  await rm(dir, { recursive: true, force: true });
});

describe("tokenform plan / apply / rotate / tokens list", () => {
  it("plans creates with --detailed-exitcode 2 and saves a plan file", () => {
    const r = run(["plan", "tokens.yaml", "--detailed-exitcode", "--out", "plan.json"]);
    expect(r.stderr).toContain("embedded token service");
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("+ alice-cursor-dev will be created (mcp)");
    expect(r.stdout.trimEnd().endsWith("Plan: 2 to create.")).toBe(true);
  });

  it("refuses to apply without confirmation off a terminal", () => {
    const r = run(["apply", "tokens.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pass --auto-approve");
  });

  it("applies the saved plan, with one progress line per step off a TTY", async () => {
    const r = run(["apply", "tokens.yaml", "--plan-file", "plan.json"]);
    expect(r.stderr + r.stdout).toContain("Apply complete: 2 changes applied, 2 secrets delivered.");
    expect(r.stdout).toContain("alice-cursor-dev: deliver file:");
    expect(r.status).toBe(0);
    expect(await verdict(await aliceSecret())).toBe("VALID");
  });

  it("plans no changes afterwards (exit 0)", () => {
    const r = run(["plan", "tokens.yaml", "--detailed-exitcode"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("No changes.");
  });

  it("refuses a stale plan file", async () => {
    expect(run(["plan", "tokens.yaml", "--out", "old.json"]).status).toBe(0);
    await writeFile(join(dir, "tokens.yaml"), spec("contexts:read, tools:call"));
    const r = run(["apply", "tokens.yaml", "--plan-file", "old.json"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the plan file is stale");
    const ok = run(["apply", "tokens.yaml", "--auto-approve"]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('+ scopes: "tools:call"');
  });

  it("emits JSON and Markdown plans", () => {
    const json = run(["plan", "tokens.yaml", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ formatVersion: 1, owner: "e2e/cli", changes: [] });
    const md = run(["plan", "tokens.yaml", "--format", "markdown"]);
    expect(md.stdout).toContain("### tokenform plan");
  });

  it("warns before apply about a key nobody would hold and a credential the deliveries need", async () => {
    await writeFile(
      join(dir, "forge.yaml"),
      `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata: { owner: e2e/forge }
tokens:
  - name: docs-bot
    deliver:
      - github: { repository: acme/docs, secret: DOCS_MCP_API_KEY }
  - name: nobody-holds-it
`,
    );
    const r = run(["plan", "forge.yaml", "--no-check-destinations"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      "Warnings (2):\n" +
        "  ! nobody-holds-it is created with no destination and no pickup: a live key nobody holds. Add a deliver entry, or a holder and pickup so its person picks it up (tokenform pickup), or set enabled: false until it has one.\n" +
        "  ! GITHUB_TOKEN is not set: applying this plan would fail at the destinations of docs-bot. Set it in the environment apply runs in.\n",
    );
    const withToken = runCli(["plan", "forge.yaml", "--no-check-destinations"], {
      cwd: dir,
      env: { GITHUB_TOKEN: "ghs_notUsedByAPlanWithoutChecks000" },
    });
    expect(withToken.stdout).toContain("Warnings (1):");
    expect(withToken.stdout).not.toContain("GITHUB_TOKEN is not set");
  });

  it("rotates one token now, revoking the previous secret", async () => {
    const before = await aliceSecret();
    const r = run(["rotate", "alice-cursor-dev", "tokens.yaml", "--now", "--auto-approve"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      "will be rotated (requested); the previous secret stops working at once (no overlap)",
    );
    const after = await aliceSecret();
    expect(after).not.toBe(before);
    expect(await verdict(after)).toBe("VALID");
    expect(await verdict(before)).not.toBe("VALID");
    const unknown = run(["rotate", "nobody", "tokens.yaml"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("no token named nobody in the specs");
    expect(unknown.stderr).not.toContain("did you mean");
    // A typo gets the closest declared name.
    expect(run(["rotate", "alice-cusror-dev", "tokens.yaml"]).stderr).toContain(
      "no token named alice-cusror-dev in the specs; did you mean alice-cursor-dev?",
    );
  });

  it("re-delivers a file overwritten outside tokenform (destination drift), unless told not to check", async () => {
    const path = join(dir, "out/ci.token");
    const before = (await readFile(path, "utf8")).trim();
    await writeFile(path, "something-else\n");
    const plan = run(["plan", "tokens.yaml", "--detailed-exitcode"]);
    expect(plan.status).toBe(2);
    expect(plan.stdout).toContain(
      `ci-agent will be re-delivered with a new secret (destination drift: file ${path}: the file holds another value)`,
    );
    const skipped = run(["plan", "tokens.yaml", "--detailed-exitcode", "--no-check-destinations"]);
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toContain("No changes.");
    const applied = run(["apply", "tokens.yaml", "--auto-approve"]);
    expect(applied.status).toBe(0);
    const after = (await readFile(path, "utf8")).trim();
    expect(after).not.toBe(before);
    expect(await verdict(after)).toBe("VALID");
    expect(run(["plan", "tokens.yaml", "--detailed-exitcode"]).status).toBe(0);
  });

  it("renames a token with renamedFrom: same token, same secret, same file variable, then and after", async () => {
    const renameSpec = (name: string, renamedFrom?: string) => `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata: { owner: e2e/rename }
tokens:
  - name: ${name}${renamedFrom ? `\n    renamedFrom: ${renamedFrom}` : ""}
    deliver:
      - file: { path: out/laptop.env }
`;
    await writeFile(join(dir, "rename.yaml"), renameSpec("laptop-dev"));
    expect(run(["apply", "rename.yaml", "--auto-approve"]).status).toBe(0);
    const before = await readFile(join(dir, "out/laptop.env"), "utf8");
    expect(before).toMatch(/^LAPTOP_DEV=mcp_sk_/);

    await writeFile(join(dir, "rename.yaml"), renameSpec("laptop-editor", "laptop-dev"));
    const plan = run(["plan", "rename.yaml"]);
    expect(plan.stdout).toContain(
      "~ laptop-editor will be renamed in place (was laptop-dev); its secret and destinations stay",
    );
    expect(plan.stdout).toContain("Plan: 1 to update.");
    expect(run(["apply", "rename.yaml", "--auto-approve"]).status).toBe(0);
    expect(await readFile(join(dir, "out/laptop.env"), "utf8")).toBe(before);
    const secret = before.trim().split("=")[1]!;
    expect(await verdict(secret)).toBe("VALID");
    const list = run(["tokens", "list", "--selector", "tokenform.dev/owner=e2e/rename"]);
    expect(list.stdout).toContain("laptop-editor");
    expect(list.stdout).not.toContain("laptop-dev ");

    // renamedFrom can go: the file keeps its variable (it never follows the name).
    await writeFile(join(dir, "rename.yaml"), renameSpec("laptop-editor"));
    const settled = run(["plan", "rename.yaml", "--detailed-exitcode"]);
    expect(settled.status).toBe(0);
    expect(settled.stdout).toContain("No changes.");
    for (const text of outputs) expect(text).not.toContain(secret);
  });

  it("lists tokens as a table without secrets", () => {
    const r = run(["tokens", "list", "--selector", "tokenform.dev/owner=e2e/cli"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+PREFIX\s+TYPE\s+STATUS\s+EXPIRES\s+LAST USED\s+REQUESTS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["alice-cursor-dev", "ci-agent"]);
    expect(r.stdout).toMatch(/mcp_sk_\w{4}…/);
  });

  it("reports invalid specs with file:line and exit 1, planning nothing", async () => {
    await writeFile(
      join(dir, "broken.yaml"),
      "apiVersion: tokenform.dev/v1\nkind: TokenSet\nmetadata: { owner: x }\ntokens:\n  - name: a\n    scopse: []\n",
    );
    const r = run(["plan", "broken.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("broken.yaml:6:5");
    expect(r.stderr).not.toContain("    at ");
  });
});
