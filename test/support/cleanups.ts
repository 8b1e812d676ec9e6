/**
 * Undo steps a test registers as it goes (services, clients, proxies), run after each test in reverse
 * order, so what a test started is stopped even when it fails halfway.
 */
import { afterEach } from "vitest";

/** Registers the `afterEach` hook (call at the top of a test file); returns the function that adds a step. */
export function useCleanups(): (step: () => Promise<void> | void) => void {
  const steps: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return (step) => {
    steps.push(step);
  };
}
