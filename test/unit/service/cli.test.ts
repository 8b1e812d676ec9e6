/** `tokenform token generate` prints one fresh valid token; `tokenform serve --help` documents its environment. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/program.js";
import { checkToken } from "../../../src/spec/token-format.js";

function capture(): { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  return { out: () => out, err: () => err };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("tokenform token generate", () => {
  it("prints a fresh admin token with a valid checksum, different every time", async () => {
    const io = capture();
    expect(await main(["token", "generate", "--type", "admin"])).toBe(0);
    expect(await main(["token", "generate", "--type", "admin"])).toBe(0);
    const [first, second] = io.out().trim().split("\n");
    expect(first).toMatch(/^mcp_adm_[A-Za-z0-9]{36}$/);
    expect(checkToken(first!).ok).toBe(true);
    expect(second).not.toBe(first);
  });

  it("uses the type's prefix or a custom one, and refuses an invalid prefix", async () => {
    const io = capture();
    expect(await main(["token", "generate"])).toBe(0);
    expect(await main(["token", "generate", "--type", "agent"])).toBe(0);
    expect(await main(["token", "generate", "--prefix", "acme_adm_"])).toBe(0);
    const lines = io.out().trim().split("\n");
    expect(lines[0]).toMatch(/^mcp_sk_/);
    expect(lines[1]).toMatch(/^mcp_ag_/);
    expect(lines[2]).toMatch(/^acme_adm_/);
    expect(await main(["token", "generate", "--prefix", "Bad-Prefix"])).toBe(1);
    expect(io.err()).toContain("invalid prefix");
    expect(await main(["token", "generate", "--type", "root"])).toBe(2);
  });

  it("documents serve's options and environment", async () => {
    const io = capture();
    expect(await main(["serve", "--help"])).toBe(0);
    expect(io.out()).toContain("--db <path");
    expect(io.out()).toContain("TOKENFORM_BOOTSTRAP_TOKEN");
  });
});
