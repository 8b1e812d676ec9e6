/**
 * The file sink on the real file system with real git: 0600 files in 0700 directories, atomic replace,
 * merging with other keys, removal, and refusal inside a git work tree unless the path is git-ignored.
 */
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSink } from "../../../src/sinks/file/sink.js";
import type { FileDestination } from "../../../src/spec/resolved.js";
import { context, deliveryError, expectNoLeak, issueSecret } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenform-file-sink-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const envFile = (path: string, key = "MCP_API_KEY"): FileDestination => ({
  kind: "file",
  path,
  format: "env",
  key,
});
const rawFile = (path: string): FileDestination => ({ kind: "file", path, format: "raw", key: "UNUSED" });

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", args, { cwd, stdio: "ignore" });
}

describe("file sink: env format", () => {
  it("creates the file 0600 (and missing parents 0700) with KEY=value", async () => {
    const path = join(dir, "config", "tokenform", "backend.env");
    const secret = issueSecret();
    const receipt = await new FileSink().deliver(envFile(path), secret, context);
    expect(receipt).toMatchObject({ destination: `file:${path}#MCP_API_KEY`, outcome: "created" });
    expect(await readFile(path, "utf8")).toBe(`MCP_API_KEY=${secret.reveal()}\n`);
    expect(await mode(path)).toBe(0o600);
    expect(await mode(join(dir, "config"))).toBe(0o700);
    expect(await mode(join(dir, "config", "tokenform"))).toBe(0o700);
  });

  it("merges with other lines, replaces its own key in place and fixes a loose mode", async () => {
    const path = join(dir, "app.env");
    await writeFile(path, "# app settings\nexport MCP_API_KEY=old\r\nOTHER=keep me\n\nLAST=1\n", {
      mode: 0o644,
    });
    await chmod(path, 0o644);
    const secret = issueSecret();
    const receipt = await new FileSink().deliver(envFile(path), secret, context);
    expect(receipt.outcome).toBe("updated");
    expect(await readFile(path, "utf8")).toBe(
      `# app settings\nexport MCP_API_KEY=${secret.reveal()}\r\nOTHER=keep me\n\nLAST=1\n`,
    );
    expect(await mode(path)).toBe(0o600);
  });

  it("keeps concurrent deliveries of different keys to one file", async () => {
    const path = join(dir, "many.env");
    const sink = new FileSink();
    const secrets = ["A", "B", "C", "D"].map((k) => ({ key: k, secret: issueSecret() }));
    await Promise.all(secrets.map(({ key, secret }) => sink.deliver(envFile(path, key), secret, context)));
    const content = await readFile(path, "utf8");
    for (const { key, secret } of secrets) expect(content).toContain(`${key}=${secret.reveal()}\n`);
  });

  it("replaces atomically: no temporary file is left and a symlink is replaced, not written through", async () => {
    const elsewhere = join(dir, "elsewhere.env");
    await writeFile(elsewhere, "UNTOUCHED=1\n");
    const path = join(dir, "link.env");
    await symlink(elsewhere, path);
    await new FileSink().deliver(envFile(path), issueSecret(), context);
    expect(await readFile(elsewhere, "utf8")).toBe("UNTOUCHED=1\n");
    expect((await stat(path)).isFile()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(["elsewhere.env", "link.env"]);
  });

  it("inspect compares the key's value with the recorded fingerprint; remove deletes only its line", async () => {
    const path = join(dir, "app.env");
    await writeFile(path, "OTHER=1\n");
    const sink = new FileSink();
    const secret = issueSecret();
    const recorded = { fingerprint: secret.fingerprint, deliveredAt: new Date().toISOString() };
    expect(await sink.inspect(envFile(path), recorded, context)).toEqual({
      holds: false,
      reason: "the file no longer sets MCP_API_KEY",
    });
    await sink.deliver(envFile(path), secret, context);
    expect(await sink.inspect(envFile(path), recorded, context)).toEqual({ holds: true });
    await writeFile(path, `OTHER=1\nMCP_API_KEY="${secret.reveal()}x"\n`);
    expect(await sink.inspect(envFile(path), recorded, context)).toEqual({
      holds: false,
      reason: "MCP_API_KEY holds another value",
    });
    await writeFile(path, `OTHER=1\nexport MCP_API_KEY="${secret.reveal()}"\r\n`);
    expect(await sink.inspect(envFile(path), recorded, context)).toEqual({ holds: true });
    await sink.remove(envFile(path), context);
    expect(await readFile(path, "utf8")).toBe("OTHER=1\n");
    await sink.remove(envFile(path), context);

    const solo = join(dir, "solo.env");
    await sink.deliver(envFile(solo), issueSecret(), context);
    await sink.remove(envFile(solo), context);
    await expect(stat(solo)).rejects.toThrow(/ENOENT/);
    expect(await sink.inspect(envFile(join(dir, "never.env")), recorded, context)).toEqual({
      holds: false,
      reason: "the file no longer exists",
    });
  });
});

describe("file sink: raw format", () => {
  it("writes the bare secret 0600, replaces it, and removes the file", async () => {
    const path = join(dir, "secret.txt");
    const sink = new FileSink();
    const first = issueSecret();
    expect((await sink.deliver(rawFile(path), first, context)).outcome).toBe("created");
    expect(await readFile(path, "utf8")).toBe(first.reveal());
    const second = issueSecret();
    expect((await sink.deliver(rawFile(path), second, context)).outcome).toBe("updated");
    expect(await readFile(path, "utf8")).toBe(second.reveal());
    expect(await mode(path)).toBe(0o600);
    const recorded = { fingerprint: second.fingerprint, deliveredAt: new Date().toISOString() };
    expect(await sink.inspect(rawFile(path), recorded, context)).toEqual({ holds: true });
    await sink.remove(rawFile(path), context);
    expect(await sink.inspect(rawFile(path), recorded, context)).toEqual({
      holds: false,
      reason: "the file no longer exists",
    });
    await sink.remove(rawFile(path), context);
  });
});

describe("file sink: git work trees", () => {
  it("refuses a path inside a git work tree that git does not ignore", async () => {
    git(dir, "init", "-q");
    const path = join(dir, "deploy", "backend.env");
    const secret = issueSecret();
    const error = await deliveryError(new FileSink().deliver(envFile(path), secret, context));
    expect(error.message).toMatch(
      /^refusing to write a secret to .*backend\.env: it is inside the git work tree /,
    );
    expect(error.message).toContain("add it to .gitignore");
    expectNoLeak(error, secret.reveal());
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("allows a git-ignored path inside a work tree", async () => {
    git(dir, "init", "-q");
    await writeFile(join(dir, ".gitignore"), "*.env\n.secrets/\n");
    const sink = new FileSink();
    await sink.deliver(envFile(join(dir, "backend.env")), issueSecret(), context);
    await sink.deliver(rawFile(join(dir, ".secrets", "nested", "key")), issueSecret(), context);
    expect(await mode(join(dir, "backend.env"))).toBe(0o600);
  });

  it("allows a path next to, but outside, a repository", async () => {
    const repo = join(dir, "repo");
    await mkdir(repo);
    git(repo, "init", "-q");
    await new FileSink().deliver(envFile(join(dir, "outside.env")), issueSecret(), context);
    expect(await mode(join(dir, "outside.env"))).toBe(0o600);
  });

  it("treats a machine without git as having no work tree", async () => {
    git(dir, "init", "-q");
    const path = join(dir, "nogit.env");
    const saved = process.env.PATH;
    process.env.PATH = join(dir, "no-such-bin");
    try {
      await new FileSink().deliver(envFile(path), issueSecret(), context);
    } finally {
      process.env.PATH = saved;
    }
    expect(await mode(path)).toBe(0o600);
  });

  it("refuses when git cannot say (e.g. a repository with dubious ownership)", async () => {
    const bin = join(dir, "bin");
    await mkdir(bin);
    await writeFile(
      join(bin, "git"),
      "#!/bin/sh\necho \"fatal: detected dubious ownership in repository at '/srv/repo'\" >&2\nexit 128\n",
      { mode: 0o755 },
    );
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      const error = await deliveryError(
        new FileSink().deliver(envFile(join(dir, "x.env")), issueSecret(), context),
      );
      expect(error.message).toMatch(
        /could not tell whether git would track it \(fatal: detected dubious ownership/,
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe("file sink: errors", () => {
  it("a path it cannot write names the path and code, never the secret", async () => {
    const secret = issueSecret();
    // A regular file where a directory must go fails for every user (root ignores permission bits).
    await writeFile(join(dir, "plain"), "x");
    const path = join(dir, "plain", "app.env");
    const error = await deliveryError(new FileSink().deliver(envFile(path), secret, context));
    expect(error.message).toMatch(/^could not write .*plain\/app\.env: (ENOTDIR|EEXIST)/);
    expect(error.transient).toBe(false);
    expectNoLeak(error, secret.reveal());
  });
});
