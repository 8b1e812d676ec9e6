/** The GitHub secret scanning custom pattern (`tokenform patterns github`) matches exactly our keys. */
import { describe, expect, it } from "vitest";
import { DEFAULT_PREFIXES, generateToken, secretScanningPattern } from "../../../src/spec/token-format.js";
import { runCli } from "../../support/cli.js";

describe("tokenform patterns github", () => {
  const pattern = secretScanningPattern(Object.values(DEFAULT_PREFIXES));
  // GitHub's boundaries \A and \z are JavaScript's ^ and $.
  const js = new RegExp(
    `(?:${pattern.before.replace("\\A", "^")})(${pattern.format})(?:${pattern.after.replace("\\z", "$")})`,
  );

  it("matches a key of every type in text, and nothing else", () => {
    for (const prefix of Object.values(DEFAULT_PREFIXES)) {
      const key = generateToken(prefix);
      expect(js.exec(`TOKEN=${key}\n`)?.[1]).toBe(key);
      expect(js.exec(key)?.[1]).toBe(key);
    }
    const key = generateToken("mcp_sk_");
    expect(js.test(`${key}X`)).toBe(false);
    expect(js.test(`x${key}`)).toBe(false);
    expect(js.test(key.slice(0, -1))).toBe(false);
    expect(js.test(`ghp_${key.slice(7)}`)).toBe(false);
  });

  it("prints the pattern for custom prefixes, and refuses a bad prefix in one line", () => {
    const run = runCli(["patterns", "github", "--prefix", "acme_sk_", "acme_adm_", "--format", "json"], {
      cwd: process.cwd(),
    });
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed.format).toBe("(?:acme_adm_|acme_sk_)[0-9A-Za-z]{36}");
    expect(new RegExp(printed.format).test(printed.example)).toBe(true);
    const bad = runCli(["patterns", "github", "--prefix", "Bad_"], { cwd: process.cwd() });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('invalid prefix "Bad_"');
  });
});
