/**
 * Personal keys end to end, as people run them: a platform engineer applies a spec declaring two keys for
 * alice (a Cursor and a VS Code entry) against a real token service; apply creates them waiting and
 * delivers nothing; the plan shows them waiting. Alice, on her machine (a temporary HOME), runs
 * `tokenform pickup`, which shows a code; an admin, in another process, runs `tokenform approve CODE`.
 * Alice's CLI then writes each key into its client's configuration — the rest of each file untouched, VS
 * Code's comments included, mode 0600 — and each written key verifies. The spent code cannot be approved
 * again, and a pickup with nothing waiting says so.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "jsonc-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../src/api/client.js";
import { withSecretScope } from "../../src/api/secret-registry.js";
import { type RunningService, startService } from "../../src/service/index.js";
import { runCliAsync, startCliRun } from "../support/cli.js";

let dir: string;
let home: string;
let service: RunningService;
let admin: TokenformClient;
/** The platform engineer's environment (an admin key) and alice's (her own HOME, no key). */
let engineer: NodeJS.ProcessEnv;
let alice: NodeJS.ProcessEnv;

const SPEC = `apiVersion: tokenform.dev/v1
kind: TokenSet
metadata:
  owner: acme/platform
tokens:
  - name: alice-cursor
    holder: alice@example.com
    scopes: ["tools:call"]
    rotation: { every: 90d, overlap: 24h }
    pickup:
      mcpClient: { client: cursor, server: acme-tools, url: "https://mcp.acme.dev/mcp" }
  - name: alice-vscode
    holder: alice@example.com
    pickup:
      mcpClient: { client: vscode, server: acme-tools, url: "https://mcp.acme.dev/mcp", header: x-api-key }
`;

const CURSOR_BEFORE = `{
  "mcpServers": {
    "github": { "url": "https://api.githubcopilot.com/mcp/", "headers": { "Authorization": "Bearer \${env:GITHUB_PAT}" } }
  },
  "theme": "dark"
}
`;

const VSCODE_BEFORE = `// My MCP servers: keep this comment.
{
  "servers": {
    "local": { "type": "stdio", "command": "npx", "args": ["-y", "some-server"] }
  }
}
`;

const cursorPath = () => join(home, ".cursor", "mcp.json");
const vscodePath = () => join(home, ".config", "Code", "User", "mcp.json");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tokenform-pickup-"));
  home = join(dir, "home");
  service = await withSecretScope(() =>
    startService({
      dbPath: join(dir, "service.db"),
      port: 0,
      host: "127.0.0.1",
      pickups: { intervalSeconds: 1 },
    }),
  );
  admin = new TokenformClient({ baseUrl: service.url, token: service.adminToken, retries: 0 });
  engineer = { TOKENFORM_API_URL: service.url, TOKENFORM_API_TOKEN: service.adminToken.reveal() };
  alice = { HOME: home, XDG_CONFIG_HOME: join(home, ".config") };
  mkdirSync(join(dir, "repo", "tokens"), { recursive: true });
  writeFileSync(join(dir, "repo", "tokens", "alice.yaml"), SPEC);
  mkdirSync(join(home, ".cursor"), { recursive: true });
  mkdirSync(join(home, ".config", "Code", "User"), { recursive: true });
  writeFileSync(cursorPath(), CURSOR_BEFORE);
  writeFileSync(vscodePath(), VSCODE_BEFORE);
});

afterAll(async () => {
  await admin?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("tokenform pickup and approve", () => {
  it("apply creates the personal keys waiting, delivers nothing, and the plan shows them waiting", async () => {
    const applied = await runCliAsync(["apply", "--auto-approve"], { cwd: join(dir, "repo"), env: engineer });
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      "waits for alice@example.com to pick it up into Cursor server acme-tools (tokenform pickup; an admin approves the code)",
    );
    const tokens = await admin.listAllTokens({ holder: "alice@example.com" });
    expect(tokens.map((t) => [t.name, t.status, t.deliveries.length])).toEqual([
      ["alice-cursor", "pending", 0],
      ["alice-vscode", "pending", 0],
    ]);
    const plan = await runCliAsync(["plan"], { cwd: join(dir, "repo"), env: engineer });
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("No changes.");
    expect(plan.stdout).toMatch(
      /alice-cursor waits for alice@example\.com to pick it up into Cursor server acme-tools since/,
    );
  });

  it("writes each key into its client once an admin approves the holder's code", async () => {
    // A stale key of alice's (a login the service no longer knows) does not block her: asked without it.
    const pickup = startCliRun(["pickup", "--holder", "alice@example.com", "--url", service.url], {
      cwd: dir,
      env: { ...alice, TOKENFORM_API_TOKEN: "mcp_sk_notAKeyOfThisServiceAtAll000000" },
    });
    const [, code] = await pickup.stderrMatch(/Pickup code: ([B-Z]{4}-[B-Z]{4})/);
    expect(pickup.output().stderr).toContain("warning: the service refused your own key");
    expect(pickup.output().stderr).toContain(`Ask an admin to approve it: tokenform approve ${code}`);
    expect(pickup.output().stderr).toContain(`(or on the dashboard: ${service.url}/ui/#/pickups/${code})`);

    // Not in a terminal, approve shows the request and refuses to approve without --auto-approve.
    const unconfirmed = await runCliAsync(["approve", code!, "--api-url", service.url], {
      cwd: dir,
      env: engineer,
    });
    expect(unconfirmed.status).toBe(1);
    expect(unconfirmed.stdout).toContain(`pickup ${code} for alice@example.com (account default)`);
    expect(unconfirmed.stderr).toContain("refusing to approve without confirmation");
    expect(unconfirmed.stderr).toContain("--auto-approve");
    expect((await admin.getPickup(code!)).state).toBe("waiting");

    const approved = await runCliAsync(["approve", code!, "--api-url", service.url, "--auto-approve"], {
      cwd: dir,
      env: engineer,
    });
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(
      `pickup ${code} for alice@example.com (account default), asked from 127.0.0.1`,
    );
    expect(approved.stdout).toContain("alice-cursor → Cursor server acme-tools (https://mcp.acme.dev/mcp)");
    expect(approved.stdout).toContain("alice-vscode → VS Code server acme-tools");

    const done = await pickup.done;
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain(`alice-cursor: written into Cursor server acme-tools (${cursorPath()})`);
    expect(done.stdout).toContain(`alice-vscode: written into VS Code server acme-tools (${vscodePath()})`);

    // Cursor: the other server and setting untouched; the new entry carries the key as a bearer token.
    const cursor = JSON.parse(readFileSync(cursorPath(), "utf8"));
    expect(cursor.theme).toBe("dark");
    expect(cursor.mcpServers.github).toEqual(JSON.parse(CURSOR_BEFORE).mcpServers.github);
    expect(cursor.mcpServers["acme-tools"].url).toBe("https://mcp.acme.dev/mcp");
    const cursorKey = String(cursor.mcpServers["acme-tools"].headers.Authorization).replace(/^Bearer /, "");
    expect(statSync(cursorPath()).mode & 0o777).toBe(0o600);

    // VS Code: comments and the stdio server kept; the key in X-API-Key as the spec says.
    const vscodeText = readFileSync(vscodePath(), "utf8");
    expect(vscodeText.startsWith("// My MCP servers: keep this comment.\n")).toBe(true);
    const vscode = parse(vscodeText);
    expect(vscode.servers.local).toEqual(parse(VSCODE_BEFORE).servers.local);
    expect(vscode.servers["acme-tools"]).toMatchObject({ type: "http", url: "https://mcp.acme.dev/mcp" });
    const vscodeKey = String(vscode.servers["acme-tools"].headers["X-API-Key"]);
    expect(statSync(vscodePath()).mode & 0o777).toBe(0o600);

    // Each written key works, and nothing printed any key.
    expect(await admin.verify({ token: cursorKey, scopes: ["tools:call"] })).toMatchObject({ valid: true });
    expect(await admin.verify({ token: vscodeKey })).toMatchObject({ valid: true });
    for (const text of [done.stdout, done.stderr, approved.stdout, approved.stderr]) {
      expect(text).not.toContain(cursorKey);
      expect(text).not.toContain(vscodeKey);
    }
    const [cursorToken] = await admin.listAllTokens({ name: "alice-cursor" });
    expect(cursorToken).toMatchObject({ status: "active", pickup: { waitingSince: null } });
    expect(cursorToken?.pickup?.deliveredAt).not.toBeNull();

    // The spent code cannot be approved again; nothing waits any more.
    const again = await runCliAsync(["approve", code!, "--api-url", service.url], {
      cwd: dir,
      env: engineer,
    });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already delivered");
    const nothing = await runCliAsync(["pickup", "--holder", "alice@example.com", "--url", service.url], {
      cwd: dir,
      env: alice,
    });
    expect(nothing.status).toBe(1);
    expect(nothing.stderr).toContain("no key waits for alice@example.com");
  });

  it("a rotation opens a new pickup that alice's own key approves, while the old key lives through the overlap", async () => {
    const cursorKey = String(
      JSON.parse(readFileSync(cursorPath(), "utf8")).mcpServers["acme-tools"].headers.Authorization,
    ).replace(/^Bearer /, "");
    const rotated = await runCliAsync(["rotate", "alice-cursor", "--auto-approve"], {
      cwd: join(dir, "repo"),
      env: engineer,
    });
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(
      "the previous secret of alice-cursor (Cursor server acme-tools) stops working 1d after alice@example.com picks up the new one",
    );
    expect(rotated.stdout).toContain("rolled: the new secret waits for alice@example.com's tokenform pickup");
    expect((await admin.verify({ token: cursorKey })).valid).toBe(true);
    // Her current key, sent as her own: no admin needed.
    const pickup = await runCliAsync(["pickup", "--holder", "alice@example.com", "--url", service.url], {
      cwd: dir,
      env: { ...alice, TOKENFORM_API_TOKEN: cursorKey },
    });
    expect(pickup.status, pickup.stderr).toBe(0);
    expect(pickup.stderr).toContain("your own key approved the pickup");
    const fresh = String(
      JSON.parse(readFileSync(cursorPath(), "utf8")).mcpServers["acme-tools"].headers.Authorization,
    ).replace(/^Bearer /, "");
    expect(fresh).not.toBe(cursorKey);
    expect((await admin.verify({ token: fresh })).valid).toBe(true);
    expect((await admin.verify({ token: cursorKey })).valid).toBe(true);
  });
});
