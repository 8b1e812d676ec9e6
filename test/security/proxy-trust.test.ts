/**
 * Spoofing the client address through `X-Forwarded-For`, against a real `tokenform serve` on loopback, the
 * middleware in front of a real server, and the gateway in front of a real MCP server, under each trust
 * setting: none, `true` / one hop, a list of proxy CIDRs, and a hop count. The attacker reaches the guarded
 * port through a proxy that appends what it saw (the test writes the header as such a proxy would: the TCP
 * peer here is always 127.0.0.1), and puts an allowed address leftmost, where only the client writes.
 * A key fenced to 203.0.113.0/24 must never pass on that entry; a malformed entry or a header shorter than
 * the hop count makes the client unknown (refused); a trust-everything CIDR is refused up front.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenformClient } from "../../src/api/client.js";
import { startGateway } from "../../src/gateway/index.js";
import { tokenformAuth } from "../../src/middleware/index.js";
import { clientAddress, parseProxyTrust, proxyTrust } from "../../src/service/client-address.js";
import { type RunningService, startService } from "../../src/service/index.js";
import { serve } from "../../src/service/serve.js";
import { generateToken } from "../../src/spec/token-format.js";
import { runCli } from "../support/cli.js";
import { counters, startMcpHttp } from "../support/mcp.js";

/** Where the key may be used from. */
const ALLOWED = "203.0.113.9";
/** The attacker's real address, as the proxy in front appends it. */
const ATTACKER = "198.51.100.66";
/** An internal proxy hop (inside the trusted 10.0.0.0/8). */
const INNER = "10.1.2.3";

type Setting = "none" | "one hop" | "cidrs" | "two hops";
/** Each setting as the CLI (`--trust-proxy …`) and the library options write it. */
const SETTINGS: Record<Setting, { cli?: string[]; library: boolean | number | string[] | undefined }> = {
  none: { library: undefined },
  "one hop": { cli: ["1"], library: true },
  cidrs: { cli: ["127.0.0.1", "10.0.0.0/8"], library: ["127.0.0.1", "10.0.0.0/8"] },
  "two hops": { cli: ["2"], library: 2 },
};

/**
 * What each setting must make of each header (header lines → allowed?). The leftmost `ALLOWED` entry in
 * the refused rows is the spoof: a client-written entry never wins.
 */
const CASES: Record<Setting, Array<[string[] | undefined, boolean]>> = {
  none: [
    [undefined, false],
    [[ALLOWED], false],
  ],
  "one hop": [
    [[ALLOWED], true],
    [[`${ALLOWED}, ${ATTACKER}`], false],
    [[ALLOWED, ATTACKER], false],
    [[`${ATTACKER}, garbage`], false],
    [[`${ALLOWED}, `], false],
  ],
  cidrs: [
    [[`${ATTACKER}, ${ALLOWED}, ${INNER}`], true],
    [[`${ALLOWED}, ${ATTACKER}, ${INNER}`], false],
    [[`${ALLOWED}`, `${ATTACKER}`, `${INNER}`], false],
    [[`${ALLOWED}, unknown, ${INNER}`], false],
    [[`${ALLOWED}, 0x7f.1, ${INNER}`], false],
  ],
  "two hops": [
    [[`${ATTACKER}, ${ALLOWED}, ${INNER}`], true],
    [[`${ALLOWED}, ${ATTACKER}, ${INNER}`], false],
    [[`${ALLOWED}, ${INNER}`], true],
    [[ALLOWED], false],
    [[`${ALLOWED}, ${ATTACKER}, not-an-address`], false],
  ],
};

/** Sends one request with `forwardedFor` as separate `X-Forwarded-For` lines; resolves with the status. */
async function send(
  url: string,
  key: string,
  forwardedFor: string[] | undefined,
  init: { method?: "GET" | "POST"; body?: string } = {},
): Promise<number> {
  const headers: string[] = ["authorization", `Bearer ${key}`];
  if (init.body !== undefined) {
    headers.push("content-type", "application/json", "accept", "application/json, text/event-stream");
  }
  for (const line of forwardedFor ?? []) headers.push("x-forwarded-for", line);
  const res = await request(url, { method: init.method ?? "GET", headers, body: init.body });
  await res.body.dump();
  return res.statusCode;
}

/** A service with a key fenced to 203.0.113.0/24 and an unfenced one. */
async function keys(service: { url: string; adminToken: { reveal(): string } }) {
  const admin = new TokenformClient({ baseUrl: service.url, token: service.adminToken.reveal(), retries: 0 });
  try {
    const fence = { ipAllowlist: ["203.0.113.0/24"] };
    const fencedAdmin = await admin.createToken({
      name: "fenced-admin",
      type: "admin",
      scopes: ["tokens:read"],
      ...fence,
    });
    const fenced = await admin.createToken({
      name: "fenced",
      type: "agent",
      scopes: ["tools:call"],
      ...fence,
    });
    const open = await admin.createToken({ name: "open", type: "agent", scopes: ["tools:call"] });
    return {
      fencedAdmin: fencedAdmin.secret.reveal(),
      fenced: fenced.secret.reveal(),
      open: open.secret.reveal(),
    };
  } finally {
    await admin.close();
  }
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-sec-proxy-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("one client-address function", () => {
  it("walks from the right and never lets a client-written entry win", () => {
    const one = proxyTrust(true, "t");
    expect(clientAddress("127.0.0.1", `${ALLOWED}, ${ATTACKER}`, one)).toBe(ATTACKER);
    expect(clientAddress("::ffff:127.0.0.1", [ALLOWED, ATTACKER], one)).toBe(ATTACKER);
    expect(clientAddress("127.0.0.1", "[2001:db8::7]:4711", one)).toBe("2001:db8::7");
    expect(clientAddress("127.0.0.1", `${ATTACKER}:4711`, one)).toBe(ATTACKER);
    expect(clientAddress("127.0.0.1", undefined, one)).toBe("127.0.0.1");
    const list = proxyTrust(["127.0.0.1", "10.0.0.0/8"], "t");
    // Every entry a trusted proxy: the leftmost (written by a trusted proxy) is the client.
    expect(clientAddress("127.0.0.1", "10.9.9.9, 10.1.1.1", list)).toBe("10.9.9.9");
    // An untrusted peer's header is ignored whatever it says.
    expect(clientAddress("192.0.2.50", ALLOWED, list)).toBe("192.0.2.50");
    expect(clientAddress("127.0.0.1", ALLOWED, proxyTrust(0, "t"))).toBe("127.0.0.1");
  });

  it("refuses settings that would trust the client's own entries, or that mean nothing", () => {
    for (const bad of [
      ["0.0.0.0/0"],
      ["::/0"],
      "0.0.0.0/0",
      // Every address in two halves, or most of the internet: as bad as /0.
      ["0.0.0.0/1", "128.0.0.0/1"],
      ["::/1", "8000::/1"],
      ["64.0.0.0/4"],
      ["10.0.0.0/8", "3"],
      ["abc"],
      17,
      -1,
      1.5,
      ["99"],
    ]) {
      expect(parseProxyTrust(bad as string[]).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseProxyTrust(["0.0.0.0/0"])).toMatchObject({
      problem: expect.stringContaining("every address"),
    });
    // The largest private ranges are fine.
    expect(parseProxyTrust(["10.0.0.0/8", "fc00::/7", "172.16.0.0/12"]).ok).toBe(true);
    expect(() => tokenformAuth({ url: "http://127.0.0.1:1", trustProxy: ["0.0.0.0/0", "::/0"] })).toThrow(
      /invalid trustProxy: 0\.0\.0\.0\/0 trusts every address/,
    );
  });

  it("makes --trust-proxy 0.0.0.0/0 or a bad value a usage error of serve and gateway", () => {
    for (const args of [
      ["serve", "--trust-proxy", "0.0.0.0/0"],
      ["serve", "--trust-proxy", "nope"],
      ["gateway", "--upstream", "http://127.0.0.1:1/mcp", "--trust-proxy", "10.0.0.0/8", "2"],
    ]) {
      const run = runCli(args, { cwd: dir });
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr).toContain("--trust-proxy");
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe.each(Object.keys(SETTINGS) as Setting[])("trust setting: %s", (setting) => {
  const cases = CASES[setting];

  it("tokenform serve decides the client by the trust setting", async () => {
    let listening: (service: RunningService) => void = () => undefined;
    const started = new Promise<RunningService>((resolve) => {
      listening = resolve;
    });
    const exited = serve({
      db: join(dir, `serve-${setting.replace(" ", "-")}.db`),
      port: 0,
      trustProxy: SETTINGS[setting].cli,
      env: { TOKENFORM_BOOTSTRAP_TOKEN: generateToken("mcp_adm_") },
      stdout: new PassThrough().resume(),
      stderr: new PassThrough().resume(),
      signals: ["SIGUSR2"],
      onListening: listening,
    });
    const service = await Promise.race([
      started,
      exited.then((code) => {
        throw new Error(`serve exited early with ${code}`);
      }),
    ]);
    try {
      const { fencedAdmin } = await keys(service);
      for (const [xff, allowed] of cases) {
        const status = await send(`${service.url}/v1/whoami`, fencedAdmin, xff);
        expect(status, `${setting}: ${JSON.stringify(xff)}`).toBe(allowed ? 200 : 403);
      }
    } finally {
      process.emit("SIGUSR2", "SIGUSR2");
      expect(await exited).toBe(0);
    }
  });

  it("the middleware decides the client the same way", async () => {
    const service = await startService({
      dbPath: join(dir, `mw-${setting.replace(" ", "-")}.db`),
      port: 0,
      sweepIntervalMs: 0,
    });
    const auth = tokenformAuth({
      protocol: "http",
      service,
      scopes: ["tools:call"],
      trustProxy: SETTINGS[setting].library,
    });
    const server: Server = createServer((req, res) => {
      void auth(req, res, () => {
        res.writeHead(200);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { fenced } = await keys(service);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tools`;
      for (const [xff, allowed] of cases) {
        expect(await send(url, fenced, xff), `${setting}: ${JSON.stringify(xff)}`).toBe(allowed ? 200 : 403);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await service.close();
    }
  });

  it("the gateway decides the client the same way and tells the upstream what it decided", async () => {
    const service = await startService({
      dbPath: join(dir, `gw-${setting.replace(" ", "-")}.db`),
      port: 0,
      sweepIntervalMs: 0,
    });
    const c = counters();
    const upstream = await startMcpHttp({ stateful: false, json: true }, c);
    const gateway = await startGateway({
      upstream: upstream.url,
      port: 0,
      service,
      trustProxy: SETTINGS[setting].library,
    });
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    try {
      const { fenced, open } = await keys(service);
      for (const [xff, allowed] of cases) {
        const before = c.headers.length;
        const status = await send(gateway.url, fenced, xff, { method: "POST", body: ping });
        expect(status === 403, `${setting}: ${JSON.stringify(xff)}`).toBe(!allowed);
        // A refused request never reaches the upstream.
        if (!allowed) expect(c.headers.length).toBe(before);
      }
      // An unfenced key passes; the upstream gets the client as the gateway saw it appended — or `unknown`,
      // never a client-written entry in the rightmost place.
      const before = c.headers.length;
      await send(gateway.url, open, [`${ALLOWED}, garbage`], { method: "POST", body: ping });
      const seen = String(c.headers[before]?.["x-forwarded-for"]);
      const expected = setting === "none" ? "127.0.0.1" : "unknown";
      expect(seen).toBe(`${ALLOWED}, garbage, ${expected}`);
    } finally {
      await gateway.close();
      await upstream.close();
      await service.close();
    }
  });
});
