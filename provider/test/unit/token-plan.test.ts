/**
 * Planning and state for tokenform_token, with the real spec rules: what a plan shows for creates,
 * in-place updates, rolls, replacements and drift, and how service values map back onto state.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Token } from "../../../src/api/schemas.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { startHarness } from "../../../test/support/harness.js";
import { type ApplyDeps, applyToken } from "../../src/resources/token/apply.js";
import { withFileKeys } from "../../src/resources/token/file-keys.js";
import { validateTokenConfig } from "../../src/resources/token/impl.js";
import { planToken, rollReasons } from "../../src/resources/token/plan.js";
import { specRules } from "../../src/resources/token/spec-rules.js";
import { stateFromToken } from "../../src/resources/token/state.js";
import { toSpec } from "../../src/resources/token/to-spec.js";
import { type TfObject, UNKNOWN, Unknown } from "../../src/runtime/values.js";
import { tokenConfig } from "../support/config.js";

const rules = specRules("/work");
const NOW = new Date("2026-06-01T00:00:00Z");
const OWNER = "acme/platform";

const cfg = tokenConfig;

function resolved(config: TfObject) {
  return rules.check(toSpec(config, "acme/platform").set).resolved;
}

/** A token the service returned, with tokenform's labels as the apply engine writes them. */
function token(overrides: Partial<Token> = {}): Token {
  return {
    id: "tok_1",
    account: "acct",
    name: "backend-ci",
    description: "",
    type: "mcp",
    scopes: ["contexts:read"],
    readOnly: true,
    labels: {
      "tokenform.dev/owner": "acme/platform",
      "tokenform.dev/on-remove": "disable-then-delete",
      "tokenform.dev/removal-grace": "604800",
    },
    ipAllowlist: [],
    tools: null,
    destinations: [],
    rateLimit: { perMinute: null, perHour: null },
    status: "active",
    enabled: true,
    displayPrefix: "mcp_sk_AbCd",
    fingerprint: "sha256:0123456789abcdef",
    generation: 1,
    previousSecrets: [],
    deliveries: [
      {
        destination: "file:/tmp/x.env#BACKEND_CI",
        generation: 1,
        fingerprint: "sha256:0123456789abcdef",
        deliveredAt: "2026-05-01T00:00:00.000Z",
      },
    ],
    createdAt: "2026-05-01T00:00:00.000Z",
    createdBy: "admin",
    updatedAt: "2026-05-01T00:00:00.000Z",
    rotatedAt: "2026-05-01T00:00:00.000Z",
    expiresAt: null,
    pendingExpiresAt: null,
    lastUsedAt: null,
    lastUsedIp: null,
    requestCount: 0,
    failedAttempts: 0,
    version: 3,
    holder: null,
    pickup: null,
    ...overrides,
  };
}

const fileBlock = { path: "/tmp/x.env", format: null, key: null };

/** Terraform's proposal: config over prior, prior for computed attributes the config leaves null. */
function proposed(prior: TfObject, config: TfObject): TfObject {
  const out: TfObject = { ...prior };
  for (const [k, v] of Object.entries(config)) if (v !== null) out[k] = v;
  return out;
}

describe("validation", () => {
  it("maps spec diagnostics onto Terraform paths and keeps the spec's message", () => {
    const diags = validateTokenConfig(
      rules,
      cfg({ ip_allowlist: ["10.0.0.5/24"], gitlab_variable: [{ variable: "bad-key", project: "g/p" }] }),
    );
    expect(diags.map((d) => d.path)).toEqual(
      expect.arrayContaining([
        [{ attribute: "ip_allowlist" }],
        [{ attribute: "gitlab_variable" }, { index: 0 }, { attribute: "variable" }],
      ]),
    );
    expect(
      diags.find((d) => d.path?.[0]?.toString() && JSON.stringify(d.path).includes("ip_allowlist"))?.detail,
    ).toMatch(/10\.0\.0\.5\/24/);
  });

  it("refuses a raw token pasted into the configuration without echoing it", () => {
    const raw = generateToken("mcp_sk_");
    const diags = validateTokenConfig(rules, cfg({ description: `key ${raw}` }));
    expect(
      diags.some((d) => d.severity === "error" && JSON.stringify(d.path) === '[{"attribute":"description"}]'),
    ).toBe(true);
    for (const d of diags) expect(`${d.summary} ${d.detail}`).not.toContain(raw);
  });
});

describe("plan", () => {
  it("fills defaults on create and leaves the service's values unknown", () => {
    const c = cfg({ type: "agent", expires_in: "30d" });
    const { planned, requiresReplace } = planToken({
      prior: null,
      proposed: c,
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect(planned).toMatchObject({
      type: "agent",
      read_only: false,
      enabled: true,
      on_remove: "disable-then-delete",
    });
    expect(planned!.expires_at).toBeInstanceOf(Unknown);
    expect(planned!.generation).toBeInstanceOf(Unknown);
    expect(requiresReplace).toEqual([]);
  });

  it("plans a settings change in place, keeping the secret's attributes", () => {
    const prior = stateFromToken(token(), cfg({ file: [fileBlock] }));
    const c = cfg({ description: "CI", scopes: ["contexts:read", "tools:call"], file: [fileBlock] });
    const { planned, requiresReplace } = planToken({
      prior,
      proposed: proposed(prior, c),
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect(requiresReplace).toEqual([]);
    expect(planned).toMatchObject({
      description: "CI",
      generation: 1,
      fingerprint: "sha256:0123456789abcdef",
      status: "active",
    });
  });

  it("shows a token disabled outside Terraform as a change back to enabled", () => {
    const prior = stateFromToken(token({ enabled: false, status: "disabled" }), cfg({ file: [fileBlock] }));
    expect(prior.enabled).toBe(false);
    const c = cfg({ file: [fileBlock] });
    const { planned } = planToken({
      prior,
      proposed: proposed(prior, c),
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect(planned!.enabled).toBe(true);
    expect(planned!.status).toBeInstanceOf(Unknown);
  });

  it("rolls (new generation, same token) when the rotation is due or the trigger changes", () => {
    const prior = stateFromToken(token(), cfg({ file: [fileBlock] }));
    const due = cfg({ rotation: { every: "30d", overlap: "1h" }, file: [fileBlock] });
    expect(rollReasons({ prior, config: due, enabled: true, resolved: resolved(due), now: NOW })).toEqual([
      "rotation-due",
    ]);
    const { planned, requiresReplace } = planToken({
      prior,
      proposed: proposed(prior, due),
      config: due,
      resolved: resolved(due),
      now: NOW,
      owner: OWNER,
    });
    expect(requiresReplace).toEqual([]);
    expect(planned!.generation).toBeInstanceOf(Unknown);
    expect(planned!.fingerprint).toBeInstanceOf(Unknown);
    expect(planned!.id).toBe("tok_1");

    const notDue = cfg({ rotation: { every: "90d", overlap: null }, file: [fileBlock] });
    expect(
      rollReasons({ prior, config: notDue, enabled: true, resolved: resolved(notDue), now: NOW }),
    ).toEqual([]);
    const trigger = cfg({ rotate_trigger: "2026-06-01", file: [fileBlock] });
    expect(
      rollReasons({ prior, config: trigger, enabled: true, resolved: resolved(trigger), now: NOW }),
    ).toEqual(["rotate-trigger"]);
    const unknownTrigger = cfg({ rotate_trigger: UNKNOWN, file: [fileBlock] });
    expect(
      rollReasons({
        prior,
        config: unknownTrigger,
        enabled: true,
        resolved: resolved(unknownTrigger),
        now: NOW,
      }),
    ).toBeInstanceOf(Unknown);
    expect(rollReasons({ prior, config: due, enabled: false, resolved: resolved(due), now: NOW })).toEqual(
      [],
    );
  });

  it("rolls to deliver to a new destination", () => {
    const prior = stateFromToken(token(), cfg({ file: [fileBlock] }));
    const c = cfg({ file: [fileBlock, { path: "/tmp/y.env", format: null, key: null }] });
    expect(rollReasons({ prior, config: c, enabled: true, resolved: resolved(c), now: NOW })).toEqual([
      "new-destination",
    ]);
  });

  it("replaces the token only when its type changes", () => {
    const prior = stateFromToken(token(), cfg({ file: [fileBlock] }));
    const c = cfg({ type: "admin", file: [fileBlock] });
    const { requiresReplace } = planToken({
      prior,
      proposed: proposed(prior, c),
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect(requiresReplace).toEqual([[{ attribute: "type" }]]);
  });

  it("computes expires_at from expires_in and the current generation's start", () => {
    const prior = stateFromToken(token(), cfg({ file: [fileBlock] }));
    const c = cfg({ expires_in: "30d", file: [fileBlock] });
    const { planned } = planToken({
      prior,
      proposed: proposed(prior, c),
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect(planned!.expires_at).toBe("2026-05-31T00:00:00.000Z");
  });
});

describe("file keys and owner", () => {
  const envFile = (key: string | null = null) => ({ path: "/tmp/x.env", format: null, key });

  it("derives a new file block's key from the token name", () => {
    const c = withFileKeys(cfg({ name: "laptop-dev", file: [envFile()] }), null);
    expect((c.file as TfObject[])[0]!.key).toBe("LAPTOP_DEV");
  });

  it("keeps the key the file had when the token is renamed, without a roll", () => {
    const prior = stateFromToken(
      token({ name: "laptop-dev", deliveries: [] }),
      cfg({ name: "laptop-dev", file: [envFile("LAPTOP_DEV")] }),
    );
    const raw = cfg({ name: "laptop-editor", file: [envFile()] });
    const c = withFileKeys(raw, prior);
    expect((c.file as TfObject[])[0]!.key).toBe("LAPTOP_DEV");
    const { planned } = planToken({
      prior,
      proposed: proposed(prior, raw),
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect((planned!.file as TfObject[])[0]!.key).toBe("LAPTOP_DEV");
    expect(planned!.name).toBe("laptop-editor");
  });

  it("keeps the key a state without recorded keys delivered under (the previous name's)", () => {
    const prior = stateFromToken(
      token({ name: "laptop-dev" }),
      cfg({ name: "laptop-dev", file: [envFile()] }),
    );
    const c = withFileKeys(cfg({ name: "laptop-editor", file: [envFile()] }), prior);
    expect((c.file as TfObject[])[0]!.key).toBe("LAPTOP_DEV");
  });

  it("lets a configured key, a raw file and an unknown name speak for themselves", () => {
    const prior = stateFromToken(
      token({ name: "laptop-dev" }),
      cfg({ name: "laptop-dev", file: [envFile()] }),
    );
    const keys = (c: TfObject) => (withFileKeys(c, prior).file as TfObject[]).map((b) => b.key);
    expect(keys(cfg({ name: "laptop-editor", file: [envFile("EDITOR_KEY")] }))).toEqual(["EDITOR_KEY"]);
    expect(keys(cfg({ file: [{ path: "/tmp/x.env", format: "raw", key: null }] }))).toEqual([null]);
    const unknownName = withFileKeys(
      cfg({ name: UNKNOWN, file: [{ ...envFile(), path: "/tmp/new.env" }] }),
      prior,
    );
    expect((unknownName.file as TfObject[])[0]!.key).toBeInstanceOf(Unknown);
  });

  it("plans the provider's owner, so a token another owner holds shows the takeover", () => {
    const prior = stateFromToken(token({ labels: { "tokenform.dev/owner": "acme/other" } }), cfg());
    expect(prior.owner).toBe("acme/other");
    const c = cfg({ adopt: true });
    const { planned } = planToken({
      prior,
      proposed: proposed(prior, c),
      config: c,
      resolved: resolved(c),
      now: NOW,
      owner: OWNER,
    });
    expect(planned!.owner).toBe(OWNER);
  });
});

describe("state", () => {
  it("keeps the configuration's spelling where the service means the same", () => {
    const basis = cfg({
      scopes: ["tools:call", "contexts:read"],
      ip_allowlist: ["10.0.0.1"],
      expires_at: "2027-01-01T00:00:00Z",
      removal_grace: "168h",
      file: [fileBlock],
    });
    const state = stateFromToken(
      token({
        scopes: ["contexts:read", "tools:call"],
        ipAllowlist: ["10.0.0.1/32"],
        expiresAt: "2027-01-01T00:00:00.000Z",
      }),
      basis,
    );
    expect(state).toMatchObject({
      scopes: ["tools:call", "contexts:read"],
      ip_allowlist: ["10.0.0.1"],
      expires_at: "2027-01-01T00:00:00Z",
      removal_grace: "168h",
      delivered: ["file:/tmp/x.env#BACKEND_CI"],
      labels: null,
    });
  });

  it("shows the service's values when they differ (drift) and hides tokenform's own labels", () => {
    const state = stateFromToken(token({ scopes: ["*"], labels: { ...token().labels, team: "x" } }), cfg());
    expect(state.scopes).toEqual(["*"]);
    expect(state.labels).toEqual({ team: "x" });
  });

  it("starts imported state from the service and tokenform's labels", () => {
    const state = stateFromToken(
      token({ labels: { "tokenform.dev/on-remove": "delete", "tokenform.dev/removal-grace": "3600" } }),
      null,
    );
    expect(state).toMatchObject({
      on_remove: "delete",
      removal_grace: "1h",
      rotation: null,
      file: [],
      github_secret: [],
    });
  });

  it("never contains anything that looks like a secret", async () => {
    // A real create and roll through the apply engine, delivering to a file: the secrets exist, and the
    // state the provider records after each must hold neither.
    await using h = await startHarness();
    const file = join(h.outDir, "ci.env");
    const delivered = async () => (await readFile(file, "utf8")).match(/^BACKEND_CI=(.+)$/m)?.[1];
    const resolve = (config: TfObject, prior: TfObject | null) => {
      const check = rules.check(toSpec(withFileKeys(config, prior), OWNER).set);
      if (!check.resolved) throw new Error(check.issues.map((i) => i.message).join("; "));
      return check.resolved;
    };
    const deps: ApplyDeps = {
      api: h.api,
      sinks: h.sinks,
      owner: OWNER,
      signal: new AbortController().signal,
      resolve,
      fileKeys: withFileKeys,
      destinations: (state) =>
        resolve(cfg({ name: state.name ?? null, file: state.file ?? [] }), state).deliver,
    };
    const plainJson = (state: TfObject | null) =>
      JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? String(v) : v));

    const c = cfg({ file: [{ path: file, format: null, key: null }] });
    const created = planToken({
      prior: null,
      proposed: c,
      config: withFileKeys(c, null),
      resolved: resolve(c, null),
      now: new Date(),
      owner: OWNER,
    });
    const first = await applyToken({ prior: null, planned: created.planned, config: c }, deps);
    expect(first.diagnostics).toEqual([]);
    const secret = await delivered();
    expect(secret).toMatch(/^mcp_sk_[A-Za-z0-9]{20,}$/);
    expect(plainJson(first.state)).not.toContain(secret);
    expect(plainJson(first.state)).not.toMatch(/mcp_sk_[A-Za-z0-9]{20,}/);

    const rolled = cfg({ rotate_trigger: "again", file: [{ path: file, format: null, key: null }] });
    const prior = first.state!;
    const planned = planToken({
      prior,
      proposed: proposed(prior, rolled),
      config: withFileKeys(rolled, prior),
      resolved: resolve(rolled, prior),
      now: new Date(),
      owner: OWNER,
    });
    const second = await applyToken({ prior, planned: planned.planned, config: rolled }, deps);
    expect(second.diagnostics).toEqual([]);
    const next = await delivered();
    expect(next).toMatch(/^mcp_sk_[A-Za-z0-9]{20,}$/);
    expect(next).not.toBe(secret);
    expect(plainJson(second.state)).not.toContain(next);
    expect(plainJson(second.state)).not.toMatch(/mcp_sk_[A-Za-z0-9]{20,}/);
  });
});
