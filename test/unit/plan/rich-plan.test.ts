/**
 * The three plan renderers on one rich fixture — a change of every kind, destinations of every kind with
 * non-default settings, list and map diffs, drift with its author, reports, warnings — kept as whole files
 * under `__snapshots__/` so the wording is reviewed by reading each one top to bottom, as a reviewer of
 * a pull request would. A wording change shows up as a diff of these files.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry, Token } from "../../../src/api/schemas.js";
import { computePlan } from "../../../src/plan/compute.js";
import { ON_REMOVE_LABEL, RETIRED_AT_LABEL } from "../../../src/plan/desired.js";
import { keyImpacts, stoppingKeys } from "../../../src/plan/impact.js";
import { renderJson } from "../../../src/plan/render/json.js";
import { renderMarkdown } from "../../../src/plan/render/markdown.js";
import { renderText } from "../../../src/plan/render/text.js";
import type { Plan } from "../../../src/plan/types.js";
import { planWarnings } from "../../../src/plan/warnings.js";
import type { Destination } from "../../../src/spec/resolved.js";
import { applied, OWNER_LABEL, resolved, T0, tokenSet } from "../../support/builders.js";

const day = 86_400_000;
const now = new Date(T0.getTime() + 100 * day);
const recently = new Date(now.getTime() - day).toISOString();

const orgSecret: Destination = {
  kind: "github",
  organization: "acme",
  visibility: "selected",
  repositories: ["docs", "site"],
  secret: "DOCS_MCP_API_KEY",
};
const protectedVariable: Destination = {
  kind: "gitlab",
  project: "acme/docs",
  variable: "DOCS_MCP_API_KEY",
  environmentScope: "production",
  protected: true,
  masked: false,
  hidden: false,
  raw: true,
};
const environmentSecret: Destination = {
  kind: "github",
  repository: "acme/backend",
  environment: "production",
  secret: "MCP_API_KEY",
};
const repositorySecret = (repository: string): Destination => ({
  kind: "github",
  repository,
  secret: "MCP_API_KEY",
});

/** A token as tokenform left it, used yesterday (so only the tokens meant to be stale are). */
function live(spec: ReturnType<typeof resolved>, overrides: Partial<Token> = {}): Token {
  return applied(spec, { lastUsedAt: recently, ...overrides });
}

function richPlan(): Plan {
  const docs = resolved("docs-mcp-prod", {
    description: "Docs MCP server, production",
    scopes: ["contexts:read", "tools:call"],
    tools: ["docs_search", "docs_fetch"],
    ipAllowlist: ["203.0.113.0/24"],
    rateLimit: { perMinute: 30, perHour: 600 },
    labels: { env: "prod", team: "docs" },
    rotation: { everySeconds: 30 * 86_400, overlapSeconds: 2 * 86_400 },
    expiry: { kind: "in", seconds: 90 * 86_400 },
    onRemove: "delete",
    deliver: [orgSecret, protectedVariable],
  });
  const nobody = resolved("alice-cursor-dev", { deliver: [] });
  const cursor = {
    client: "cursor",
    server: "acme-tools",
    url: "https://mcp.acme.dev/mcp",
    header: "bearer",
  } as const;
  const personal = resolved("bob-vscode", {
    deliver: [],
    holder: "bob@acme.dev",
    pickup: { ...cursor, client: "vscode" },
  });
  const waiting = resolved("carol-cursor", { deliver: [], holder: "carol@acme.dev", pickup: cursor });
  const frontendBefore = resolved("frontend-ci", {
    scopes: ["contexts:read"],
    ipAllowlist: ["10.0.0.0/8", "192.0.2.0/24"],
    labels: { team: "web" },
    deliver: [repositorySecret("acme/frontend")],
  });
  const frontend = {
    ...frontendBefore,
    scopes: ["contexts:read", "tools:call"],
    readOnly: false,
    ipAllowlist: ["192.0.2.0/24"],
    labels: { team: "frontend", tier: "1" },
    rateLimit: { perMinute: 60 },
    tools: ["deploy_preview"],
  };
  const ops = resolved("ops-agent", { type: "agent", readOnly: false, deliver: [environmentSecret] });
  const backend = resolved("backend-ci", {
    rotation: { everySeconds: 90 * 86_400, overlapSeconds: 2 * 86_400 },
    deliver: [environmentSecret, protectedVariable],
  });
  const searchBefore = resolved("search-bot", { deliver: [repositorySecret("acme/search")] });
  const search = {
    ...searchBefore,
    deliver: [repositorySecret("acme/search"), repositorySecret("acme/web")],
  };
  const tampered = resolved("support-bot", { deliver: [repositorySecret("acme/support")] });
  const billing = resolved("billing-bot", { adopt: true, deliver: [repositorySecret("acme/billing")] });
  const stale = resolved("reports-bot", { deliver: [repositorySecret("acme/reports")] });
  const expiring = resolved("partner-api", {
    expiry: { kind: "at", at: new Date(now.getTime() + 10 * day).toISOString() },
    deliver: [repositorySecret("acme/partner")],
  });
  const audit: AuditEntry[] = [
    {
      id: "a1",
      at: new Date(now.getTime() - 2 * day).toISOString(),
      account: "acct_1",
      actor: "bob-admin",
      actorTokenId: "tok_bob",
      action: "token.update",
      targetId: "tok_support-bot",
      targetName: "support-bot",
      changes: { scopes: { from: ["contexts:read"], to: ["*"] } },
      sourceIp: "10.0.0.1",
    },
  ];
  const plan = computePlan({
    set: tokenSet([
      docs,
      nobody,
      personal,
      waiting,
      frontend,
      { ...ops, enabled: false },
      backend,
      search,
      tampered,
      billing,
      stale,
      expiring,
    ]),
    actual: [
      live(frontendBefore),
      live(waiting, {
        status: "pending",
        holder: "carol@acme.dev",
        pickup: {
          ...cursor,
          waitingSince: new Date(now.getTime() - 3 * day).toISOString(),
          pickedUpAt: null,
          deliveredAt: null,
        },
      }),
      live(ops),
      live(backend, { rotatedAt: T0.toISOString() }),
      live(searchBefore),
      { ...live(tampered), scopes: ["*"] },
      applied(stale),
      live(expiring),
      live(resolved("docs-bot", { deliver: [repositorySecret("acme/docs")] })),
      live(resolved("old-webhook", { deliver: [protectedVariable] }), {
        labels: { [OWNER_LABEL]: "acme/platform-infra", [ON_REMOVE_LABEL]: "delete" },
      }),
      live(resolved("shared-reader"), {
        labels: { [OWNER_LABEL]: "acme/platform-infra", [ON_REMOVE_LABEL]: "orphan" },
      }),
      live(resolved("ancient-key"), {
        labels: {
          [OWNER_LABEL]: "acme/platform-infra",
          [RETIRED_AT_LABEL]: new Date(now.getTime() - 3 * day).toISOString(),
        },
        enabled: false,
        status: "disabled",
      }),
    ],
    others: [
      {
        ...live(resolved("billing-bot", { deliver: [repositorySecret("acme/billing")] })),
        labels: { [OWNER_LABEL]: "acme/finance" },
      },
    ],
    now,
    audit,
    self: "tokenform",
  });
  return { ...plan, warnings: planWarnings(plan, {}) };
}

describe("a rich plan, rendered whole", () => {
  const plan = richPlan();

  it("has a change of every kind the fixture means to show", () => {
    expect(plan.changes.map((c) => `${c.kind} ${c.name}`)).toEqual([
      "create alice-cursor-dev",
      "create bob-vscode",
      "create docs-mcp-prod",
      "adopt billing-bot",
      "update frontend-ci",
      "update support-bot",
      "disable ops-agent",
      "rotate backend-ci",
      "redeliver search-bot",
      "retire docs-bot",
      "delete old-webhook",
      "orphan shared-reader",
    ]);
    expect(plan.drift.map((d) => [d.name, d.changedBy])).toEqual([["support-bot", "bob-admin"]]);
    expect(plan.reports.retiring.map((r) => r.name)).toEqual(["ancient-key"]);
    expect(plan.reports.stale.map((r) => r.name)).toEqual(["reports-bot"]);
    expect(plan.reports.expiring.map((r) => r.name)).toEqual(["partner-api"]);
    expect(plan.reports.pickups?.map((r) => [r.name, r.holder, r.days])).toEqual([
      ["carol-cursor", "carol@acme.dev", 3],
    ]);
    expect(plan.warnings?.map((w) => w.code)).toEqual([
      "no_destination",
      "missing_credentials",
      "missing_credentials",
    ]);
  });

  it("says which keys stop working, where and when", () => {
    expect(stoppingKeys(plan).map((k) => k.name)).toEqual(["ops-agent", "docs-bot", "old-webhook"]);
    const later = keyImpacts(plan).filter((k) => !k.destructive);
    expect(later.map((k) => k.name)).toEqual(["backend-ci", "search-bot"]);
  });

  it("renders the terminal plan", async () => {
    await expect(renderText(plan)).toMatchFileSnapshot("__snapshots__/rich-plan.txt");
  });

  it("renders the pull-request comment", async () => {
    await expect(renderMarkdown(plan)).toMatchFileSnapshot("__snapshots__/rich-plan.md");
  });

  it("renders the JSON plan", async () => {
    await expect(renderJson(plan)).toMatchFileSnapshot("__snapshots__/rich-plan.json");
  });
});
