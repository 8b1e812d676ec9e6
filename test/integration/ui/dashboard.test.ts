/**
 * The dashboard in a real browser: a real service on a loopback port (SQLite in a temp dir, the dashboard
 * bundled from source on first use), Debian's Chromium driven by playwright-core. Signs in, filters the
 * list, opens a token and its charts, disables a key and sees verify refuse it, rotates an unmanaged key
 * and reads its secret once, reads the audit log and the hygiene view, approves a holder's pickup code and
 * sees the holder's CLI receive the key; a `tokens:read` key sees no write control; an expired session goes
 * back to sign-in. Screenshots of each page at a laptop and a phone width
 * go to test-results/dashboard/ (git-ignored). No key may reach a log line, the page or browser storage.
 */
import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../../src/api/client.js";
import { ManualClock } from "../../../src/service/clock.js";
import { createLogger } from "../../../src/service/logger.js";
import { type RunningService, startService } from "../../../src/service/service.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(import.meta.dirname, "..", "..", "..", "test-results", "dashboard");
const WIDTHS = { laptop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;
const IDLE_SECONDS = 600;

let dir: string;
let service: RunningService;
let browser: Browser;
let clock: ManualClock;
const logLines: string[] = [];
let adminKey: string;
const secrets: string[] = [];
const ids: Record<string, string> = {};
/** Script errors and Content-Security-Policy violations any page reported. */
const pageProblems: string[] = [];
/** Every URL a page requested (all must be the service's own: no CDN, works offline). */
const requested: string[] = [];

async function api<T>(method: string, path: string, body?: unknown, key = adminKey): Promise<T> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function create(input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const made = await api<{ token: { id: string }; secret: string }>("POST", "/v1/tokens", input);
  secrets.push(made.secret);
  ids[input.name as string] = made.token.id;
  return { id: made.token.id, secret: made.secret };
}

async function verify(
  token: string,
  scopes?: string[],
  ip?: string,
): Promise<{ valid: boolean; code: string }> {
  const res = await fetch(`${service.url}/v1/verify`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token, scopes, ip }),
  });
  return (await res.json()) as { valid: boolean; code: string };
}

/** Form fields without a label, on the page as it is (each must be named for screen readers). */
const UNLABELLED = `[...document.querySelectorAll("input, select, textarea")]
  .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
  .map((el) => el.outerHTML)`;

/** Saves the page at both widths, after checking every field has a label. */
async function shoot(page: Page, name: string): Promise<void> {
  expect(await page.evaluate<string[]>(UNLABELLED)).toEqual([]);
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS.laptop);
}

async function signedIn(key = adminKey): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: WIDTHS.laptop });
  const page = await context.newPage();
  page.on("pageerror", (error) => pageProblems.push(error.message));
  page.on("request", (request) => requested.push(request.url()));
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) pageProblems.push(message.text());
  });
  await page.goto(`${service.url}/ui/`);
  // Keyboard only: the field has the focus order a person expects, Enter submits.
  await page.getByLabel("Admin key").fill(key);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Tokens", level: 1 }).waitFor();
  return { context, page };
}

let alice: { id: string; secret: string };
let agent: { id: string; secret: string };
let auditorKey: string;
let ciDeploy: { id: string; secret: string };
let shortLived: { id: string; secret: string };
const FINGERPRINT = "sha256:0123456789abcdef";

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), "tokenform-ui-"));
  clock = new ManualClock(Date.now());
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(chunk.toString());
        callback();
      },
    }),
  });
  service = await startService({
    dbPath: join(dir, "tokenform.db"),
    clock,
    logger,
    usageFlushMs: 60_000,
    sweepIntervalMs: 0,
    ui: { sessionIdleSeconds: IDLE_SECONDS },
  });
  adminKey = service.adminToken.reveal();
  alice = await create({
    name: "alice-laptop",
    type: "mcp",
    scopes: ["tools:call"],
    labels: { team: "data" },
  });
  agent = await create({ name: "reporting-agent", type: "agent", scopes: ["tools:call"] });
  ciDeploy = await create({
    name: "ci-deploy",
    type: "mcp",
    scopes: ["tools:call"],
    labels: { "tokenform.dev/owner": "acme/platform", team: "platform" },
    deliveries: [
      {
        destination: "github:acme/app:actions:MCP_TOKEN",
        generation: 1,
        fingerprint: FINGERPRINT,
        deliveredAt: new Date().toISOString(),
      },
    ],
  });
  shortLived = await create({ name: "short-lived", type: "mcp", expiresIn: "3d" });
  auditorKey = (await create({ name: "auditor", type: "admin", scopes: ["tokens:read"] })).secret;
  for (let i = 0; i < 3; i++) expect((await verify(alice.secret)).valid).toBe(true);
  expect((await verify(alice.secret, ["admin:all"])).valid).toBe(false);
  for (let i = 0; i < 10; i++) expect((await verify(shortLived.secret, ["admin:all"])).valid).toBe(false);
  expect((await verify(ciDeploy.secret, undefined, "198.51.100.1")).valid).toBe(true);
  await service.flushUsage();
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("dashboard", () => {
  it("signs in with an admin key exchanged for an HttpOnly, SameSite=Strict session cookie", async () => {
    const { context, page } = await signedIn();
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: "tokenform_session",
      httpOnly: true,
      sameSite: "Strict",
      secure: false,
    });
    expect(page.url()).not.toContain(adminKey);
    const storage = await page.evaluate<string>("JSON.stringify({ ...localStorage, ...sessionStorage })");
    expect(storage).not.toContain(adminKey);
    expect(await page.content()).not.toContain(adminKey);
    expect(cookies[0]!.value).not.toContain(adminKey);
    await context.close();
  });

  it("lists the keys and filters them by text, owner, type and label", async () => {
    const { context, page } = await signedIn();
    const rows = page.locator("table.list tbody tr");
    await expect.poll(() => rows.count()).toBe(6);
    await expect.poll(() => page.locator("table.list").innerText()).toContain("managed by acme/platform");
    await shoot(page, "tokens");
    await page.getByLabel("Search").fill("alice");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain("alice-laptop");
    await page.getByLabel("Search").fill("");
    await page.getByLabel("Owner").selectOption("acme/platform");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain("ci-deploy");
    await page.getByLabel("Owner").selectOption("");
    await page.getByLabel("Type").selectOption("admin");
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByLabel("Type").selectOption("");
    await page.getByLabel("Label").fill("team=data");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain("alice-laptop");
    await context.close();
  });

  it("opens a token with its usage charts, disables it, and verify refuses it", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "alice-laptop" }).click();
    await page.getByRole("heading", { name: "alice-laptop", level: 1 }).waitFor();
    await page.locator("#chart-hourly canvas").first().waitFor();
    await page.locator("#chart-daily canvas").first().waitFor();
    const caption = await page.locator("figcaption").first().innerText();
    expect(caption).toBe("Last 48 hours: 3 requests, 1 failed");
    const usage = page.locator("section", { has: page.locator("#usage-title") });
    expect(await usage.innerText()).toContain("3 successful requests in all; 1 failed attempts");
    await shoot(page, "token");
    await page.getByRole("button", { name: "Disable key" }).click();
    await page.getByText("Key disabled: it is refused from now on.").waitFor();
    expect(await verify(alice.secret)).toMatchObject({ valid: false, code: "DISABLED" });
    await page.getByRole("button", { name: "Enable key" }).waitFor();
    await context.close();
  });

  it("explains drift and spec rotation on a managed key instead of rotating it", async () => {
    const { context, page } = await signedIn();
    await page.goto(`${service.url}/ui/#/tokens/${ids["ci-deploy"]}`);
    await page.getByRole("heading", { name: "ci-deploy", level: 1 }).waitFor();
    const actions = await page.locator("section.actions").innerText();
    expect(actions).toContain("the next tokenform plan reports this as drift");
    expect(actions).toContain("tokenform rotate ci-deploy");
    expect(await page.getByRole("button", { name: "Rotate now" }).count()).toBe(0);
    const deliveries = await page.locator("section", { has: page.locator("#deliveries-title") }).innerText();
    expect(deliveries).toContain("github:acme/app:actions:MCP_TOKEN");
    expect(deliveries).toContain(FINGERPRINT);
    expect(await page.content()).not.toContain(ciDeploy.secret);
    await context.close();
  });

  it("rotates an unmanaged key and shows its new secret once", async () => {
    const { context, page } = await signedIn();
    await page.goto(`${service.url}/ui/#/tokens/${agent.id}`);
    await page.getByRole("heading", { name: "reporting-agent", level: 1 }).waitFor();
    await page.getByLabel("Old secret keeps working for").selectOption("0s");
    await page.getByRole("button", { name: "Rotate now" }).click();
    const field = page.getByLabel("New secret");
    await field.waitFor();
    const secret = await field.inputValue();
    secrets.push(secret);
    expect(secret).not.toBe(agent.secret);
    expect(await verify(secret)).toMatchObject({ valid: true });
    expect((await verify(agent.secret)).valid).toBe(false);
    await page.getByRole("button", { name: "I have stored it" }).click();
    await page.reload();
    await page.getByRole("heading", { name: "reporting-agent", level: 1 }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await context.close();
  });

  it("shows the audit log, filtered by actor and action through the API, and the hygiene view", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
    const rows = page.locator("table.audit tbody tr");
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    await shoot(page, "audit");
    // The API filters (over the whole log, not the newest entries in the page).
    const rollQuery = page.waitForRequest(
      (r) => new URL(r.url()).searchParams.get("action") === "token.roll",
    );
    await page.getByLabel("Action").selectOption("token.roll");
    await rollQuery;
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain("reporting-agent");
    // The other actions are still offered once one is chosen.
    const bothQuery = page.waitForRequest((r) => {
      const params = new URL(r.url()).searchParams;
      return params.get("action") === "token.update" && params.get("actor") === "bootstrap-admin";
    });
    await page.getByLabel("Action").selectOption("token.update");
    await page.getByLabel("Actor").selectOption("bootstrap-admin");
    await bothQuery;
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain("alice-laptop");
    expect(await rows.first().innerText()).toContain("bootstrap-admin");
    await page.getByLabel("Action").selectOption("");
    await expect.poll(() => rows.count()).toBeGreaterThan(5);
    await page.getByRole("link", { name: "Hygiene" }).click();
    const expiring = page.locator("section.hygiene", { hasText: "Expiring within 14 days" });
    await expect.poll(() => expiring.innerText()).toContain("short-lived");
    const bursts = page.locator("section.hygiene", { hasText: "Bursts of failed attempts" });
    expect(await bursts.innerText()).toContain("short-lived active — 10 failed attempts in the hour from");
    const fresh = page.locator("section.hygiene", { hasText: "Used from a new address" });
    // ci-deploy has only ever been used from 198.51.100.1: nothing to compare with, so nothing is new.
    expect(await fresh.innerText()).not.toContain("ci-deploy");
    // A use from elsewhere, kept by the service (not by this browser): a new context sees it as new.
    expect((await verify(ciDeploy.secret, undefined, "203.0.113.50")).valid).toBe(true);
    await service.flushUsage();
    await context.close();
    const other = await signedIn();
    await other.page.getByRole("link", { name: "Hygiene" }).click();
    const seen = other.page.locator("section.hygiene", { hasText: "Used from a new address" });
    await expect
      .poll(() => seen.innerText())
      .toContain("ci-deploy active — used from 203.0.113.50, first seen");
    expect(await seen.innerText()).toContain("seen before: 198.51.100.1");
    expect(await seen.innerText()).not.toContain("alice-laptop");
    const storage = await other.page.evaluate<string>("JSON.stringify({ ...localStorage })");
    expect(storage).not.toContain("203.0.113.50");
    await shoot(other.page, "hygiene");
    await other.context.close();
  });

  it("creates an unmanaged key and shows its secret once", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "New key" }).click();
    await page.getByLabel("Name").fill("bob-ide");
    await page.getByLabel(/^Scopes/).fill("tools:call");
    await shoot(page, "new-key");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByLabel("New secret").inputValue();
    secrets.push(secret);
    expect(await verify(secret)).toMatchObject({ valid: true });
    await context.close();
  });

  it("approves a holder's pickup code, and the holder's CLI receives the key", async () => {
    const client = new TokenformClient({ baseUrl: service.url, token: adminKey, retries: 0 });
    const target = { client: "cursor", server: "acme", url: "https://mcp.example.com/mcp" } as const;
    const made = await client.createPickupToken({
      name: "carol-cursor",
      holder: "carol@example.com",
      pickup: target,
    });
    await client.createPickupToken({ name: "dave-cursor", holder: "dave@example.com", pickup: target });
    await client.close();
    const { context, page } = await signedIn();
    // The key page says whom its secret waits for.
    await page.goto(`${service.url}/ui/#/tokens/${made.id}`);
    await page.getByRole("heading", { name: "carol-cursor", level: 1 }).waitFor();
    expect(await page.locator("dl.settings").innerText()).toContain("carol@example.com");
    await expect
      .poll(() => page.locator(".pickup-waiting").innerText())
      .toMatch(/waits for carol@example\.com's pickup since \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    await shoot(page, "token-pickup");
    await page.getByRole("link", { name: "Tokens", exact: true }).click();
    const row = page.locator("table.list tbody tr", { hasText: "carol-cursor" });
    await expect.poll(() => row.innerText()).toContain("waits for carol@example.com's pickup since");

    // The holder's CLI opens a session anonymously (tokenform pickup) and shows its user code.
    const opened = await fetch(`${service.url}/v1/pickups`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ holder: "carol@example.com" }),
    });
    expect(opened.status).toBe(201);
    const { userCode, deviceCode } = (await opened.json()) as { userCode: string; deviceCode: string };
    const claim = () =>
      fetch(`${service.url}/v1/pickups/claim`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ deviceCode }),
      });
    expect((await claim()).status).toBe(400);

    // An unknown code: the service's own explanation.
    await page.getByRole("link", { name: "Pickups" }).click();
    await page.getByRole("heading", { name: "Pickups", level: 1 }).waitFor();
    await page.getByLabel("Pickup code").fill("BBBB-CCCC");
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.getByRole("alert").innerText())
      .toContain('no pickup "BBBB-CCCC" is waiting');
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);

    // The real code, typed as a person might (lower case): who asked, from where, for which keys.
    await page.getByLabel("Pickup code").fill(userCode.toLowerCase());
    await page.getByRole("button", { name: "Look up" }).click();
    const session = page.locator(`section[aria-labelledby="pickup-title"]`);
    await session.waitFor();
    const shown = await session.innerText();
    expect(shown).toContain(`Pickup ${userCode}`);
    expect(shown).toContain("carol@example.com");
    expect(shown).toContain("127.0.0.1");
    expect(shown).toContain("waiting for approval");
    expect(await page.locator("table.pickup-keys tbody tr").allInnerTexts()).toEqual([
      expect.stringMatching(/carol-cursor\s+cursor\s+acme\s+https:\/\/mcp\.example\.com\/mcp/),
    ]);
    expect(await page.getByRole("alert").count()).toBe(0);
    await shoot(page, "pickup");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByText(`Pickup ${userCode} approved: carol@example.com's CLI receives the key`).waitFor();
    expect(await session.innerText()).toContain("Approved by\nbootstrap-admin");
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);

    // The approval really happened: the holder's next poll receives the key, which verifies.
    const released = await claim();
    expect(released.status).toBe(200);
    const { tokens } = (await released.json()) as { tokens: Array<{ name: string; secret: string }> };
    expect(tokens.map((t) => t.name)).toEqual(["carol-cursor"]);
    secrets.push(tokens[0]!.secret);
    expect(await verify(tokens[0]!.secret)).toMatchObject({ valid: true });

    // Another admin approves a code (tokenform approve) while it is open here: the page gives the
    // service's reason and shows the session as it now is.
    const other = await fetch(`${service.url}/v1/pickups`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ holder: "dave@example.com" }),
    });
    expect(other.status).toBe(201);
    const daveCode = ((await other.json()) as { userCode: string }).userCode;
    await page.getByLabel("Pickup code").fill(daveCode);
    await page.getByRole("button", { name: "Look up" }).click();
    await expect.poll(() => session.innerText()).toContain("dave@example.com");
    await api("POST", `/v1/pickups/${daveCode}/approve`);
    await page.getByRole("button", { name: "Approve" }).click();
    await expect
      .poll(() => page.getByRole("alert").innerText())
      .toBe(`pickup ${daveCode} is already approved (approved by bootstrap-admin)`);
    await expect.poll(() => session.innerText()).toContain("Approved by\nbootstrap-admin");
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);

    // Rotating a picked-up key shows no secret: the new one waits for the holder's next pickup.
    await page.goto(`${service.url}/ui/#/tokens/${made.id}`);
    await page.getByRole("heading", { name: "carol-cursor", level: 1 }).waitFor();
    await expect.poll(() => page.locator(".pickup-waiting").innerText()).toContain("Nothing waits");
    await page.getByRole("button", { name: "Rotate now" }).click();
    await page.getByText("Key rotated: the new secret waits for carol@example.com's pickup").waitFor();
    expect(await page.getByLabel("New secret").count()).toBe(0);
    await expect
      .poll(() => page.locator(".pickup-waiting").innerText())
      .toContain("waits for carol@example.com's pickup since");
    await context.close();
  });

  it("offers a tokens:read key no control that writes", async () => {
    const { context, page } = await signedIn(auditorKey);
    expect(await page.getByRole("link", { name: "New key" }).count()).toBe(0);
    await page.getByRole("link", { name: "alice-laptop" }).click();
    await page.getByText("Your key may only read: the actions are not offered.").waitFor();
    expect(await page.getByRole("button").allInnerTexts()).toEqual(["Skip to content", "Sign out"]);
    await context.close();
  });

  it("sends an expired session back to sign-in", async () => {
    const { context, page } = await signedIn();
    clock.advance({ seconds: IDLE_SECONDS + 1 });
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await page.locator(".notice").innerText()).toContain("session has ended");
    await shoot(page, "sign-in");
    await context.close();
  });
});

describe("dashboard over plain HTTP", () => {
  async function session(): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${service.url}/ui/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: adminKey }),
    });
    expect(res.status).toBe(204);
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    const me = await fetch(`${service.url}/ui/session`, { headers: { Cookie: cookie } });
    return { cookie, csrf: ((await me.json()) as { csrf: string }).csrf };
  }

  it("refuses a write without the session's CSRF token, and accepts it with", async () => {
    const { cookie, csrf } = await session();
    const url = `${service.url}/ui/api/v1/tokens/${ids["short-lived"]}`;
    const body = JSON.stringify({ description: "checked" });
    const headers = { Cookie: cookie, "Content-Type": "application/json" };
    const without = await fetch(url, { method: "PATCH", headers, body });
    expect(without.status).toBe(403);
    expect(JSON.stringify(await without.json())).toContain("CSRF");
    const wrong = await fetch(url, {
      method: "PATCH",
      headers: { ...headers, "X-CSRF-Token": "nope" },
      body,
    });
    expect(wrong.status).toBe(403);
    const right = await fetch(url, { method: "PATCH", headers: { ...headers, "X-CSRF-Token": csrf }, body });
    expect(right.status).toBe(200);
    const noCookie = await fetch(url, { method: "PATCH", headers: { "X-CSRF-Token": csrf }, body });
    expect(noCookie.status).toBe(401);
  });

  it("ends the session on logout", async () => {
    const { cookie, csrf } = await session();
    const out = await fetch(`${service.url}/ui/logout`, {
      method: "POST",
      headers: { Cookie: cookie, "X-CSRF-Token": csrf },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await fetch(`${service.url}/ui/api/v1/tokens`, { headers: { Cookie: cookie } })).status).toBe(
      401,
    );
  });

  it("serves the page with a Content-Security-Policy and no inline script", async () => {
    const res = await fetch(`${service.url}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(await res.text()).not.toMatch(/<script>/);
  });

  it("ran every page without a script error or a Content-Security-Policy violation, from this service only", () => {
    expect(pageProblems).toEqual([]);
    expect(requested.length).toBeGreaterThan(20);
    expect(requested.filter((url) => !url.startsWith(`${service.url}/`))).toEqual([]);
  });

  it("writes no key or secret to the logs", () => {
    const log = logLines.join("");
    expect(log).toContain("/v1/tokens");
    expect(log).toContain('"url":"/ui/session"');
    for (const secret of [adminKey, auditorKey, ...secrets]) expect(log).not.toContain(secret);
  });
});
