/**
 * What a destroy says about each on_remove: the destroy plan's warning (planToken with a null proposal)
 * and the warning after the destroy (applyToken against a real token service), in the plan engine's
 * words, naming the token and where its secret went, saying who deletes a retired token — and never the
 * secret.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RETIRED_AT_LABEL } from "../../../src/plan/desired.js";
import { headline } from "../../../src/plan/render/words.js";
import { startHarness } from "../../../test/support/harness.js";
import { type ApplyDeps, applyToken } from "../../src/resources/token/apply.js";
import { withFileKeys } from "../../src/resources/token/file-keys.js";
import { planToken } from "../../src/resources/token/plan.js";
import { removalChange } from "../../src/resources/token/removal.js";
import { specRules } from "../../src/resources/token/spec-rules.js";
import { toSpec } from "../../src/resources/token/to-spec.js";
import type { Diagnostic } from "../../src/runtime/diagnostics.js";
import type { TfObject } from "../../src/runtime/values.js";
import { tokenConfig } from "../support/config.js";

const rules = specRules("/work");
const OWNER = "acme/platform";
const FILE = { path: "/srv/docs/.env", format: null, key: "DOCS_MCP_API_KEY" };

/** A state as a refresh leaves it: the token delivered to one file. */
function state(overrides: TfObject = {}): TfObject {
  return {
    ...tokenConfig({ name: "docs-bot", file: [FILE] }),
    id: "tok_docs",
    enabled: true,
    on_remove: "disable-then-delete",
    removal_grace: "7d",
    display_prefix: "mcp_sk_AbCd",
    fingerprint: "sha256:0123456789abcdef",
    delivered: ["file:/srv/docs/.env#DOCS_MCP_API_KEY"],
    ...overrides,
  };
}

function resolve(config: TfObject, prior: TfObject | null) {
  const check = rules.check(toSpec(withFileKeys(config, prior), OWNER).set);
  if (!check.resolved) throw new Error(check.issues.map((i) => i.message).join("; "));
  return check.resolved;
}

/** The destroy plan's diagnostics for `prior`. */
function destroyPlan(prior: TfObject): Diagnostic[] {
  const removedFrom = resolve(
    tokenConfig({ name: prior.name ?? null, file: prior.file ?? [] }),
    prior,
  ).deliver;
  const plan = planToken({
    prior,
    proposed: null,
    config: null,
    resolved: undefined,
    now: new Date(),
    owner: OWNER,
    removedFrom,
  });
  expect(plan.planned).toBeNull();
  return plan.diagnostics;
}

describe("the destroy plan", () => {
  it("says a disable-then-delete token is only disabled, and that nothing deletes it later", () => {
    const [d, ...rest] = destroyPlan(state());
    expect(rest).toEqual([]);
    expect(d!.severity).toBe("warning");
    // The plan engine's own headline for the same change, with who deletes it.
    expect(d!.summary).toBe(
      `Token docs-bot ${headline(removalChange(state(), []))} by you; nothing deletes it automatically`,
    );
    expect(d!.summary).toBe(
      "Token docs-bot will be retired: disabled now, deleted after 7d by you; nothing deletes it automatically",
    );
    expect(d!.detail).toContain(
      "docs-bot (file /srv/docs/.env (DOCS_MCP_API_KEY)) stops working on apply (retired: disabled now, deleted 7d after apply).",
    );
    expect(d!.detail).toMatch(/Terraform forgets it/);
    expect(d!.detail).toMatch(/sweeper deletes only unconfirmed pending tokens and expired session keys/);
    expect(d!.detail).toContain("DELETE /v1/tokens/tok_docs");
  });

  it("says a delete removes the secret from each destination, then deletes the token", () => {
    const [d] = destroyPlan(state({ on_remove: "delete" }));
    expect(d!.summary).toBe('Token docs-bot will be deleted (on_remove = "delete")');
    expect(d!.detail).toContain(
      "docs-bot (file /srv/docs/.env (DOCS_MCP_API_KEY)) stops working on apply (deleted).",
    );
    expect(d!.detail).toMatch(/removes its secret from file \/srv\/docs\/\.env.*then deletes the token/);
  });

  it("says an orphan keeps working where it was delivered", () => {
    const [d] = destroyPlan(state({ on_remove: "orphan" }));
    expect(d!.summary).toBe("Token docs-bot will be released: left in the service, no longer managed");
    expect(d!.detail).toContain("docs-bot keeps working at file:/srv/docs/.env#DOCS_MCP_API_KEY.");
    expect(d!.detail).toMatch(/Terraform stops managing it/);
  });

  it("says a token with no recorded destination is retired after its own grace period", () => {
    const [d] = destroyPlan(state({ delivered: [], file: [], removal_grace: "36h" }));
    expect(d!.summary).toMatch(/deleted after 1d12h by you/);
    expect(d!.detail).toContain("docs-bot (no recorded destination) stops working on apply");
  });
});

describe("the destroy", () => {
  it("says after the fact what each on_remove did, with the date a retired token may be deleted", async () => {
    await using h = await startHarness();
    const deps: ApplyDeps = {
      api: h.api,
      sinks: h.sinks,
      owner: OWNER,
      signal: new AbortController().signal,
      resolve,
      fileKeys: withFileKeys,
      destinations: (s) => resolve(tokenConfig({ name: s.name ?? null, file: s.file ?? [] }), s).deliver,
    };
    const said: Record<string, Diagnostic> = {};
    const ids: Record<string, string> = {};
    const secrets: string[] = [];
    for (const onRemove of ["disable-then-delete", "delete", "orphan"]) {
      const name = `bot-${onRemove}`;
      const file = { path: join(h.outDir, `${name}.env`), format: null, key: "KEY" };
      const c = tokenConfig({ name, on_remove: onRemove, file: [file] });
      const created = planToken({
        prior: null,
        proposed: c,
        config: withFileKeys(c, null),
        resolved: resolve(c, null),
        now: new Date(),
        owner: OWNER,
      });
      const applied = await applyToken({ prior: null, planned: created.planned, config: c }, deps);
      expect(applied.diagnostics).toEqual([]);
      secrets.push((await readFile(file.path, "utf8")).match(/^KEY=(.+)$/m)![1]!);
      const gone = await applyToken({ prior: applied.state, planned: null, config: null }, deps);
      expect(gone.state).toBeNull();
      expect(gone.diagnostics).toHaveLength(1);
      said[onRemove] = gone.diagnostics[0]!;
      ids[onRemove] = String(applied.state!.id);
    }

    const retiredId = ids["disable-then-delete"]!;
    const retired = await h.api.getToken(retiredId);
    expect(retired.enabled).toBe(false);
    const deleteAfter = new Date(Date.parse(retired.labels[RETIRED_AT_LABEL]!) + 7 * 86_400_000);
    expect(said["disable-then-delete"]).toMatchObject({
      severity: "warning",
      summary:
        "Token bot-disable-then-delete retired: disabled now, deleted after 7d by you; nothing deletes it automatically",
    });
    expect(said["disable-then-delete"]!.detail).toContain(
      `Delete it yourself after ${deleteAfter.toISOString()} with DELETE /v1/tokens/${retiredId} on the token service.`,
    );
    expect(said["disable-then-delete"]!.detail).toMatch(/never a retired token/);

    await expect(h.api.getToken(ids.delete!)).rejects.toMatchObject({ code: "not_found" });
    expect(said.delete!.summary).toBe('Token bot-delete deleted (on_remove = "delete")');
    expect(said.delete!.detail).toMatch(/^Its secret was removed from file .*bot-delete\.env \(KEY\)\.$/);

    expect((await h.api.getToken(ids.orphan!)).enabled).toBe(true);
    expect(said.orphan!.summary).toBe("Token bot-orphan released: left in the service, no longer managed");
    expect(said.orphan!.detail).toMatch(
      /^bot-orphan keeps working at file:.*bot-orphan\.env#KEY\. Delete it with DELETE/,
    );

    const text = JSON.stringify(said);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/mcp_sk_[A-Za-z0-9]{20,}/);
  });
});
