import { describe, expect, it } from "vitest";
import { computePlan } from "../../../src/plan/compute.js";
import { renderMarkdown } from "../../../src/plan/render/markdown.js";
import { renderText } from "../../../src/plan/render/text.js";
import { planWarnings } from "../../../src/plan/warnings.js";
import { resolveDestination } from "../../../src/spec/resolve.js";
import { applied, resolved, T0, tokenSet } from "../../support/builders.js";

const now = new Date(T0.getTime() + 86_400_000);
const context = { baseDir: "/" };
const github = (repository: string) =>
  resolveDestination({ github: { repository, secret: "MCP_API_KEY" } }, "docs-bot", context);
const gitlab = resolveDestination(
  { gitlab: { project: "acme/docs", variable: "MCP_API_KEY" } },
  "docs-bot",
  context,
);

describe("plan warnings", () => {
  it("warn about an enabled token created with no destination, not a disabled one", () => {
    const plan = computePlan({
      set: tokenSet([
        resolved("nobody-holds-it", { deliver: [] }),
        resolved("parked", { deliver: [], enabled: false }),
      ]),
      actual: [],
      now,
    });
    expect(planWarnings(plan)).toEqual([
      {
        code: "no_destination",
        name: "nobody-holds-it",
        message:
          "nobody-holds-it is created with no destination and no pickup: a live key nobody holds. Add a deliver entry, or a holder and pickup so its person picks it up (tokenform pickup), or set enabled: false until it has one.",
      },
    ]);
  });

  it("name each credential missing for the planned deliveries, once, with the tokens that need it", () => {
    const plan = computePlan({
      set: tokenSet([
        resolved("docs-bot", { deliver: [github("acme/docs"), gitlab] }),
        resolved("ci-bot", { deliver: [github("acme/ci")] }),
        resolved("laptop"),
      ]),
      actual: [],
      now,
    });
    expect(planWarnings(plan, { GITLAB_TOKEN: "glpat-present" }).map((w) => w.message)).toEqual([
      "GITHUB_TOKEN is not set: applying this plan would fail at the destinations of ci-bot, docs-bot. Set it in the environment apply runs in.",
    ]);
    expect(planWarnings(plan, { GITHUB_TOKEN: "x", GITLAB_TOKEN: "y" })).toEqual([]);
    // Without the environment apply runs in (a pull request's plan job), credentials are not judged.
    expect(planWarnings(plan)).toEqual([]);
  });

  it("accept any one of a kind's alternative credentials (Vault: a token, an AppRole secret id or a JWT)", () => {
    const vault = resolveDestination(
      { vault: { mount: "secret", path: "mcp/docs", key: "API_KEY" } },
      "docs-bot",
      context,
    );
    const plan = computePlan({
      set: tokenSet([resolved("docs-bot", { deliver: [vault] })]),
      actual: [],
      now,
    });
    expect(planWarnings(plan, {}).map((w) => w.message)).toEqual([
      "none of VAULT_TOKEN, VAULT_SECRET_ID, VAULT_JWT is set: applying this plan would fail at the destinations of docs-bot. Set one of them in the environment apply runs in.",
    ]);
    for (const variable of ["VAULT_TOKEN", "VAULT_SECRET_ID", "VAULT_JWT"]) {
      expect(planWarnings(plan, { [variable]: "x" })).toEqual([]);
    }
  });

  it("say nothing about a token the plan leaves alone", () => {
    const kept = resolved("kept", { deliver: [github("acme/kept")] });
    const plan = computePlan({ set: tokenSet([kept]), actual: [applied(kept)], now });
    expect(plan.changes).toEqual([]);
    expect(planWarnings(plan, {})).toEqual([]);
  });

  it("are shown by the terminal and the Markdown renderers", () => {
    const plan = computePlan({
      set: tokenSet([resolved("nobody-holds-it", { deliver: [] })]),
      actual: [],
      now,
    });
    const warned = { ...plan, warnings: planWarnings(plan) };
    expect(renderText(warned)).toContain("Warnings (1):\n  ! nobody-holds-it is created with no destination");
    expect(renderMarkdown(warned)).toContain(
      "> [!NOTE]\n> Before applying:\n>\n> - nobody-holds-it is created with no destination",
    );
  });
});
