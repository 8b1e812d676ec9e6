/**
 * Plan and apply against a real token service while a destination's API is played by nock, for the
 * end-to-end tests of destination kinds: only loopback may be reached, every plan (in all three renderings)
 * and apply result is kept, and after each test none of the secrets the test `remember`ed may appear in
 * any of it.
 */
import nock from "nock";
import { afterEach, beforeEach, expect } from "vitest";
import { applyPlan } from "../../src/apply/index.js";
import { planTokenSet } from "../../src/plan/fetch.js";
import { renderJson, renderMarkdown, renderText } from "../../src/plan/index.js";
import type { Plan } from "../../src/plan/types.js";
import type { ResolvedToken } from "../../src/spec/resolved.js";
import { tokenSet } from "./builders.js";
import type { Harness } from "./harness.js";

export interface NockedApply {
  plan(h: Harness, tokens: ResolvedToken[], options?: Parameters<typeof planTokenSet>[2]): Promise<Plan>;
  apply(h: Harness, p: Plan): ReturnType<typeof applyPlan>;
  /** A secret that must not appear in any output of the test. */
  remember(secret: string): void;
}

/** Registers the hooks (call at the top of a test file) and returns plan/apply that record their output. */
export function useNockedApply(): NockedApply {
  let transcript: string[] = [];
  let secrets: string[] = [];
  beforeEach(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    const all = transcript.join("\n");
    for (const secret of secrets) expect(all.includes(secret), "a secret leaked into output").toBe(false);
    transcript = [];
    secrets = [];
  });
  return {
    async plan(h, tokens, options = {}) {
      const p = await planTokenSet(h.api, tokenSet(tokens), { sinks: h.sinks, ...options });
      transcript.push(renderText(p), renderMarkdown(p), renderJson(p));
      return p;
    },
    async apply(h, p) {
      const result = await applyPlan(p, { api: h.api, sinks: h.sinks });
      transcript.push(JSON.stringify(result));
      return result;
    },
    remember(secret) {
      secrets.push(secret);
    },
  };
}
