/** The CLI's error boundary: expected failures are one line with their exit code; anything else is a bug. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/api/errors.js";
import { CliError, reportError } from "../../../src/cli/errors.js";
import { ConfigError } from "../../../src/errors.js";

function report(error: unknown): { code: number; text: string } {
  const stderr = new PassThrough();
  const code = reportError(error, stderr);
  return { code, text: String(stderr.read() ?? "") };
}

describe("reportError", () => {
  it("prints a ConfigError as one line with its exit code", () => {
    expect(report(new ConfigError('TOKENFORM_API_URL "x" is not a URL: write http://x'))).toEqual({
      code: 1,
      text: 'Error: TOKENFORM_API_URL "x" is not a URL: write http://x\n',
    });
    expect(report(new ConfigError("--api-url is bad", 2)).code).toBe(2);
  });

  it("prints CliError and ApiError without a stack", () => {
    expect(report(new CliError("refusing", 1, "pass --auto-approve"))).toEqual({
      code: 1,
      text: "Error: refusing\nHint: pass --auto-approve\n",
    });
    const api = report(new ApiError("network_error", "GET /v1/whoami: cannot reach", 0, "GET /v1/whoami"));
    expect(api).toEqual({ code: 1, text: "Error: GET /v1/whoami: cannot reach\n" });
  });

  it("still calls anything else a bug, with its stack and where to report it", () => {
    const { code, text } = report(new TypeError("x is not a function"));
    expect(code).toBe(1);
    expect(text).toMatch(
      /^Unexpected error \(this is a bug in tokenform\):\nTypeError: x is not a function\n\s+at /,
    );
    expect(text).toContain("Please report it");
  });
});
