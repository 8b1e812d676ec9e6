/** Line-level editing of env files: only the managed key changes; everything else is kept byte for byte. */
import { describe, expect, it } from "vitest";
import { formatEnvValue, hasEnvKey, removeEnvKey, upsertEnvKey } from "../../../src/sinks/file/env-file.js";

describe("upsertEnvKey", () => {
  it("appends to an empty file and to a file without a trailing newline", () => {
    expect(upsertEnvKey("", "K", "v1")).toEqual({ content: "K=v1\n", existed: false });
    expect(upsertEnvKey("A=1", "K", "v1")).toEqual({ content: "A=1\nK=v1\n", existed: false });
  });

  it("rewrites the first assignment in place, keeps export and CRLF, drops duplicates", () => {
    const before = "# c\r\nexport K = old\r\nA=1\nK=dup\n";
    expect(upsertEnvKey(before, "K", "new")).toEqual({
      content: "# c\r\nexport K=new\r\nA=1\n",
      existed: true,
    });
  });

  it("does not confuse keys that share a prefix", () => {
    expect(upsertEnvKey("KEY_2=x\n", "KEY", "v").content).toBe("KEY_2=x\nKEY=v\n");
    expect(hasEnvKey("KEY_2=x\n", "KEY")).toBe(false);
    expect(hasEnvKey("  export KEY=x\n", "KEY")).toBe(true);
  });
});

describe("removeEnvKey", () => {
  it("removes every assignment of the key and nothing else", () => {
    expect(removeEnvKey("A=1\nK=x\nB=2\nK=y\n", "K")).toEqual({ content: "A=1\nB=2\n", existed: true });
    expect(removeEnvKey("A=1\n", "K")).toEqual({ content: "A=1\n", existed: false });
  });
});

describe("formatEnvValue", () => {
  it("writes tokens bare and quotes anything a shell or dotenv would misread", () => {
    expect(formatEnvValue("mcp_sk_AbC123")).toBe("mcp_sk_AbC123");
    expect(formatEnvValue('a b"$c`\\')).toBe('"a b\\"\\$c\\`\\\\"');
    expect(formatEnvValue("l1\nl2")).toBe('"l1\\nl2"');
  });
});
