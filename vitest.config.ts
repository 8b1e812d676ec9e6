/** Test runner configuration: one `npm test` runs unit, integration and end-to-end suites. */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts", "provider/**/*.test.ts", "reconciler/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // A temporary directory of the run's own, which must be empty at the end (nothing left in /tmp).
    globalSetup: ["test/support/tmpdir-guard.ts"],
    reporters: ["default"],
  },
});
