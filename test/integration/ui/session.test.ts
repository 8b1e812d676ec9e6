/**
 * Dashboard sessions over plain HTTP against a real service: who may sign in, the cookie's Secure flag
 * (only over HTTPS: a trusted proxy's X-Forwarded-Proto), the hard session lifetime on the service clock,
 * a revoked admin key ending its sessions, cross-site requests, and `ui: false` (`serve --no-ui`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/service/clock.js";
import { serve } from "../../../src/service/serve.js";
import { type RunningService, startService } from "../../../src/service/service.js";
import { generateToken } from "../../../src/spec/token-format.js";

let dir: string;
let service: RunningService;
let clock: ManualClock;
let admin: string;

async function signIn(key: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${service.url}/ui/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ key }),
  });
}

function cookieOf(res: Response): string {
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

async function make(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${service.url}/v1/tokens`, {
    method: "POST",
    headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const made = (await res.json()) as { token: { id: string }; secret: string };
  return { id: made.token.id, secret: made.secret };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-ui-session-"));
  clock = new ManualClock(Date.now());
  service = await startService({
    dbPath: join(dir, "tokenform.db"),
    clock,
    sweepIntervalMs: 0,
    trustedProxies: ["127.0.0.1"],
    ui: { sessionIdleSeconds: 600, sessionMaxSeconds: 1800 },
  });
  admin = service.adminToken.reveal();
});

afterAll(async () => {
  await service?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("dashboard sessions", () => {
  it("marks the cookie Secure only when a trusted proxy says the request came over HTTPS", async () => {
    const plain = await signIn(admin);
    expect(plain.status).toBe(204);
    expect(plain.headers.get("set-cookie")).not.toContain("Secure");
    expect(plain.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict; Max-Age=1800$/);
    const https = await signIn(admin, { "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9" });
    expect(https.status).toBe(204);
    expect(https.headers.get("set-cookie")).toContain("; Secure");
  });

  it("refuses a wrong key, a non-admin key and a sign-in from another site, with a JSON error", async () => {
    const wrong = await signIn("mcp_adm_notARealKeyAtAll0000000000000000");
    expect(wrong.status).toBe(401);
    const mcp = await make({ name: "someone-ide", type: "mcp" });
    const notAdmin = await signIn(mcp.secret);
    expect(notAdmin.status).toBe(403);
    expect(((await notAdmin.json()) as { error: { message: string } }).error.message).toContain(
      "only admin keys",
    );
    const crossSite = await signIn(admin, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const empty = await signIn("");
    expect(empty.status).toBe(400);
  });

  it("ends a session at its hard lifetime even while it is active", async () => {
    const cookie = cookieOf(await signIn(admin));
    for (let i = 0; i < 4; i++) {
      clock.advance({ seconds: 500 }); // within the idle window each time: renewed
      const res = await fetch(`${service.url}/ui/api/v1/tokens`, { headers: { Cookie: cookie } });
      expect(res.status).toBe(i < 3 ? 200 : 401);
    }
  });

  it("ends the sessions of an admin key that is revoked", async () => {
    const key = await make({ name: "short-admin", type: "admin", scopes: ["tokens:read"] });
    const cookie = cookieOf(await signIn(key.secret));
    expect((await fetch(`${service.url}/ui/session`, { headers: { Cookie: cookie } })).status).toBe(200);
    const revoke = await fetch(`${service.url}/v1/tokens/${key.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${admin}` },
    });
    expect(revoke.status).toBe(204);
    expect((await fetch(`${service.url}/ui/api/v1/tokens`, { headers: { Cookie: cookie } })).status).toBe(
      401,
    );
    expect((await fetch(`${service.url}/ui/session`, { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it("reports a tokens:read key as one that may not write", async () => {
    const key = await make({ name: "reader", type: "admin", scopes: ["tokens:read"] });
    const cookie = cookieOf(await signIn(key.secret));
    const me = (await (await fetch(`${service.url}/ui/session`, { headers: { Cookie: cookie } })).json()) as {
      canWrite: boolean;
      scopes: string[];
    };
    expect(me).toMatchObject({ canWrite: false, scopes: ["tokens:read"] });
    const again = await fetch(`${service.url}/ui/session`, { headers: { Cookie: cookie } });
    expect(again.headers.get("cache-control")).toBe("no-store");
    const sessionAdmin = cookieOf(await signIn(admin));
    const full = (await (
      await fetch(`${service.url}/ui/session`, { headers: { Cookie: sessionAdmin } })
    ).json()) as { canWrite: boolean };
    expect(full.canWrite).toBe(true);
  });
});

describe("ui: false", () => {
  it("serves no dashboard and leaves the API as it was", async () => {
    const off = await startService({ dbPath: join(dir, "off.db"), sweepIntervalMs: 0, ui: false });
    try {
      const page = await fetch(`${off.url}/ui/`);
      expect(page.status).toBe(404);
      expect(((await page.json()) as { error: { code: string } }).error.code).toBe("not_found");
      expect((await fetch(`${off.url}/healthz`)).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe("tokenform serve", () => {
  async function pageStatus(ui: boolean | undefined, name: string): Promise<number> {
    let listening: (service: RunningService) => void = () => undefined;
    const started = new Promise<RunningService>((resolve) => {
      listening = resolve;
    });
    const exited = serve({
      db: join(dir, `${name}.db`),
      port: 0,
      ui,
      env: { TOKENFORM_BOOTSTRAP_TOKEN: generateToken("mcp_adm_") },
      stdout: new PassThrough().resume(),
      stderr: new PassThrough().resume(),
      signals: ["SIGUSR2"],
      onListening: listening,
    });
    const running = await Promise.race([
      started,
      exited.then((code) => {
        throw new Error(`serve exited early with ${code}`);
      }),
    ]);
    try {
      return (await fetch(`${running.url}/ui/`)).status;
    } finally {
      process.emit("SIGUSR2", "SIGUSR2");
      expect(await exited).toBe(0);
    }
  }

  it("serves the dashboard by default, and not with --no-ui", async () => {
    expect(await pageStatus(undefined, "serve-ui")).toBe(200);
    expect(await pageStatus(false, "serve-no-ui")).toBe(404);
  });
});
