/**
 * The secret registry is scoped to a run and bounded: two runs do not mask each other's secrets by value
 * or hear of them, a run opened inside another shares with it, and a registry keeps only its newest
 * secrets (the capacity is the bound).
 */
import { describe, expect, it } from "vitest";
import { maskSecrets, onSecret, SecretValue } from "../../../src/api/secret.js";
import {
  currentSecrets,
  SECRET_REGISTRY_CAPACITY,
  SecretRegistry,
  withSecretScope,
} from "../../../src/api/secret-registry.js";

/** Not shaped like any key or known credential: masked only by value, through the registry. */
const PLAIN = "correct-horse-battery-staple-4242";
const OTHER = "tr0ub4dor-and-three-1717";

describe("secret registry", () => {
  it("masks a secret by value in its own run only", async () => {
    const inA = await withSecretScope(async () => {
      new SecretValue(PLAIN);
      await new Promise((resolve) => setTimeout(resolve, 1));
      // Still this run after an await and a timer.
      return maskSecrets(`connecting with ${PLAIN}`);
    });
    expect(inA).not.toContain(PLAIN);
    expect(inA).toContain("…[redacted]");
    const inB = withSecretScope(() => maskSecrets(`connecting with ${PLAIN}`));
    expect(inB).toBe(`connecting with ${PLAIN}`);
    // Nor does code outside any run see it.
    expect(maskSecrets(PLAIN)).toBe(PLAIN);
  });

  it("tells a run's listeners of that run's secrets only", () => {
    const heard: string[] = [];
    withSecretScope(() => {
      const stop = onSecret((secret) => heard.push(secret.reveal()));
      new SecretValue(PLAIN);
      withSecretScope(() => new SecretValue(OTHER)); // a run inside this one: heard too
      stop();
      new SecretValue("after-stop-secret-0000");
    });
    withSecretScope(() => new SecretValue("someone-elses-secret-9999"));
    expect(heard).toEqual([PLAIN, OTHER]);
  });

  it("shares between a run and the runs opened inside it", () => {
    withSecretScope(() => {
      new SecretValue(PLAIN);
      const inner = withSecretScope(() => {
        new SecretValue(OTHER);
        return maskSecrets(`${PLAIN} ${OTHER}`);
      });
      expect(inner).not.toContain(PLAIN);
      expect(inner).not.toContain(OTHER);
      expect(maskSecrets(OTHER)).not.toContain(OTHER);
    });
  });

  it("keeps at most its capacity, dropping the oldest first", () => {
    withSecretScope(
      () => {
        for (const s of [
          "first-secret-aaaa",
          "second-secret-bbbb",
          "third-secret-cccc",
          "fourth-secret-dddd",
        ]) {
          new SecretValue(s);
        }
        expect(currentSecrets().size).toBe(3);
        expect(maskSecrets("first-secret-aaaa")).toBe("first-secret-aaaa");
        expect(maskSecrets("fourth-secret-dddd")).not.toContain("dddd");
      },
      new SecretRegistry({ capacity: 3 }),
    );
    withSecretScope(() => {
      for (let i = 0; i <= SECRET_REGISTRY_CAPACITY; i++) new SecretValue(`bulk-secret-${i}`);
      expect(currentSecrets().size).toBe(SECRET_REGISTRY_CAPACITY);
      expect(currentSecrets().has("bulk-secret-0")).toBe(false);
      expect(currentSecrets().has(`bulk-secret-${SECRET_REGISTRY_CAPACITY}`)).toBe(true);
    });
  });
});
