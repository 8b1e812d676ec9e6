/** GitLab's masking rule: tokenform tokens always qualify; other values get a reason that never shows them. */
import { describe, expect, it } from "vitest";
import { maskingProblem } from "../../../src/sinks/gitlab/masking.js";
import { DEFAULT_PREFIXES, generateToken } from "../../../src/spec/token-format.js";

describe("maskingProblem", () => {
  it("accepts every tokenform token type", () => {
    for (const prefix of Object.values(DEFAULT_PREFIXES)) {
      for (let i = 0; i < 50; i++) expect(maskingProblem(generateToken(prefix))).toBeUndefined();
    }
  });

  it("accepts the base64 alphabets and @ : . ~", () => {
    expect(maskingProblem("QUJD+/==-_@:.~")).toBeUndefined();
  });

  it("explains why a value cannot be masked", () => {
    expect(maskingProblem("short")).toBe("it is shorter than 8 characters");
    expect(maskingProblem("two\nlines here")).toBe("it spans more than one line");
    expect(maskingProblem("has a space")).toMatch(/contains characters GitLab cannot mask/);
    expect(maskingProblem("pipe|pipe|pipe")).toMatch(/contains characters GitLab cannot mask/);
  });
});
