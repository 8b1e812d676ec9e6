/** The shared retry loop and Retry-After parsing. */
import { describe, expect, it } from "vitest";
import { isTransientStatus, parseRetryAfterMs as parseRetryAfter } from "../../../src/api/retry.js";
import { withRetry } from "../../../src/sinks/retry.js";

const policy = { retries: 2, baseDelayMs: 1, maxDelayMs: 5 };

describe("withRetry", () => {
  it("returns the first success", async () => {
    const seen: number[] = [];
    const value = await withRetry(policy, async (n) => {
      seen.push(n);
      return n < 1 ? { done: false, error: new Error("again") } : { done: true, value: "ok" };
    });
    expect(value).toBe("ok");
    expect(seen).toEqual([0, 1]);
  });

  it("throws the last error once the retries are spent", async () => {
    let attempts = 0;
    await expect(
      withRetry(policy, async (n) => {
        attempts++;
        return { done: false, error: new Error(`attempt ${n}`), retryAfterMs: 1000 };
      }),
    ).rejects.toThrow("attempt 2");
    expect(attempts).toBe(3);
  });

  it("stops waiting when cancelled", async () => {
    const controller = new AbortController();
    const running = withRetry(
      { retries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      async () => ({ done: false, error: new Error("down") }),
      controller.signal,
    );
    controller.abort();
    await expect(running).rejects.toThrow(/abort/i);
  });
});

describe("parseRetryAfter / isTransientStatus", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("treats 408, 429 and 5xx as transient", () => {
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isTransientStatus)).toBe(false);
  });
});
